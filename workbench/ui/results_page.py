"""The Job results page: pick a job, follow it live, and see, filter, review, score and download its answers."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import streamlit as st

from workbench.db.repo import ACTIVE_STATUSES
from workbench.db.schema import Job
from workbench.errors import NotFoundError
from workbench.jobs import compare, review, service
from workbench.jobs.progress import answered_rows, table_is_behind, table_refresh_seconds
from workbench.tasks.spec import spec_from_dict, task_file_text
from workbench.ui.context import app_settings, job_answers, selected_job_id, start_worker
from workbench.ui.evaluation import evaluation_section
from workbench.ui.filters import filtered_rows
from workbench.ui.prepared_download import xlsx_section_for
from workbench.ui.review import TABLE_SHOWS_REVIEWS, review_section
from workbench.ui.widgets import (
    answer_column,
    confidence_chart,
    delete_section,
    download_buttons,
    download_failures,
    download_name,
    job_controls,
    job_header,
    job_progress_bar,
    label_chart,
    result_summary,
    results_table,
    user_errors,
)

# Each refresh costs the server CPU the job needs (at 1 s, ~15% of a core of two); rows are saved in batches that
# take ~10 s or more, so a faster refresh would show nothing new.
REFRESH_SECONDS = 2
STOPPED_REFRESH_SECONDS = 10  # a stopped job changes only when someone resumes it


def chosen_job() -> Job | None:
    """The job the link names (or the newest), in a picker of every job; None when there is none yet."""
    jobs = service.list_jobs(app_settings())
    if not jobs:
        st.info("No jobs yet. Start one on the New job page, or run the demo from Home.")
        return None
    current = selected_job_id()
    jobs += _older_job(current, jobs)
    names = {job.id: f"#{job.id} {job.name} · {job.task}" for job in jobs}
    if current is None and st.query_params.get("job"):  # "?job=abc": a link typed or cut short
        st.warning(f"'{st.query_params['job']}' is no job number. Showing the newest job.")
    if current is not None and current not in names:  # an old link or bookmark: say so rather than show another job
        st.warning(f"There is no job #{current} (it was deleted, or belongs to another data folder). Showing the "
                   "newest job.")
    # Keyed, and set only when the link names another job: a picker whose index followed the link was a new widget at
    # every pick, and every second pick was lost.
    shown = current if current in names else next(iter(names))
    if st.session_state.get(PICKED) != shown:
        st.session_state[PICKED] = shown
    job_id = st.selectbox("Job", list(names), key=PICKED, format_func=names.get, on_change=_follow_pick)
    st.query_params["job"] = str(job_id)
    st.session_state["job_id"] = job_id  # the sidebar's Job results (its address names no job) opens it again
    return service.get_job(app_settings(), job_id)  # read again by the live part; fresh on every full run


PICKED = "results-job"


def _older_job(job_id: int | None, listed: list[Job]) -> list[Job]:
    """The job a link names, when it is older than the jobs the picker lists (it said "There is no job #1")."""
    if job_id is None or any(job.id == job_id for job in listed):
        return []
    try:
        return [service.get_job(app_settings(), job_id)]
    except NotFoundError:  # deleted, or never made: the page says so
        return []


def _follow_pick() -> None:
    """The link follows the pick, before the run that reads it."""
    st.query_params["job"] = str(st.session_state[PICKED])
    st.session_state["job_id"] = st.session_state[PICKED]


def job_results(job: Job) -> None:
    """Everything about one job, its answers read once for the whole page."""
    model_frame = frame = None
    with user_errors():
        model_frame = job_answers(job)
        frame = review.with_job_reviews(app_settings(), job.id, model_frame, job.spec)
    _live_progress(job, (frame, model_frame), time.monotonic(), answered_rows(job))
    if frame is None:
        _without_rows(job)
    else:
        with user_errors():
            _answers(job, frame, model_frame)
    settings_section(job)
    delete_section(job)


def settings_section(job: Job) -> None:
    """The settings the job ran with, as a task file: its template may have changed since, or been deleted, and the
    labels' descriptions and examples were nowhere on the page."""
    with st.expander("Settings this job ran with"), user_errors():
        text = task_file_text(spec_from_dict(job.spec))
        st.code(text, language="yaml", wrap_lines=True)
        st.download_button("Download as a task file", text.encode(), file_name=download_name(job, "task.yaml",
                           "settings"), mime="application/yaml", on_click="ignore", key=f"settings-{job.id}")
        st.caption("Defaults are written out, as the job kept them. Import the file on the Templates page to run "
                   "these settings again, or run it with `workbench run TASK.yaml INPUT -o OUTPUT`.")


def _live_progress(at_start: Job, frames: tuple[pd.DataFrame | None, pd.DataFrame | None], loaded_at: float,
                   answered_at_load: int) -> None:
    """`frames`: the answers with the reviews applied, and the model's own."""
    started_active = at_start.status in ACTIVE_STATUSES
    frame, model_frame = frames

    # A stopped job is watched too, more slowly: resumed from another tab, the Jobs page or the command line, it
    # showed "paused" with the rows of the moment it was opened, also after it had finished.
    @st.fragment(run_every=REFRESH_SECONDS if started_active else STOPPED_REFRESH_SECONDS)
    def live() -> None:
        start_worker()  # a worker that died while the page stays open is started again, not only on a full page load
        job = service.get_job(app_settings(), at_start.id)
        job_header(job)
        job_progress_bar(job)
        job_controls(job)
        download_failures(job.id)
        if frame is not None:
            result_summary(frame, job, model_frame)  # rows answered and failed from the job as it is now
            _read_when(job, answered_at_load)
        if job.status != at_start.status:
            st.rerun()  # the whole page, so the table and downloads show the job as it is now
        if started_active and table_is_behind(job, answered_at_load, time.monotonic() - loaded_at):
            st.rerun()  # the table, charts and review queue show the rows saved since

    live()


def _read_when(job: Job, answered_at_load: int) -> None:
    """Said while the figures read with the rows lag the job's own count: "Rows answered 14,720" beside "Need review 0"
    and an empty chart looked wrong, not late."""
    if job.status in ACTIVE_STATUSES and answered_rows(job) > answered_at_load:
        st.caption(f"Need review, average confidence, the charts and the table count the {answered_at_load:,} rows "
                   f"answered when they were last read; they are read again about every "
                   f"{table_refresh_seconds(job):.0f} s while the job runs.")


def _without_rows(job: Job) -> None:
    if not Path(job.input_path).exists():
        download_buttons(job, xlsx_section_for(job))  # a job whose input copy is gone still has its answers (by row)


def _answers(job: Job, frame: pd.DataFrame, model_frame: pd.DataFrame) -> None:
    _charts(frame)
    st.subheader("Rows")
    results_table(filtered_rows(frame, job, model_frame))
    download_buttons(job, xlsx_section_for(job))
    st.session_state[TABLE_SHOWS_REVIEWS] = True  # drawn just now, with every review saved so far
    review_section(job, model_frame)
    # The model's own answers, not the reviewers' corrections; a comparison's job against the comparison's answers;
    # the reviewed rows' answers can be the right ones.
    evaluation_section(model_frame, compare.answers_column_of(app_settings(), job),
                       reviewed=lambda: review.with_job_reviews(app_settings(), job.id, model_frame, job.spec))


def _charts(frame: pd.DataFrame) -> None:
    queue_column = answer_column(frame, "queue")
    label_column = answer_column(frame, "label") or queue_column
    if label_column:
        st.subheader("Rows per queue" if label_column == queue_column else "Label counts")
        label_chart(frame, label_column)
    confidence_chart(frame)
