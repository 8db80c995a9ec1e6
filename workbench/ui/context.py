"""Per-process resources for the pages: settings, the worker, the sample files."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workbench.config import Settings, get_settings
from workbench.jobs.worker import ensure_worker

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


@st.cache_resource
def app_settings() -> Settings:
    return get_settings()


def start_worker() -> None:
    """Make sure a worker runs jobs in the background; cheap when one is alive already.

    WORKBENCH_START_WORKER=0 leaves it to whoever runs the worker as a service (and to the tests).
    """
    if app_settings().start_worker:
        ensure_worker(app_settings())


def sample_files() -> dict[str, Path]:
    return {p.name: p for p in sorted(SAMPLE_DIR.glob("*")) if p.suffix in (".csv", ".xlsx") and "examples" not in p.stem}


def open_job(job_id: int) -> None:
    st.session_state["job_id"] = job_id
    st.switch_page("app_pages/job_results.py", query_params={"job": str(job_id)})


def selected_job_id() -> int | None:
    value = st.query_params.get("job") or st.session_state.get("job_id")
    return int(value) if value and str(value).isdigit() else None
