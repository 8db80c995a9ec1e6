"""A large job's download written in the background (jobs/prepared.py)."""

import threading

from tests.conftest import SAMPLE_DIR
from workbench.jobs import prepared, service
from workbench.jobs.deletion import delete_job
from workbench.tasks.spec import spec_from_dict

SPEC = spec_from_dict({"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"]})


def _stopped_job(settings) -> int:
    job_id = service.create_job(settings, SPEC, SAMPLE_DIR / "support_emails.csv", limit=4)
    service.cancel_job(settings, job_id)
    return job_id


def test_one_writing_at_a_time_then_the_file_is_put_in_place(settings, monkeypatch):
    release = threading.Event()

    def slow_export(_settings, _job_id, path):
        release.wait(10)
        path.write_bytes(b"workbook")

    monkeypatch.setattr(prepared, "export_job", slow_export)
    job_id = _stopped_job(settings)
    first = prepared.start(settings, job_id, "xlsx")
    assert prepared.start(settings, job_id, "xlsx") is first and not first.finished  # a second click waits for it
    assert prepared.prepared_at(settings, job_id, "xlsx") is None  # nothing offered while it is written
    release.set()
    _join_writers(job_id)
    assert first.finished and first.error is None
    assert prepared.prepared_path(settings, job_id, "xlsx").read_bytes() == b"workbook"
    assert prepared.start(settings, job_id, "xlsx") is not first  # written: it can be written again
    _join_writers(job_id)


def _join_writers(job_id: int) -> None:
    for thread in threading.enumerate():
        if thread.name.startswith(f"prepare-job-{job_id}-"):
            thread.join(10)


def test_deleting_the_job_removes_its_prepared_file(settings):
    job_id = _stopped_job(settings)
    prepared.prepared_path(settings, job_id, "xlsx").write_bytes(b"workbook")
    delete_job(settings, job_id)
    assert not prepared.prepared_path(settings, job_id, "xlsx").exists()


def test_a_job_is_written_first_from_so_many_cells_its_input_and_answers_columns_counted(settings, monkeypatch):
    job = service.get_job(settings, _stopped_job(settings))  # 4 rows × (4 input columns + label, confidence, review)
    monkeypatch.setattr(prepared, "PREPARED_XLSX_CELLS", 28)
    assert prepared.written_first(job)
    monkeypatch.setattr(prepared, "PREPARED_XLSX_CELLS", 29)
    assert not prepared.written_first(job)
    job.input_path = str(settings.data_dir / "gone.csv")  # its answers alone: 4 rows × 3 columns
    monkeypatch.setattr(prepared, "PREPARED_XLSX_CELLS", 12)
    assert prepared.written_first(job)
