"""Two actors on one job or template at once: the change that lands first stands, the other is refused in words.

Python's sqlite3 takes no lock for a read, so a status checked on a job read earlier could be written over a change
another process made since. Each test makes that change between the read and the write, where the race would.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from tests.conftest import SAMPLE_DIR
from workbench.db import repo
from workbench.db.schema import Job
from workbench.db.session import session_scope
from workbench.errors import JobStateError
from workbench.jobs import service, templates, worker
from workbench.tasks.spec import spec_from_dict

SPEC = spec_from_dict({"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"]})


def _job(settings, status: str, runner_pid: int = 1) -> int:
    job_id = service.create_job(settings, SPEC, SAMPLE_DIR / "support_emails.csv", limit=5)
    with session_scope(settings) as session:
        assert repo.claim_job(session, job_id, runner_pid)
        if status != "running":
            repo.set_status(session, repo.get_job(session, job_id), status)
    return job_id


def _elsewhere(settings, change) -> None:
    """Another process's change, committed while the test's own session holds what it read."""
    with session_scope(settings) as session:
        change(session)


def test_a_cancel_pressed_as_the_run_ended_does_not_write_over_its_end(settings):
    job_id = _job(settings, "running")
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)  # read as running
        _elsewhere(settings, lambda other: repo.finish_if_running(other, job_id, "failed", "the model broke"))
        with pytest.raises(JobStateError, match="now failed"):
            repo.set_status(session, job, "cancelled")
    ended = service.get_job(settings, job_id)
    assert (ended.status, ended.error) == ("failed", "the model broke")


def test_a_deleted_job_is_not_brought_back_by_a_cancel_from_another_tab(settings):
    job_id = _job(settings, "paused")
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        _elsewhere(settings, lambda other: repo.delete_job(other, repo.get_job(other, job_id)))
        with pytest.raises(JobStateError, match="now deleted"):
            repo.set_status(session, job, "cancelled")
    with session_scope(settings) as session:
        assert repo.current_status(session, job_id) == repo.DELETED


def test_a_job_resumed_meanwhile_is_not_deleted_under_its_run(settings):
    job_id = _job(settings, "paused")
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)  # read as paused: deletable
        _elsewhere(settings, lambda other: repo.set_status(other, repo.get_job(other, job_id), "queued"))
        with pytest.raises(JobStateError, match="now queued"):
            repo.delete_job(session, job)
    assert service.get_job(settings, job_id).status == "queued"


def _change_while_the_worker_looks(monkeypatch, settings, change) -> None:
    """The user's change lands after the worker read the job as an orphan and before it requeues it."""
    def dead_but_changed(*_args):
        _elsewhere(settings, change)
        return False
    monkeypatch.setattr(worker, "pid_alive", dead_but_changed)


def test_a_job_cancelled_while_the_worker_finds_it_orphaned_stays_cancelled(settings, monkeypatch):
    job_id = _job(settings, "running")
    _change_while_the_worker_looks(monkeypatch, settings,
                                   lambda other: repo.set_status(other, repo.get_job(other, job_id), "cancelled"))
    assert worker.requeue_orphans(settings) == []
    assert service.get_job(settings, job_id).status == "cancelled"


def test_a_job_another_process_resumed_meanwhile_is_not_sent_back_to_the_queue(settings, monkeypatch):
    job_id = _job(settings, "running")  # its runner (process 1 here) taken for dead
    _change_while_the_worker_looks(monkeypatch, settings, lambda other: other.execute(
        update(Job).where(Job.id == job_id).values(runner_pid=4242)))  # `workbench jobs resume` claimed it
    assert worker.requeue_orphans(settings) == []
    job = service.get_job(settings, job_id)
    assert (job.status, job.runner_pid) == ("running", 4242)


def test_a_review_saved_again_replaces_the_first(settings):
    job_id = _job(settings, "cancelled")
    for corrections in ({"label": "billing"}, {"label": "shipping"}):
        with session_scope(settings) as session:
            repo.save_review(session, job_id, 0, corrections)
    with session_scope(settings) as session:
        assert repo.job_reviews(session, job_id) == {0: {"label": "shipping"}}


def test_templates_saved_at_once_under_one_name_each_get_a_version(settings):
    specs = [spec_from_dict({"task": "classify", "text": ["Body"], "labels": ["billing", f"other {n}"]}) for n in range(8)]
    start, errors = threading.Barrier(len(specs)), []

    def save(spec):
        start.wait()
        try:
            templates.save_template(settings, "Support triage", spec)
        except Exception as exc:  # noqa: BLE001 (the test lists what went wrong)
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(spec,)) for spec in specs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(t.version for t in templates.list_templates(settings)) == list(range(1, len(specs) + 1))


def test_a_run_that_lost_its_job_to_a_resume_elsewhere_does_not_write_its_figures(settings):
    from workbench.jobs import runner

    job_id = _job(settings, "running", runner_pid=1111)  # the old run's process
    _elsewhere(settings, lambda other: other.execute(update(Job).where(Job.id == job_id).values(runner_pid=2222)))
    runner._count_setup_time(settings, job_id, 1111, 50.0, 40.0, ["the old run's note"])
    job = service.get_job(settings, job_id)
    assert job.busy_seconds == 0 and "notes" not in (job.measurements or {})
    runner._count_setup_time(settings, job_id, 2222, 5.0, 4.0, [])  # the run that holds it writes
    assert service.get_job(settings, job_id).busy_seconds == 5.0
