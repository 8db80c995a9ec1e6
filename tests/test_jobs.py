import csv
import os
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy.exc import OperationalError

from tests.conftest import SAMPLE_DIR
from workbench.config import Settings
from workbench.db import repo
from workbench.db.schema import Job
from workbench.db.session import session_scope
from workbench.errors import InputFileError, JobStateError, ModelNotReadyError, TaskConfigError, WorkbenchError
from workbench.io import read_table
from workbench.jobs import service
from workbench.jobs.estimate import BatchCosts
from workbench.jobs.progress import describe, format_duration, job_progress
from workbench.jobs.results import export_job, results_frame
from workbench.jobs.runner import run_job
from workbench.tasks import summarize
from workbench.tasks.classify import ClassifyTask
from workbench.tasks.spec import load_task_file, spec_from_dict

EMAILS = SAMPLE_DIR / "support_emails.csv"
TASK_FILE = SAMPLE_DIR / "support_emails.task.yaml"
LABELS = {"billing", "technical_support", "account_access", "shipping", "returns", "feedback"}
OUTPUT_COLUMNS = ["label", "confidence", "needs_review"]
# Zero-shot keeps these tests fast: fitting on the sample examples takes a while on the tiny random encoder.
ZERO_SHOT = spec_from_dict({"task": "classify", "text": ["Subject", "Body"], "labels": sorted(LABELS)})


def _claim(settings, job_id: int) -> int:
    with session_scope(settings) as session:
        assert repo.claim_job(session, job_id, os.getpid())
    return job_id


def _start(settings, input_path=EMAILS, spec=ZERO_SHOT, **options) -> int:
    return _claim(settings, service.create_job(settings, spec, input_path, **options))


def _results(settings, job_id: int):
    with session_scope(settings) as session:
        return repo.job_results(session, job_id)


def _spy_on_batches(monkeypatch) -> list[list[str]]:
    seen: list[list[str]] = []
    original = ClassifyTask.run_batch

    def spy(self, texts):
        seen.append(list(texts))
        return original(self, texts)

    monkeypatch.setattr(ClassifyTask, "run_batch", spy)
    return seen


def test_a_job_runs_every_row_once(settings, tiny_loader):
    total = len(read_table(EMAILS))
    job_id = _claim(settings, service.create_job_from_task_file(settings, TASK_FILE, EMAILS))
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    job = service.get_job(settings, job_id)
    assert (job.status, job.total_rows, job.done_rows, job.failed_rows, job.runner_pid) == ("completed", total, total, 0, None)
    assert job.model["name"] == "tiny-encoder"
    results = _results(settings, job_id)
    assert [r.row_index for r in results] == list(range(total))
    assert all(r.status == "ok" and r.outputs["label"] in LABELS and 0 < r.confidence <= 1 for r in results)
    assert "1 failed" not in describe(job_progress(job))
    assert describe(job_progress(job)).startswith(f"{total} / {total} rows")


def test_a_batch_whose_save_meets_a_locked_database_is_saved_again_not_lost(settings, tiny_loader, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from workbench.jobs import runner

    original, failures = repo.save_results, [1, 1]  # locked past the busy timeout twice, then free

    def locked_at_first(*args, **kwargs):
        if failures:
            failures.pop()
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return original(*args, **kwargs)

    monkeypatch.setattr(repo, "save_results", locked_at_first)
    monkeypatch.setattr(runner, "SAVE_RETRY_SECONDS", (0.0, 0.0))
    job_id = _start(settings, limit=6)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    assert service.get_job(settings, job_id).done_rows == 6


def test_speed_and_time_left_leave_out_the_time_a_job_sat_paused(settings, tiny_loader):
    job_id = _start(settings, limit=10)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        assert 0 < job.busy_seconds < 60 and job.busy_rows == 10
        job.started_at = job.finished_at - timedelta(hours=10)  # as if paused overnight before it finished
        job.status, job.done_rows, job.total_rows = "running", 4, 10  # and looked at while running,
        job.busy_rows, job.seconds_left = 4, None  # before the runner's first estimate
        progress = job_progress(job)
        assert progress.rows_per_second == pytest.approx(4 / job.busy_seconds)
        assert progress.seconds_left == pytest.approx(6 * job.busy_seconds / 4)
        job.done_rows = 10  # every row saved, the job not yet marked completed: nothing is left, not "0 s"
        assert job_progress(job).seconds_left is None and "left" not in describe(job_progress(job))
        job.done_rows = 4
        job.busy_seconds, job.busy_rows = 0.0, 0  # a job saved before batches were timed: the time since it started
        assert job_progress(job, now=job.finished_at).rows_per_second == pytest.approx(4 / 36000)


def test_the_runner_estimates_the_time_left_after_every_batch(settings, tiny_loader, monkeypatch):
    monkeypatch.setattr(ClassifyTask, "batch_size", 4)
    job_id = _start(settings, limit=12)
    estimates = []
    run_job(settings, job_id, encoder_loader=tiny_loader, on_batch=lambda job: estimates.append(job.seconds_left))
    assert len(estimates) == 3 and all(e > 0 for e in estimates[:2]) and estimates[2] == 0
    with session_scope(settings) as session:  # shown while running; a new run starts without the old estimate
        job = repo.get_job(session, job_id)
        job.status, job.done_rows, job.seconds_left = "running", 8, 42.0
        assert job_progress(job).seconds_left == 42.0


def test_the_runner_gives_freed_memory_back_after_every_batch(settings, tiny_loader, monkeypatch):
    from workbench.jobs import memory

    monkeypatch.setattr(ClassifyTask, "batch_size", 4)
    monkeypatch.setattr(memory, "TRIM_EVERY_SECONDS", 0.0)  # tiny batches take milliseconds; real ones, seconds
    trims, batches = [], []
    monkeypatch.setattr(memory, "give_back_free_memory", lambda: trims.append(len(batches)))
    run_job(settings, _start(settings, limit=12), encoder_loader=tiny_loader, on_batch=lambda job: batches.append(job))
    assert trims == [0, 1, 2]  # once per batch, each time before the next batch starts


def test_rows_answered_while_adapting_are_priced_by_the_adapting_not_by_their_instant_batches(settings, tiny_encoder,
                                                                                              monkeypatch):
    # Classify embeds its first rows while adapting; their batches then take no time, and a 100,000-row job read
    # "about 3 s left" with 35 minutes to go.
    monkeypatch.setattr(ClassifyTask, "batch_size", 16)
    monkeypatch.setattr(ClassifyTask, "first_batch_size", 16)

    class SlowToEmbed:  # 10 ms a row embedded, so adapting on the 64 sample rows takes 0.64 s
        manifest = tiny_encoder.manifest

        def embed(self, texts):
            time.sleep(0.01 * len(texts))
            return tiny_encoder.embed(texts)

        def read_partly(self, texts):
            return tiny_encoder.read_partly(texts)

    job_id, left = _start(settings), []
    run_job(settings, job_id, encoder_loader=lambda _name=None: SlowToEmbed(), on_batch=lambda job: left.append(
        job.seconds_left))
    assert left[0] > 0.01 * 48 * 0.8  # after 16 rows: the 48 left at about 10 ms each, not at their batches' instants


def test_results_frame_and_export_keep_every_input_column(settings, tiny_loader, tmp_path):
    job_id = _start(settings, limit=5)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    frame = results_frame(settings, job_id)
    source = read_table(EMAILS, nrows=5)
    assert list(frame.columns) == [*source.columns, *OUTPUT_COLUMNS]
    assert frame[list(source.columns)].equals(source)
    assert set(frame["label"]) <= LABELS
    for suffix in ("csv", "xlsx"):
        written = read_table(export_job(settings, job_id, tmp_path / f"out.{suffix}"))
        assert list(written.columns) == list(frame.columns)
        assert written["Body"].tolist() == source["Body"].tolist()
        assert written["label"].tolist() == frame["label"].tolist()


def test_xlsx_export_of_a_csv_input_is_written_a_chunk_at_a_time_with_every_row_in_order(settings, tiny_loader,
                                                                                        tmp_path, monkeypatch):
    from workbench.io.stream import iter_frames
    from workbench.jobs import results

    chunks = []
    def small_chunks(*args, **kwargs):  # 5 rows: three chunks, the header written once
        for chunk in iter_frames(*args, **kwargs, chunk_rows=2):
            chunks.append(len(chunk))
            yield chunk

    monkeypatch.setattr(results, "iter_frames", small_chunks)
    job_id = _start(settings, limit=5)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    written = read_table(export_job(settings, job_id, tmp_path / "out.xlsx"))
    frame = results_frame(settings, job_id)
    assert list(written.columns) == list(frame.columns)
    assert written["Body"].tolist() == frame["Body"].tolist()
    assert written["label"].tolist() == frame["label"].tolist()
    assert chunks[:3] == [2, 2, 1]


def test_export_neutralises_formulas(settings, tiny_loader, tmp_path):
    source = tmp_path / "tricky.csv"
    source.write_text('Subject,Body\n=1+1,"=HYPERLINK(""http://evil"",""x"")"\nplain,refund please\n')
    job_id = _start(settings, source)
    run_job(settings, job_id, encoder_loader=tiny_loader)

    export_job(settings, job_id, tmp_path / "out.csv")
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["Subject"] == "'=1+1"
    assert rows[0]["Body"].startswith("'=HYPERLINK")
    assert rows[1]["Subject"] == "plain"

    export_job(settings, job_id, tmp_path / "out.xlsx")
    sheet = load_workbook(tmp_path / "out.xlsx").active
    cell = sheet["A2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    assert sheet["B2"].data_type == "s"
    assert read_table(tmp_path / "out.xlsx").loc[0, "Subject"] == "=1+1"


def test_output_columns_that_clash_with_input_columns_get_a_suffix(settings, tiny_loader, tmp_path):
    source = tmp_path / "labelled.csv"
    source.write_text("text,label\nrefund my money,old\nwhere is my parcel,old\n")
    spec = spec_from_dict({"task": "classify", "text": "text", "labels": ["billing", "shipping"]})
    job_id = _start(settings, source, spec)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    frame = results_frame(settings, job_id)
    assert list(frame.columns) == ["text", "label", "label_result", "confidence", "needs_review"]
    assert frame["label"].tolist() == ["old", "old"]
    assert set(frame["label_result"]) <= {"billing", "shipping"}


def test_cancel_between_batches_keeps_the_rows_done(settings, tiny_loader, monkeypatch):
    monkeypatch.setattr(ClassifyTask, "batch_size", 4)
    job_id = _start(settings, limit=12)
    batches = []

    def cancel_after_first(job):
        batches.append(job.done_rows)
        service.cancel_job(settings, job.id)

    assert run_job(settings, job_id, on_batch=cancel_after_first, encoder_loader=tiny_loader) == "cancelled"
    assert batches == [4]
    job = service.get_job(settings, job_id)
    assert (job.status, job.done_rows, job.finished_at is not None) == ("cancelled", 4, True)
    done = [r.row_index for r in _results(settings, job_id)]
    assert len(done) == 4 and set(done) < set(range(12))
    frame = results_frame(settings, job_id)
    assert len(frame) == 12
    assert (frame["label"] != "").tolist() == [i in done for i in range(12)]


def test_resume_skips_rows_already_saved(settings, tiny_loader, monkeypatch):
    monkeypatch.setattr(ClassifyTask, "batch_size", 4)
    job_id = _start(settings, limit=10)
    run_job(settings, job_id, on_batch=lambda job: service.cancel_job(settings, job.id), encoder_loader=tiny_loader)
    first = {r.row_index: r.outputs for r in _results(settings, job_id)}

    with session_scope(settings) as session:
        repo.set_status(session, repo.get_job(session, job_id), "queued")
    _claim(settings, job_id)
    seen = _spy_on_batches(monkeypatch)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"

    assert [len(batch) for batch in seen] == [4, 2]
    results = _results(settings, job_id)
    assert [r.row_index for r in results] == list(range(10))
    assert {r.row_index: r.outputs for r in results if r.row_index in first} == first
    assert service.get_job(settings, job_id).done_rows == 10


def test_a_resumed_job_answers_exactly_as_an_uninterrupted_one(settings, tiny_loader, monkeypatch):
    # 64 rows: enough for the template to adapt to the job's first rows, which must not change on resume.
    monkeypatch.setattr(ClassifyTask, "batch_size", 8)
    whole = _start(settings)
    run_job(settings, whole, encoder_loader=tiny_loader)
    interrupted = _start(settings)
    run_job(settings, interrupted, on_batch=lambda job: service.cancel_job(settings, job.id), encoder_loader=tiny_loader)
    with session_scope(settings) as session:
        repo.set_status(session, repo.get_job(session, interrupted), "queued")
    _claim(settings, interrupted)
    assert run_job(settings, interrupted, encoder_loader=tiny_loader) == "completed"
    assert results_frame(settings, interrupted).equals(results_frame(settings, whole))


def _failing_on_the_glow_lamp_row(monkeypatch, message: str, error=ValueError) -> None:
    """Classify fails on any batch holding the sample's third email (the runner then runs its rows one by one)."""
    original = ClassifyTask.run_batch

    def fragile(self, texts):
        if any("Glow lamp" in t for t in texts):
            raise error(message)
        return original(self, texts)

    monkeypatch.setattr(ClassifyTask, "run_batch", fragile)


def test_a_row_that_breaks_the_task_fails_alone(settings, tiny_loader, monkeypatch):
    _failing_on_the_glow_lamp_row(monkeypatch, "cannot read this one")
    monkeypatch.setattr(ClassifyTask, "batch_size", 3)
    timed, add = [], BatchCosts.add
    monkeypatch.setattr(BatchCosts, "add", lambda self, *batch: timed.append(batch) or add(self, *batch))
    job_id = _start(settings, limit=6)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    job = service.get_job(settings, job_id)
    assert (job.done_rows, job.failed_rows) == (5, 1)
    assert len(timed) == 1  # the batch re-run row by row is left out of the time-left fit
    failed = [(r.row_index, r.error) for r in _results(settings, job_id) if r.status != "ok"]
    reason = "The model could not answer this row (ValueError: cannot read this one)."
    assert failed == [(2, reason)]
    frame = results_frame(settings, job_id)
    assert frame["error"].tolist() == ["", "", reason, "", "", ""]
    assert frame.loc[2, "label"] == "" and frame.loc[3, "label"] in LABELS
    assert "1 failed" in describe(job_progress(job))


def test_a_row_our_own_checks_refuse_says_why_in_their_words(settings, tiny_loader, monkeypatch):
    """The generator's "too long" reached the page as "TaskConfigError: The text is too long…"."""
    from workbench.errors import TaskConfigError

    _failing_on_the_glow_lamp_row(monkeypatch, "The text is too long for the model.", TaskConfigError)
    job_id = _start(settings, limit=4)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    assert [r.error for r in _results(settings, job_id) if r.status != "ok"] == ["The text is too long for the model."]


def test_a_job_where_every_row_fails_is_failed_with_the_first_reason(settings, tiny_loader, monkeypatch):
    def broken(self, texts):
        raise RuntimeError("model output has the wrong shape")

    monkeypatch.setattr(ClassifyTask, "run_batch", broken)
    job_id = _start(settings, limit=3)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "failed"
    job = service.get_job(settings, job_id)
    assert (job.done_rows, job.failed_rows) == (0, 3)
    assert job.error == ("Every row failed. The first error: The model could not answer this row (RuntimeError: model "
                         "output has the wrong shape).")


def _job_with_a_cell_limit_of_40(monkeypatch, tmp_path, rows: str):
    """Settings with cells limited to 40 characters, and a started job over these CSV rows (after the header)."""
    monkeypatch.setenv("WORKBENCH_MAX_CELL_CHARS", "40")
    settings = Settings().ensure_dirs()
    source = tmp_path / "long.csv"
    source.write_text(f"Subject,Body\n{rows}")
    return settings, _start(settings, source)


def test_a_row_over_the_cell_limit_fails_with_the_reason(tiny_loader, monkeypatch, tmp_path):
    settings, job_id = _job_with_a_cell_limit_of_40(monkeypatch, tmp_path, f"short,refund please\nlong,{'word ' * 20}\n")
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    results = _results(settings, job_id)
    assert [r.status for r in results] == ["ok", "failed"]
    assert "the limit is 40" in results[1].error
    assert service.get_job(settings, job_id).busy_rows == 1  # the row that never ran does not count as timed
    # it fails the same way however often it runs: not offered for a retry that would change nothing
    assert service.retryable_rows(settings, service.get_job(settings, job_id)) == 0


def test_a_job_whose_every_row_fails_before_running_reads_no_speed(tiny_loader, monkeypatch, tmp_path):
    settings, job_id = _job_with_a_cell_limit_of_40(monkeypatch, tmp_path, f"long,{'word ' * 20}\n")
    run_job(settings, job_id, encoder_loader=tiny_loader)
    job = service.get_job(settings, job_id)
    assert job.busy_rows == 0  # its set-up took seconds, but no row ran
    assert job_progress(job).rows_per_second < 1000  # the wall clock since it started, not a batch of no work


@pytest.mark.parametrize(
    "error,expected",
    [
        (ModelNotReadyError("Run `workbench models prepare`."), "Run `workbench models prepare`."),
        (RuntimeError("disk on fire"), "The job stopped on a problem the app did not expect (RuntimeError: disk on fire). "
                                       "Resume it"),
        # A server restart mid-job read "(OperationalError: … [SQL: UPDATE jobs SET …] [parameters: …])"
        (OperationalError("UPDATE jobs SET updated_at=%s", {"p": 1}, Exception("terminating connection")),
         "The app's database could not be used (terminating connection)."),
    ],
)
def test_a_run_that_cannot_start_ends_failed_not_running(settings, error, expected):
    def broken_loader(_name=None):
        raise error

    job_id = _start(settings, limit=3)
    assert run_job(settings, job_id, encoder_loader=broken_loader) == "failed"
    job = service.get_job(settings, job_id)
    assert job.status == "failed" and job.error.startswith(expected) and "Traceback" not in job.error
    assert "[SQL" not in job.error
    assert _results(settings, job_id) == []


def test_a_job_cancelled_before_it_runs_stays_cancelled(settings, tiny_loader):
    job_id = _start(settings, limit=3)
    service.cancel_job(settings, job_id)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "cancelled"
    assert _results(settings, job_id) == []


def test_try_on_rows_creates_no_job(settings, tiny_encoder, monkeypatch):
    monkeypatch.setattr(service, "load_encoder", lambda _settings, _name=None: tiny_encoder)
    frame = read_table(EMAILS).head(5)
    tried = service.try_on_rows(settings, load_task_file(TASK_FILE), frame)
    assert len(tried) == 5
    assert list(tried.columns) == [*frame.columns, *OUTPUT_COLUMNS]
    assert set(tried["label"]) <= LABELS
    assert service.list_jobs(settings) == []


def test_an_empty_row_is_not_answered_but_says_why(settings, tiny_encoder, monkeypatch):
    monkeypatch.setattr(service, "load_encoder", lambda _settings, _name=None: tiny_encoder)
    frame = read_table(EMAILS).head(3)
    frame.loc[1, ["Subject", "Body"]] = ["", "  "]
    tried = service.try_on_rows(settings, load_task_file(TASK_FILE), frame)
    assert tried["label"][1] == "" and tried["label"][0] in LABELS
    assert tried["error"].tolist() == ["", "The row is empty in Subject, Body: there is nothing to read.", ""]


def test_create_job_checks_the_columns_first(settings, tmp_path):
    source = tmp_path / "other.csv"
    source.write_text("Title,Text\na,b\n")
    with pytest.raises(TaskConfigError, match="no columns 'Subject', 'Body'. Its columns are: Title, Text"):
        service.create_job_from_task_file(settings, TASK_FILE, source)
    assert service.list_jobs(settings) == []


def test_create_job_records_what_it_will_run(settings):
    job_id = service.create_job_from_task_file(settings, TASK_FILE, EMAILS, limit=7, source="cli")
    job = service.get_job(settings, job_id)
    assert (job.status, job.total_rows, job.row_limit, job.source, job.name) == ("queued", 7, 7, "cli", "Support email triage")
    assert job.spec["text"] == ["Subject", "Body"] and len(job.spec["examples"]) > 0


def test_a_job_keeps_its_settings_with_the_defaults_of_the_day_it_was_made(settings, monkeypatch):
    spec = spec_from_dict({"task": "summarize", "text": "Body", "summary": {"style": "short"}})
    job_id = service.create_job(settings, spec, EMAILS)
    monkeypatch.setattr(summarize, "DRAFTS", 2)  # a later version changes the default
    stored = service.get_job(settings, job_id).spec
    assert stored["summary"] == {"style": "short", "max_words": 40, "drafts": 4}
    assert spec_from_dict(stored).validated_config().summary.drafts == 4  # what resuming it runs with
    assert spec_from_dict(spec.to_dict()).validated_config().summary.drafts == 2  # a new job gets the new default


@pytest.mark.parametrize("task_file", sorted(SAMPLE_DIR.glob("*.task.yaml")), ids=lambda p: p.name)
def test_settings_written_out_in_full_mean_the_same(task_file):
    spec = load_task_file(task_file)
    pinned = spec_from_dict(spec.pinned().to_dict())
    assert pinned.validated_config() == spec.validated_config()
    assert pinned.pinned() == spec.pinned()


def test_row_limit_setting(monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_ROWS", "10")
    with pytest.raises(InputFileError, match="has 64 rows; the limit is 10"):
        service.create_job_from_task_file(Settings().ensure_dirs(), TASK_FILE, EMAILS)


@pytest.mark.parametrize(("name", "stored"), [
    ("My emails.csv", "My emails.csv"), ("../../a/b\\c.xlsx", "c.xlsx"), (".csv", "upload.csv"),
    ("....csv", "upload.csv"), ("..", "upload"), ("report.final.tsv", "report.final.tsv"),
])
def test_an_upload_is_stored_under_a_safe_form_of_its_own_name(name, stored):
    assert service.stored_name(name) == stored


def test_a_long_non_latin_upload_name_is_cut_to_what_file_systems_take(settings):
    upload = service.store_upload(settings, "客" * 90 + ".csv", b"Body\nhello\n")
    name = os.path.basename(upload.stored_path)
    assert name.endswith(".csv") and len(name.encode()) <= 255 and read_table(upload.stored_path)["Body"][0] == "hello"


def test_store_upload_keeps_one_copy_per_content_under_each_name_it_was_given(settings, monkeypatch):
    first = service.store_upload(settings, "../../My emails.csv", b"Subject,Body\na,b\n")
    second = service.store_upload(settings, "My emails.csv", b"Subject,Body\na,b\n")
    assert first.stored_path == second.stored_path
    assert first.id != second.id
    assert os.path.dirname(os.path.dirname(first.stored_path)) == str(settings.uploads_dir)
    assert os.path.basename(first.stored_path) == "My emails.csv"  # messages name the file as the user does
    third = service.store_upload(settings, "renamed.csv", b"Subject,Body\na,b\n")
    # The same bytes under another name: stored under that name too (a message named the other session's file), as a
    # link to the same copy.
    assert os.path.basename(third.stored_path) == "renamed.csv" and os.path.samefile(third.stored_path, first.stored_path)
    for name in ("garbage.xlsx", "report_q3.xlsx"):
        damaged = service.store_upload(settings, name, b"PK\x03\x04 not really a workbook")
        with pytest.raises(InputFileError, match=f"'{name}' is not a valid Excel workbook"):
            read_table(damaged.stored_path)
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "1")
    with pytest.raises(InputFileError, match="larger than the 1 MB limit"):
        service.store_upload(Settings(), "big.csv", b"x" * (1024 * 1024 + 1))


def test_export_refuses_an_unknown_format(settings, tiny_loader, tmp_path):
    job_id = _start(settings, limit=2)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    with pytest.raises(InputFileError, match="choose a .csv, .tsv or .xlsx"):
        export_job(settings, job_id, tmp_path / "out.pdf")


def test_an_export_stopped_half_way_leaves_the_file_before_it_and_no_piece(settings, tiny_loader, tmp_path, monkeypatch):
    """Written into the target, a killed or disk-full export left a file of its first rows that read as whole."""
    import errno

    from workbench.jobs import results

    job_id = _start(settings, limit=5)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    (tmp_path / "exports").mkdir()
    good = export_job(settings, job_id, tmp_path / "exports" / "out.csv")
    before = good.read_bytes()

    def disk_full(chunks, path):
        Path(path).write_text("Subject,Body\nhalf")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results, "write_text_chunks", disk_full)
    with pytest.raises(WorkbenchError, match="No space left on device"):
        export_job(settings, job_id, good)
    assert good.read_bytes() == before and sorted(p.name for p in good.parent.iterdir()) == ["out.csv"]


@pytest.mark.parametrize("seconds,text", [(0.2, "under a second"), (4.4, "4 s"), (61, "1 min 01 s"), (3725, "1 h 02 min")])
def test_durations_read_naturally(seconds, text):
    assert format_duration(seconds) == text


def test_pause_stops_after_the_batch_and_resume_finishes(settings, tiny_loader, monkeypatch):
    monkeypatch.setattr(ClassifyTask, "batch_size", 4)
    job_id = _start(settings, limit=10)
    assert run_job(settings, job_id, on_batch=lambda job: service.pause_job(settings, job.id),
                   encoder_loader=tiny_loader) == "paused"
    assert service.get_job(settings, job_id).done_rows == 4
    service.resume_job(settings, job_id, runner_pid=os.getpid())
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    assert service.get_job(settings, job_id).done_rows == 10


def test_a_batch_finished_after_a_pause_and_a_resume_elsewhere_is_left_to_the_new_run(settings, tiny_loader,
                                                                                       monkeypatch):
    # The new run (another process: `workbench jobs resume`) lists its rows to do at once; saving the old run's batch
    # too wrote those rows twice, and the new run failed on the database's one-result-a-row rule.
    monkeypatch.setattr(ClassifyTask, "batch_size", 4)
    job_id, original = _start(settings, limit=10), ClassifyTask.run_batch

    def paused_and_resumed_elsewhere(task, texts):
        service.pause_job(settings, job_id)
        service.resume_job(settings, job_id, runner_pid=os.getpid() + 1)
        return original(task, texts)

    monkeypatch.setattr(ClassifyTask, "run_batch", paused_and_resumed_elsewhere)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "running"  # the job is the new run's now
    assert service.get_job(settings, job_id).done_rows == 0


def test_retry_runs_only_the_failed_rows_again(settings, tiny_loader, monkeypatch):
    original, calls, broken = ClassifyTask.run_batch, [], [True]

    def flaky(self, texts):
        calls.append(len(texts))
        if broken[0] and any("Glow lamp" in t for t in texts):
            raise ValueError("temporary")
        return original(self, texts)

    monkeypatch.setattr(ClassifyTask, "run_batch", flaky)
    job_id = _start(settings, limit=6)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    assert service.get_job(settings, job_id).failed_rows == 1
    assert service.retry_failed_rows(settings, job_id) == 1
    calls.clear()
    broken[0] = False
    _claim(settings, job_id)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    job = service.get_job(settings, job_id)
    assert calls == [1] and (job.done_rows, job.failed_rows) == (6, 0)
    with pytest.raises(JobStateError):
        service.retry_failed_rows(settings, job_id)


def test_a_paused_job_with_rows_not_reached_is_resumed_not_retried(settings, tiny_loader, monkeypatch):
    """Retrying a paused job's failed rows ran every row it had not reached: a resume under another name."""
    _failing_on_the_glow_lamp_row(monkeypatch, "temporary")
    monkeypatch.setattr(ClassifyTask, "batch_size", 2)
    original, job_id = ClassifyTask.run_batch, _start(settings, limit=20)

    def paused_after_the_failure(task, texts):
        answered = original(task, texts)
        if service.get_job(settings, job_id).failed_rows:
            service.pause_job(settings, job_id)
        return answered

    monkeypatch.setattr(ClassifyTask, "run_batch", paused_after_the_failure)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "paused"
    job = service.get_job(settings, job_id)
    assert job.failed_rows == 1 and job.done_rows + job.failed_rows < 20
    assert service.retryable_rows(settings, job) == 0  # no Retry button: Resume is the way
    with pytest.raises(JobStateError, match="rows not reached yet: resume it"):
        service.retry_failed_rows(settings, job_id)


def test_a_row_too_long_for_the_model_is_not_offered_for_a_retry_it_would_fail(settings, tiny_loader, monkeypatch):
    from workbench.io.rows import TOO_LONG_FOR_THE_MODEL

    _failing_on_the_glow_lamp_row(monkeypatch, f"{TOO_LONG_FOR_THE_MODEL}it needs 9,000 tokens", TaskConfigError)
    job_id = _start(settings, limit=6)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    job = service.get_job(settings, job_id)
    assert job.failed_rows == 1 and service.retryable_rows(settings, job) == 0
    with pytest.raises(JobStateError, match="no failed rows that running again could change"):
        service.retry_failed_rows(settings, job_id)


def test_a_retry_from_the_command_line_is_claimed_by_it_at_once(settings, tiny_loader, monkeypatch):
    original = ClassifyTask.run_batch
    monkeypatch.setattr(ClassifyTask, "run_batch", lambda self, texts: original(self, texts) if not any(
        "Glow lamp" in t for t in texts) else (_ for _ in ()).throw(ValueError("temporary")))
    job_id = _start(settings, limit=6)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    assert service.get_job(settings, job_id).status == "completed"  # with one failed row
    assert service.retry_failed_rows(settings, job_id, runner_pid=4242) == 1
    job = service.get_job(settings, job_id)  # no moment "queued", when the worker could take it
    assert (job.status, job.runner_pid) == ("running", 4242)


def test_every_row_run_with_one_failed_points_resume_to_retry_which_leaves_empty_rows_alone(settings, tiny_loader,
                                                                                            monkeypatch, tmp_path):
    _failing_on_the_glow_lamp_row(monkeypatch, "temporary")
    rows = pd.read_csv(EMAILS).head(6)
    rows.loc[5, ["Subject", "Body"]] = ""  # an empty row fails too, for good
    rows.to_csv(tmp_path / "six.csv", index=False)
    job_id = _start(settings, tmp_path / "six.csv")
    run_job(settings, job_id, encoder_loader=tiny_loader)
    job = service.get_job(settings, job_id)
    assert job.failed_rows == 2 and service.retryable_rows(settings, job) == 1
    with pytest.raises(JobStateError, match="retry the failed rows instead"):
        service.resume_job(settings, job_id)
    assert service.retry_failed_rows(settings, job_id) == 1
    assert service.get_job(settings, job_id).failed_rows == 1  # the empty row's failure stays


def test_trying_a_fine_tune_template_uses_the_model_as_it_is(settings, tiny_encoder, monkeypatch):
    monkeypatch.setattr("workbench.jobs.service.load_encoder", lambda _settings, _name=None: tiny_encoder)
    monkeypatch.setattr("workbench.tasks.classify.fine_tune_encoder",
                        lambda *args, **kwargs: pytest.fail("a 5-row try must not start a fine-tune"))
    spec = spec_from_dict({"task": "classify", "text": ["Body"], "fine_tune": True,
                           "examples": [{"text": "refund my card", "label": "billing"},
                                        {"text": "parcel is late", "label": "shipping"}]})
    tried = service.try_on_rows(settings, spec, read_table(EMAILS).head(5))
    assert len(tried) == 5 and set(tried["label"]) <= {"billing", "shipping"}


def test_rows_per_second_counts_the_set_up_the_job_waited_for(settings, tiny_loader, monkeypatch):
    monkeypatch.setattr(ClassifyTask, "setup", lambda task, setup=ClassifyTask.setup: time.sleep(0.5) or setup(task))
    job_id = _start(settings, limit=10)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    job = service.get_job(settings, job_id)
    assert job.busy_seconds >= 0.5 and job_progress(job).rows_per_second <= 10 / 0.5


def test_a_job_stored_before_a_rule_for_new_settings_still_resumes_and_shows(settings, tiny_loader):
    job_id = _start(settings, limit=4)
    with session_scope(settings) as session:  # labels in two capitals, accepted when this job was made
        job = repo.get_job(session, job_id)
        job.spec = {**job.spec, "labels": [*job.spec["labels"], {"name": "BILLING"}]}
    with pytest.raises(TaskConfigError, match="whatever its capitals"):
        service.create_job(settings, spec_from_dict(service.get_job(settings, job_id).spec), EMAILS)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    assert len(results_frame(settings, job_id)) == 4


def test_a_page_reloads_a_running_jobs_rows_once_more_are_saved_and_a_while_has_passed():
    from workbench.db.schema import Job
    from workbench.jobs.progress import TABLE_REFRESH_SECONDS, table_is_behind

    job = Job(done_rows=16, failed_rows=1, total_rows=30)
    assert table_is_behind(job, answered_when_shown=0, seconds_shown=TABLE_REFRESH_SECONDS)
    assert not table_is_behind(job, answered_when_shown=0, seconds_shown=TABLE_REFRESH_SECONDS - 1)  # not every tick
    assert not table_is_behind(job, answered_when_shown=17, seconds_shown=60)  # nothing new to show
    big = Job(done_rows=5_000, failed_rows=0, total_rows=100_000)  # its reload takes seconds of the job's cores
    assert not table_is_behind(big, answered_when_shown=0, seconds_shown=60)
    assert table_is_behind(big, answered_when_shown=0, seconds_shown=100)


def test_counts_read_as_a_person_says_them():
    from workbench.jobs.progress import counted

    assert (counted(1, "failed row"), counted(2, "model"), counted(1200, "row")) == ("1 failed row", "2 models", "1,200 rows")


def test_a_slow_pace_reads_as_the_time_a_row_takes_not_as_zero_rows_a_second():
    from workbench.jobs.progress import pace

    assert (pace(42.04), pace(1.0), pace(0.4), pace(0.04)) == ("42.0 rows/s", "1.0 rows/s", "2.5 s a row", "25 s a row")
    assert pace(1 / 90) == "1 min 30 s a row"


def test_a_running_job_with_no_row_saved_says_it_is_answering_its_first_rows():
    from workbench.db.schema import Job
    from workbench.jobs.progress import describe, job_progress

    assert "answering the first rows" in describe(job_progress(Job(status="running", done_rows=0, failed_rows=0, total_rows=30)))
    assert "answering" not in describe(job_progress(Job(status="running", done_rows=16, failed_rows=0, total_rows=30)))
    assert "answering" not in describe(job_progress(Job(status="queued", done_rows=0, failed_rows=0, total_rows=30)))


def test_a_stopped_job_with_failed_rows_and_rows_left_is_still_resumed():
    from workbench.jobs.progress import only_failed_rows_left

    assert not only_failed_rows_left(Job(status="paused", done_rows=3, failed_rows=2, total_rows=10))
    assert only_failed_rows_left(Job(status="completed", done_rows=8, failed_rows=2, total_rows=10))


@pytest.mark.parametrize("status", ["paused", "cancelled", "failed", "queued"])
def test_a_job_that_is_not_running_shows_no_time_left(status):
    from workbench.jobs.progress import describe, job_progress

    job = Job(status=status, done_rows=3, failed_rows=0, total_rows=10, busy_rows=3, busy_seconds=3.0, seconds_left=7.0)
    assert job_progress(job).seconds_left is None and "left" not in describe(job_progress(job))


def test_the_adaptation_sample_leaves_out_empty_and_over_long_rows():
    from workbench.io.rows import EMPTY_ROW, OVER_LENGTH_LIMIT, RowText
    from workbench.jobs.runner import adaptation_sample

    rows = [RowText(0, "a"), RowText(1, "", f"{EMPTY_ROW}text"), RowText(2, "", f"{OVER_LENGTH_LIMIT}..."), RowText(3, "b")]
    assert adaptation_sample(rows) == ["a", "b"]
    assert adaptation_sample(rows, size=1) == ["a"]


def test_a_job_given_its_header_row_reads_shows_and_writes_back_the_rows_under_it(settings, tiny_loader, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    for row in (["Support tickets – March"], ["Subject", "Body"], ["Refund", "I was charged twice"],
                ["Parcel", "Where is my parcel?"]):
        book.active.append(row)
    book.save(tmp_path / "report.xlsx")
    job_id = _start(settings, tmp_path / "report.xlsx", header_row=2)
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    frame = results_frame(settings, job_id)
    assert frame["Subject"].tolist() == ["Refund", "Parcel"] and set(frame["label"]) <= LABELS
    rows = list(load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx")).active.iter_rows(values_only=True))
    assert rows[0][0] == "Support tickets – March"  # the user's title stays where it was
    assert [(row[0], row[2]) for row in rows[1:]] == [("Subject", "label"),
                                                      *zip(frame["Subject"], frame["label"], strict=True)]
    # Found by itself, the title is the header: the message says which row to choose.
    with pytest.raises(TaskConfigError, match=r"no columns 'Subject', 'Body'.* Row 2 holds those names: choose it as "
                                              r"the header row .*`--header-row 2` on the command line"):
        service.create_job(settings, ZERO_SHOT, tmp_path / "report.xlsx")


def test_a_header_with_a_name_twice_is_not_told_to_choose_the_row_it_is_on(settings, tmp_path):
    """It said "Row 1 holds that name: choose it as the header row" of the row already read."""
    (tmp_path / "twice.csv").write_text("ID,Body,Body\n1,refund,please\n", encoding="utf-8")
    spec = spec_from_dict({"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"]})
    with pytest.raises(InputFileError) as raised:
        service.create_job(settings, spec, tmp_path / "twice.csv")
    assert "more than one column named 'Body'" in str(raised.value) and "holds that name" not in str(raised.value)


def test_a_full_disk_fails_the_batch_at_once_with_what_to_do(settings, tiny_loader, monkeypatch, capsys):
    """Waiting does not free space: the saves were retried for 42 s, then two tracebacks were printed."""
    from sqlalchemy.exc import OperationalError

    from workbench.jobs import runner

    def full(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(runner, "_saved", full)
    monkeypatch.setattr(runner, "SAVE_RETRY_SECONDS", (60.0,))  # would be waited for, were it retried
    job_id = _start(settings, limit=5)
    started = time.monotonic()
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "failed"
    assert time.monotonic() - started < 30 and "Traceback" not in capsys.readouterr().err
    assert service.get_job(settings, job_id).error == runner.DISK_FULL
