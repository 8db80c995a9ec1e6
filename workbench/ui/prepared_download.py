"""A large job's XLSX download, written in the background first (jobs/prepared.py), with its progress and errors."""

from __future__ import annotations

import time

import streamlit as st

from workbench.jobs import prepared
from workbench.ui.context import app_settings
from workbench.ui.widgets import XLSX_MIME, download_name, plain

SUFFIX = "xlsx"
WRITING_REFRESH_SECONDS = 2


def xlsx_section_for(job):
    """The XLSX side of the job's downloads: prepared first for a large job, else None (a download built on click)."""
    return prepared_xlsx if prepared.written_first(job) else None


def prepared_xlsx(job) -> None:
    """Prepare, wait, download. Only the writing is watched: a download button redrawn every few seconds could lose
    the file a click is asking for, so the page is drawn again, still, once the file is written."""
    state = prepared.preparing(app_settings(), job.id, SUFFIX)
    writing = state is not None and not state.finished

    @st.fragment(run_every=WRITING_REFRESH_SECONDS if writing else None)
    def section() -> None:
        now = prepared.preparing(app_settings(), job.id, SUFFIX)
        if writing and now is not None and not now.finished:
            st.info(f"Writing the workbook of {job.total_rows:,} rows… {time.monotonic() - now.started:,.0f} s. "
                    "You can leave this page: it goes on.")
            return
        if writing:
            st.rerun()  # written (or failed): drawn again without the watching
        _finished(job, now)

    section()


def _finished(job, state: prepared.Preparing | None) -> None:
    if state is not None and state.error:
        st.error(plain(state.error))
    written = prepared.prepared_at(app_settings(), job.id, SUFFIX)
    if written is not None:
        path = prepared.prepared_path(app_settings(), job.id, SUFFIX)
        st.download_button("Download XLSX", lambda: path.read_bytes(), file_name=download_name(job, SUFFIX),
                           mime=XLSX_MIME, key=f"download-prepared-{job.id}", width="stretch", on_click="ignore")
        st.caption(f"Written at {written:%H:%M}, with the rows answered by then.")
    else:
        st.caption(f"A workbook of {job.total_rows:,} rows can take minutes to write, longer than a browser waits "
                   "for a download: it is written first.")
    if st.button("Write the XLSX again" if written else "Prepare the XLSX", key=f"prepare-{job.id}", width="stretch"):
        prepared.start(app_settings(), job.id, SUFFIX)
        st.rerun()  # the whole page, so the section is drawn again watching the writing
