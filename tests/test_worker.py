"""The background worker: who is alive, orphaned jobs, claiming and running the queue."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DIR
from workbench import processes
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.jobs import service, worker
from workbench.tasks.spec import spec_from_dict

SPEC = spec_from_dict({"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"]})


def _job(settings, status: str = "queued", pid: int | None = None) -> int:
    job_id = service.create_job(settings, SPEC, SAMPLE_DIR / "support_emails.csv", limit=5)
    if status == "running":
        with session_scope(settings) as session:
            assert repo.claim_job(session, job_id, runner_pid=pid)
    return job_id


def test_an_exited_child_is_not_alive_even_before_it_is_reaped():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    # Exited, but a zombie until someone waits for it: wait for the exit without reaping (a fixed sleep could
    # end before a starved machine had even started the child).
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
    assert processes.pid_alive(os.getpid())
    assert not processes.pid_alive(child.pid)
    assert not processes.pid_alive(None)


def test_a_process_started_after_its_pid_was_recorded_is_another_one():
    """After a restart of the machine, a job's runner pid may name a system process."""
    from datetime import UTC, datetime, timedelta

    started = processes.process_start(os.getpid())
    assert started is not None and started <= datetime.now(UTC)
    assert processes.pid_alive(os.getpid(), named_at=datetime.now(UTC))
    assert processes.pid_alive(os.getpid(), named_at=started.replace(tzinfo=None))  # naive: UTC, as the database's
    assert not processes.pid_alive(os.getpid(), named_at=started - processes.REUSE_MARGIN - timedelta(seconds=1))


def test_a_job_whose_runner_pid_was_given_to_a_later_process_goes_back_to_the_queue(settings):
    from datetime import timedelta

    job_id = _job(settings, "running", os.getpid())  # this process: alive, but started after the job's last save
    assert worker.requeue_orphans(settings) == []
    with session_scope(settings) as session:
        repo.get_job(session, job_id).updated_at = (
            processes.process_start(os.getpid()).replace(tzinfo=None) - processes.REUSE_MARGIN - timedelta(seconds=5))
    assert worker.requeue_orphans(settings) == [job_id] and service.get_job(settings, job_id).status == "queued"


def test_jobs_of_dead_processes_go_back_to_the_queue(settings):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan, alive = _job(settings, "running", dead.pid), _job(settings, "running", os.getpid())
    assert worker.requeue_orphans(settings) == [orphan]
    assert service.get_job(settings, orphan).status == "queued"
    assert service.get_job(settings, alive).status == "running"


def test_job_processes_a_killed_worker_left_running_count_against_the_next_workers_slots(settings):
    """A worker killed and started again ran as many jobs again beside its predecessor's, each threaded as if alone."""
    left = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _job(settings, "running", left.pid)  # a job process of the worker before, still running
        cli_run = _job(settings, "running", os.getpid())
        with session_scope(settings) as session:
            repo.get_job(session, cli_run).source = "cli"  # the command line's runs are not the worker's
        assert worker._left_by_another_worker(settings, mine=set()) == 1
        assert worker._left_by_another_worker(settings, mine={left.pid}) == 0  # this worker's own
    finally:
        left.kill()
        left.wait()
    assert worker._left_by_another_worker(settings, mine=set()) == 0


def test_run_next_runs_the_oldest_queued_job(settings, tiny_encoder, monkeypatch):
    monkeypatch.setattr("workbench.jobs.runner.load_encoder", lambda _settings, _name=None: tiny_encoder)
    first, second = _job(settings), _job(settings)
    assert worker.run_next(settings)
    assert [service.get_job(settings, i).status for i in (first, second)] == ["completed", "queued"]
    assert worker.run_next(settings) and not worker.run_next(settings)


def test_ensure_worker_starts_one_worker_only(settings):
    assert worker.ensure_worker(settings)
    try:
        pid = int(worker.pid_file(settings).read_text())
        assert worker.worker_running(settings)
        assert not worker.ensure_worker(settings)
        assert int(worker.pid_file(settings).read_text()) == pid
    finally:
        os.killpg(pid, signal.SIGTERM)


@pytest.mark.parametrize(("cores", "slots", "others", "threads"),
                         [(2, 2, 0, "2"), (2, 2, 1, "1"), (2, 1, 0, "2"), (8, 2, 1, "4"), (2, 3, 2, "1")])
def test_a_job_alone_takes_every_core_and_one_beside_others_its_share(settings, monkeypatch, cores, slots, others,
                                                                      threads):
    monkeypatch.delenv("WORKBENCH_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    given = worker.job_thread_settings(dataclasses.replace(settings, worker_slots=slots), others)
    assert given["WORKBENCH_THREADS"] == threads


@pytest.mark.parametrize(("slots", "spinning"), [(1, "1"), (2, "0")])
def test_threads_spin_only_where_no_other_job_can_share_the_cores(settings, monkeypatch, slots, spinning):
    monkeypatch.delenv("WORKBENCH_THREAD_SPINNING", raising=False)
    given = worker.job_thread_settings(dataclasses.replace(settings, worker_slots=slots), 0)
    assert given["WORKBENCH_THREAD_SPINNING"] == spinning


def test_explicit_thread_settings_win(settings, monkeypatch):
    monkeypatch.setenv("WORKBENCH_THREADS", "3")
    monkeypatch.setenv("WORKBENCH_THREAD_SPINNING", "1")
    assert worker.job_thread_settings(settings, 1) == {"WORKBENCH_THREADS": "3", "WORKBENCH_THREAD_SPINNING": "1"}


def test_sessions_follow_the_thread_settings(monkeypatch):
    from workbench.models.sessions import session_options

    monkeypatch.setenv("WORKBENCH_THREADS", "1")
    monkeypatch.setenv("WORKBENCH_THREAD_SPINNING", "0")
    options = session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_the_worker_runs_two_jobs_at_once_and_requeues_one_whose_process_dies(settings, tiny_encoder_folder, tmp_path,
                                                                               monkeypatch):
    import pandas as pd

    rows = pd.read_csv(SAMPLE_DIR / "support_emails.csv")
    big = pd.concat([rows] * 60, ignore_index=True)
    big["Body"] = [f"{body} ({i})" for i, body in enumerate(big["Body"])]
    big.to_csv(tmp_path / "big.csv", index=False)
    spec = spec_from_dict({"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"],
                           "model": tiny_encoder_folder.name})
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(settings.data_dir),
           "WORKBENCH_MODELS_DIR": str(tiny_encoder_folder.parent), "WORKBENCH_WORKER_SLOTS": "2"}
    monkeypatch.setenv("WORKBENCH_MODELS_DIR", env["WORKBENCH_MODELS_DIR"])  # create_job snapshots the model
    first, second = (service.create_job(settings, spec, tmp_path / "big.csv") for _ in range(2))
    serving = subprocess.Popen([sys.executable, "-m", "workbench.jobs.worker"], env=env, start_new_session=True)
    try:
        # No moment with both jobs seen running is needed (on a loaded machine one can end before the other's
        # process has saved a row): their claim and finish times show the overlap once both have ended.
        _wait_for(lambda: all(service.get_job(settings, j).started_at for j in (first, second)),
                  states=lambda: _states(settings, first, second))
        victim = _wait_for(lambda: _a_runner_mid_way(settings, serving.pid, first, second),
                           states=lambda: _states(settings, first, second))
        with contextlib.suppress(ProcessLookupError):  # on a starved machine it may have just finished
            os.kill(victim, signal.SIGKILL)  # a job process dies mid-way: its job is picked up again
        _wait_for(lambda: all(service.get_job(settings, j).status == "completed" for j in (first, second)), 240,
                  states=lambda: _states(settings, first, second))
        jobs = [service.get_job(settings, j) for j in (first, second)]
        assert [job.done_rows for job in jobs] == [len(big)] * 2
        # Run one after the other, the second job is claimed only after the first has finished (a job's first
        # claim sets started_at; the killed job's finished_at is only later for its second run).
        assert jobs[0].started_at < jobs[1].finished_at and jobs[1].started_at < jobs[0].finished_at, [
            (job.id, job.started_at, job.finished_at) for job in jobs]
    finally:
        os.killpg(serving.pid, signal.SIGKILL)


def _a_runner_mid_way(settings, worker_pid: int, *job_ids) -> int | None:
    """The pid of a process of its own (not the worker's) running one of the jobs, rows saved and most to do."""
    jobs = [service.get_job(settings, j) for j in job_ids]
    for job in jobs:
        if job.status == "running" and job.runner_pid not in (None, worker_pid) and 0 < job.done_rows < job.total_rows / 2:
            return job.runner_pid
    if all(job.status == "completed" for job in jobs):
        raise AssertionError(f"both jobs ended before either was seen mid-way: {_states(settings, *job_ids)}")
    return None


def _states(settings, *job_ids) -> list[tuple]:
    jobs = [service.get_job(settings, j) for j in job_ids]
    return [(j.id, j.status, j.done_rows, j.failed_rows, j.runner_pid, (j.error or "")[:300]) for j in jobs]


def _wait_for(condition, timeout: float = 120, states=lambda: None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out; the jobs: {states()}")


def test_a_database_the_worker_cannot_use_is_said_once_in_its_log_and_again_when_it_is_back(capsys):
    from sqlalchemy.exc import OperationalError

    from workbench.jobs.worker import _database_back, _database_unusable

    locked = OperationalError("SELECT 1", {}, Exception("database is locked"))
    since = _database_unusable(None, locked)
    assert _database_unusable(since, locked) == since  # the next seconds' failures add nothing to the log
    assert _database_back(since) is None and _database_back(None) is None
    log = capsys.readouterr().err.splitlines()
    assert len(log) == 2 and "database is locked" in log[0] and "can be used again" in log[1]


def test_a_second_worker_for_the_same_data_folder_refuses_to_start(settings):
    from workbench.errors import JobStateError

    assert worker.ensure_worker(settings)
    pid = int(worker.pid_file(settings).read_text())
    try:
        with pytest.raises(JobStateError, match=f"A worker already runs for this data folder \\(process {pid}\\)"):
            worker.serve_forever(settings)
        assert int(worker.pid_file(settings).read_text()) == pid
    finally:
        os.killpg(pid, signal.SIGTERM)


def test_a_job_process_never_handed_its_job_leaves_it_to_the_runner_it_has(settings, monkeypatch, capsys):
    job_id = _job(settings, "running", pid=os.getppid())  # another process got the job meanwhile
    ran = []
    monkeypatch.setattr(worker, "CLAIM_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(worker, "run_job", lambda _settings, job: ran.append(job))
    worker.run_claimed(settings, job_id)
    assert ran == [] and "was not handed to this process" in capsys.readouterr().err
    with session_scope(settings) as session:
        repo.get_job(session, job_id).runner_pid = os.getpid()
    worker.run_claimed(settings, job_id)
    assert ran == [job_id]


def test_a_queued_job_says_what_it_waits_for_when_the_slots_are_full(settings):
    slots = dataclasses.replace(settings, worker_slots=2)
    first, second = _job(settings, "running", os.getpid()), _job(settings, "running", os.getpid())
    third, fourth = _job(settings), _job(settings)
    assert service.queue_note(slots, service.get_job(settings, third)) == (
        "Waiting: 2 jobs running, and the app runs 2 at a time (the WORKBENCH_WORKER_SLOTS setting). This one starts "
        "when its turn comes.")
    assert "; 1 queued job goes first." in service.queue_note(slots, service.get_job(settings, fourth))
    service.pause_job(settings, first)
    assert service.queue_note(slots, service.get_job(settings, third)) is None  # a slot is free: it starts now
    assert service.queue_note(slots, service.get_job(settings, second)) is None  # running: not waiting


def test_a_job_whose_process_keeps_dying_at_one_row_fails_instead_of_running_for_ever(settings):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job_id = _job(settings, "running", dead.pid)
    for _ in range(worker.MAX_DEATHS_AT_ONE_ROW - 1):
        assert worker.requeue_orphans(settings) == [job_id] and service.get_job(settings, job_id).status == "queued"
        with session_scope(settings) as session:
            assert repo.claim_job(session, job_id, runner_pid=dead.pid)  # started again, killed again at the same row
    worker.requeue_orphans(settings)
    job = service.get_job(settings, job_id)
    assert job.status == "failed" and "stopped 3 times at row 1 without an error of its own" in job.error


def test_a_job_resumed_after_failing_for_its_deaths_gets_its_tries_again(settings):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job_id = _job(settings, "running", dead.pid)
    for _ in range(worker.MAX_DEATHS_AT_ONE_ROW):
        worker.requeue_orphans(settings)
        with session_scope(settings) as session:
            repo.claim_job(session, job_id, runner_pid=dead.pid)
    assert service.get_job(settings, job_id).status == "failed"
    service.resume_job(settings, job_id)  # the user freed memory, as the message asked
    with session_scope(settings) as session:
        assert repo.claim_job(session, job_id, runner_pid=dead.pid)
    assert worker.requeue_orphans(settings) == [job_id]  # one more death at the same row: queued, not failed at once
    assert service.get_job(settings, job_id).status == "queued"


def test_a_job_that_moves_on_between_deaths_goes_back_to_the_queue(settings):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    job_id = _job(settings, "running", dead.pid)
    for row in range(worker.MAX_DEATHS_AT_ONE_ROW + 1):
        with session_scope(settings) as session:
            repo.get_job(session, job_id).done_rows = row  # a batch saved between one death and the next
        assert worker.requeue_orphans(settings) == [job_id] and service.get_job(settings, job_id).status == "queued"
        with session_scope(settings) as session:
            assert repo.claim_job(session, job_id, runner_pid=dead.pid)


def test_a_job_another_machine_runs_is_never_taken_for_an_orphan_here(settings):
    """A team's workers share one PostgreSQL: a pid of another machine means nothing here."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    elsewhere, before_hosts = _job(settings, "running", dead.pid), _job(settings, "running", dead.pid)
    with session_scope(settings) as session:
        repo.get_job(session, elsewhere).runner_host = "the-other-machine"
        repo.get_job(session, before_hosts).runner_host = None  # a job claimed before hosts were kept
    shared = dataclasses.replace(settings, database_url=settings.db_url)  # as with a team's PostgreSQL
    assert worker.requeue_orphans(shared) == [before_hosts]
    assert service.get_job(settings, elsewhere).status == "running"
    # In the app's own SQLite file every job is this machine's, whatever name it had when the job started.
    assert worker.requeue_orphans(settings) == [elsewhere]


def test_every_claim_names_this_machine(settings):
    import socket

    job_id = _job(settings, "running", os.getpid())
    assert service.get_job(settings, job_id).runner_host == socket.gethostname()


def test_a_job_the_worker_claimed_but_could_not_hand_over_goes_back_to_the_queue(settings, monkeypatch):
    from sqlalchemy.exc import OperationalError

    job_id = _job(settings)
    with session_scope(settings) as session:
        assert repo.claim_next_queued(session, os.getpid()).id == job_id  # the worker claims it...
    real_scope, started = worker.session_scope, []

    def failing_scope(settings_):
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(worker, "session_scope", failing_scope)
    monkeypatch.setattr(worker.subprocess, "Popen", lambda *a, **k: started.append(FakeChild()) or started[-1])
    with pytest.raises(OperationalError):
        worker.start_job_process(settings, job_id, 0)  # ...and cannot name its process
    assert started[0].killed
    monkeypatch.setattr(worker, "session_scope", real_scope)
    assert worker.requeue_unhanded(settings) == [job_id] and service.get_job(settings, job_id).status == "queued"


class FakeChild:
    pid, killed = 999_999, False

    def kill(self):
        self.killed = True


def test_each_machine_keeps_its_own_worker_pid_file(settings, monkeypatch):
    """Machines sharing a data folder: another machine's pid, alive here by chance, kept this one from any worker."""
    other = worker.pid_file(settings)
    other.write_text(str(os.getppid()))  # a live process here, as another machine's worker's pid may be
    monkeypatch.setattr(worker.socket, "gethostname", lambda: "laptop-2")
    assert worker.pid_file(settings) != other and not worker.worker_running(settings)


def test_in_a_shared_database_a_job_whose_input_is_on_another_machine_waits_for_it(settings, tmp_path):
    import shutil

    mine, theirs = tmp_path / "mine.csv", tmp_path / "theirs.csv"
    shutil.copy(SAMPLE_DIR / "support_emails.csv", mine)
    theirs.write_text("Subject,Body\nHello,Where is my parcel?\n")  # other contents: a copy of its own
    elsewhere = service.create_job(settings, SPEC, theirs, limit=2)
    here = service.create_job(settings, SPEC, mine, limit=2)
    Path(service.get_job(settings, elsewhere).input_path).unlink()  # its copy is in another machine's data folder
    shared = dataclasses.replace(settings, database_url=settings.db_url)
    assert worker._claim_next(shared, frozenset()) == here  # the job it can read; the other one waits
    assert service.get_job(settings, elsewhere).status == "queued"
    assert service.queue_note(shared, service.get_job(settings, elsewhere)).startswith("Waiting for a machine that can")
    assert worker._claim_next(settings, frozenset()) == elsewhere  # its own SQLite file: the job runs, and fails as gone


def test_a_worker_an_earlier_version_started_is_seen_after_an_upgrade(settings):
    """Versions before 2026-11-30 wrote worker.pid; a worker they started outlived the app, and an upgraded app
    started a second one beside it (four jobs at once on two cores)."""
    import subprocess
    import sys

    legacy = settings.data_dir / worker.LEGACY_PID_FILE
    legacy.write_text(str(os.getppid()))  # alive, but no worker of this app: another machine's pid, perhaps
    assert not worker.worker_running(settings)
    # A process whose command line is the worker's (it sleeps: it must not run jobs here).
    old = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "-m", "workbench.jobs.worker"])
    try:
        legacy.write_text(str(old.pid))
        assert worker.worker_running(settings) and not worker.ensure_worker(settings)
    finally:
        old.kill()
        old.wait()
    assert not worker.worker_running(settings)
