"""Deleting a job removes what the app kept for it, and nothing of the user's own; a stopped job's results say which
rows it did not reach."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_DIR
from workbench.cli import cli
from workbench.db import repo
from workbench.db.schema import Job, Upload
from workbench.db.session import session_scope
from workbench.errors import InputFileError, JobStateError, NotFoundError
from workbench.io import read_table
from workbench.jobs import review, service
from workbench.jobs.deletion import UNUSED_UPLOAD_AGE, delete_job
from workbench.jobs.results import export_job, results_frame
from workbench.jobs.review import RowReview
from workbench.tasks.spec import load_task_file

TASK = load_task_file(SAMPLE_DIR / "support_emails.task.yaml")


def _finished_job(settings, input_path) -> int:
    job_id = service.create_job(settings, TASK, input_path, limit=4)
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        repo.claim_job(session, job_id, runner_pid=0)
        repo.save_results(session, job, [{"row_index": 0, "outputs": {"label": "billing"}, "status": "ok"}])
        repo.set_status(session, job, "cancelled")
    review.save_reviews(settings, job_id, [RowReview(0, {"label": "shipping"})])
    return job_id


def _uploads(settings) -> list[str]:
    with session_scope(settings) as session:
        return [upload.stored_path for upload in session.query(Upload)]


def test_a_job_is_deleted_with_its_answers_and_its_input_copy_once_no_other_job_reads_it(settings, tmp_path):
    mine = shutil.copy(SAMPLE_DIR / "support_emails.csv", tmp_path / "mine.csv")
    first, second = _finished_job(settings, mine), _finished_job(settings, mine)
    copy = service.get_job(settings, first).input_path
    assert delete_job(settings, first) == 0  # the second job still reads the copy
    assert [job.id for job in service.list_jobs(settings)] == [second]
    with session_scope(settings) as session:
        assert not repo.job_results(session, first) and not repo.job_reviews(session, first)
    assert delete_job(settings, second) == 1
    assert not service.list_jobs(settings) and not _uploads(settings)
    assert not (settings.uploads_dir / copy).exists() and mine.exists()  # the user's own file stays


def test_deleting_a_job_leaves_another_jobs_input_of_the_same_bytes_under_another_name(settings, tmp_path):
    """The uploads folder keeps one folder per content, the same bytes under each name: deleting the folder took the
    other job's input with it, and its results lost their columns for good."""
    a = shutil.copy(SAMPLE_DIR / "support_emails.csv", tmp_path / "a.csv")
    b = shutil.copy(SAMPLE_DIR / "support_emails.csv", tmp_path / "b.csv")
    first, second = _finished_job(settings, a), _finished_job(settings, b)
    assert Path(service.get_job(settings, first).input_path).parent == Path(service.get_job(settings, second).input_path).parent
    assert delete_job(settings, first) == 1
    kept = Path(service.get_job(settings, second).input_path)
    assert kept.exists() and "Body" in results_frame(settings, second).columns
    assert delete_job(settings, second) == 1 and not kept.parent.exists()  # the folder goes with its last file


def test_a_deleted_jobs_number_is_never_given_to_another_job(settings):
    deleted = _finished_job(settings, SAMPLE_DIR / "support_emails.csv")
    delete_job(settings, deleted)
    assert _finished_job(settings, SAMPLE_DIR / "support_emails.csv") == deleted + 1
    with pytest.raises(NotFoundError, match=f"There is no job #{deleted}"):
        service.get_job(settings, deleted)
    with session_scope(settings) as session:
        assert repo.count_by_status(session) == {"cancelled": 1}


def test_a_queued_or_running_job_is_not_deleted(settings):
    job_id = service.create_job(settings, TASK, SAMPLE_DIR / "support_emails.csv", limit=4)
    with pytest.raises(JobStateError, match="cancel it first"):
        delete_job(settings, job_id)
    assert service.get_job(settings, job_id)


def test_an_upload_no_job_read_for_a_day_goes_with_the_next_deletion_a_fresh_one_stays(settings):
    stale = service.store_upload(settings, "stale.csv", b"Body\nold\n").stored_path
    fresh = service.store_upload(settings, "fresh.csv", b"Body\nnew\n").stored_path
    with session_scope(settings) as session:
        session.query(Upload).filter(Upload.stored_path == stale).update(
            {"created_at": repo.utcnow() - UNUSED_UPLOAD_AGE - timedelta(minutes=1)})
    delete_job(settings, _finished_job(settings, SAMPLE_DIR / "support_emails.csv"))
    assert _uploads(settings) == [fresh]
    assert not service.Path(stale).exists() and service.Path(fresh).exists()


def test_the_command_line_asks_before_deleting(settings):
    job_id = _finished_job(settings, SAMPLE_DIR / "support_emails.csv")
    refused = CliRunner().invoke(cli, ["jobs", "delete", str(job_id)], input="n\n")
    assert refused.exit_code == 1 and service.get_job(settings, job_id)
    deleted = CliRunner().invoke(cli, ["jobs", "delete", str(job_id), "--yes"])
    assert deleted.exit_code == 0 and f"Deleted job #{job_id}" in deleted.output and not service.list_jobs(settings)


@pytest.mark.parametrize("status", ["cancelled", "paused", "failed"])
def test_a_stopped_jobs_results_say_which_rows_it_did_not_reach(settings, status):
    job_id = _finished_job(settings, SAMPLE_DIR / "support_emails.csv")  # stopped after its first of 4 rows
    with session_scope(settings) as session:
        session.query(Job).filter(Job.id == job_id).update({"status": status})
    errors = results_frame(settings, job_id)["error"].tolist()
    assert errors[0] == "" and all(e.startswith(f"Not answered: the job was {status} before this row") for e in errors[1:])


def test_a_running_jobs_results_say_which_rows_it_has_not_reached_yet(settings):
    """Else an empty extract cell of a row not yet answered read as "nothing found", and was scored so."""
    job_id = _finished_job(settings, SAMPLE_DIR / "support_emails.csv")
    with session_scope(settings) as session:
        session.query(Job).filter(Job.id == job_id).update({"status": "running"})
    errors = results_frame(settings, job_id)["error"].tolist()
    assert errors[0] == "" and set(errors[1:]) == {"Not answered yet: the job is running."}


def test_a_job_whose_input_copy_is_gone_says_so_and_is_not_run_into_failure(settings):
    job_id = _finished_job(settings, SAMPLE_DIR / "support_emails.csv")
    shutil.rmtree(service.Path(service.get_job(settings, job_id).input_path).parent)
    for attempt in (results_frame, service.resume_job):
        with pytest.raises(InputFileError, match=f"The copy of job #{job_id}'s input file .* is gone"):
            attempt(settings, job_id)
    assert service.get_job(settings, job_id).status == "cancelled"
    kept = read_table(export_job(settings, job_id, settings.data_dir / "answers.csv"))
    # The person's correction, as in any download (the model's answer beside it).
    assert kept.to_dict("records") == [{"row": "1", "label": "shipping", "confidence": "", "needs_review": "False",
                                        "error": "", "model_label": "billing", "reviewed": "True"}]
