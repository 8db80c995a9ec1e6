"""Widgets several pages share: job progress, results, downloads, errors."""

from __future__ import annotations

from contextlib import contextmanager

import pandas as pd
import streamlit as st

from workbench.errors import WorkbenchError
from workbench.jobs import service
from workbench.jobs.progress import describe, job_progress
from workbench.ui.context import app_settings

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_ICONS = {"queued": "⏳", "running": "▶️", "completed": "✅", "failed": "❌", "cancelled": "⏹️"}


@contextmanager
def user_errors():
    """Show a WorkbenchError as a message the user can act on, not a traceback."""
    try:
        yield
    except WorkbenchError as exc:
        st.error(str(exc))


def job_header(job) -> None:
    st.subheader(f"{STATUS_ICONS.get(job.status, '')} Job #{job.id}: {job.name}")
    st.caption(f"Task: {job.task} · model: {job.model.get('name', 'default')} · status: {job.status}")


def job_progress_bar(job) -> None:
    progress = job_progress(job)
    st.progress(progress.fraction, text=describe(progress))
    if job.error:
        st.error(job.error)


def cancel_button(job) -> None:
    if job.status in ("queued", "running") and st.button("Cancel job", key=f"cancel-{job.id}"):
        with user_errors():
            service.cancel_job(app_settings(), job.id)
            st.rerun()


def label_chart(frame: pd.DataFrame, column: str) -> None:
    counts = frame[column][frame[column] != ""].value_counts().rename("rows")
    if not counts.empty:
        st.bar_chart(counts, horizontal=True)


def download_buttons(job_id: int) -> None:
    left, right = st.columns(2)
    for column, suffix, mime in ((left, "csv", "text/csv"), (right, "xlsx", XLSX_MIME)):
        # Built when clicked, not on every rerun: the file always holds the rows done by then.
        column.download_button(f"Download {suffix.upper()}", _exporter(job_id, suffix), file_name=f"job_{job_id}.{suffix}",
                               mime=mime, key=f"download-{suffix}-{job_id}", width="stretch")


def _exporter(job_id: int, suffix: str):
    def export() -> bytes:
        settings = app_settings()
        return service.export_job(settings, job_id, settings.exports_dir / f"job_{job_id}.{suffix}").read_bytes()

    return export
