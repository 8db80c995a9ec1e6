"""Per-process resources for the pages: settings, the worker, the sample files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from workbench.config import Settings, get_settings
from workbench.db.schema import Job
from workbench.errors import SettingError
from workbench.jobs import service
from workbench.jobs.results import input_rows, results_frame
from workbench.jobs.worker import ensure_worker

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


@st.cache_resource
def app_settings() -> Settings:
    return get_settings()


def start_worker() -> None:
    """Make sure a worker runs jobs in the background; cheap when one is alive already.

    WORKBENCH_START_WORKER=0 leaves it to whoever runs the worker as a service (and to the tests).
    """
    try:
        settings = app_settings()
    except SettingError as exc:  # every page needs the settings: say what to change, on every page, and stop there
        st.error(str(exc))
        st.stop()
    if settings.start_worker:
        ensure_worker(settings)


def sample_files() -> dict[str, Path]:
    return {p.name: p for p in sorted(SAMPLE_DIR.glob("*")) if p.suffix in (".csv", ".xlsx") and "examples" not in p.stem}


def open_job(job_id: int) -> None:
    st.session_state["job_id"] = job_id
    st.switch_page("app_pages/job_results.py", query_params={"job": str(job_id)})


def selected_job_id() -> int | None:
    value = st.query_params.get("job") or st.session_state.get("job_id")
    return int(value) if value and str(value).isdigit() else None


def job_answers(job: Job) -> pd.DataFrame:
    """The job's rows with the model's answers (not the reviews), read again only once the job has saved something
    since: each click on the Job results page reran it, and reading a 10,000-row job took 1.3 s."""
    # The counts as well as the time: not every change to a job's results sets updated_at (clear_failed_results).
    return _job_answers(job.id, (job.updated_at, job.status, job.done_rows, job.failed_rows), _input_stamp(job))


@st.cache_data(max_entries=2, show_spinner=False)
def _job_answers(job_id: int, saved_state: tuple, input_stamp: tuple | None) -> pd.DataFrame:  # keys of the cache
    rows = _input_rows(job_id, input_stamp) if input_stamp else None
    return results_frame(app_settings(), job_id, reviewed=False, rows=rows)


def _input_stamp(job: Job) -> tuple | None:
    """What the job's input rows depend on; None when its input copy is gone (results_frame says so)."""
    try:
        stat = Path(job.input_path).stat()
    except OSError:
        return None
    return job.input_path, stat.st_mtime_ns, stat.st_size, job.sheet, job.header_row, job.row_limit


@st.cache_data(max_entries=2, show_spinner=False)
def _input_rows(job_id: int, input_stamp: tuple) -> pd.DataFrame:
    """A running job's input rows, read once: its page reads the job's answers again as they are saved, and reading
    the rows of a 100,000-row CSV again took 1.7 s of each reload (a workbook's, more)."""
    return input_rows(service.get_job(app_settings(), job_id))
