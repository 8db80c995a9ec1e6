import time
from pathlib import Path

import streamlit as st

from workbench.jobs import compare, review, service
from workbench.jobs.progress import answered_rows, table_is_behind
from workbench.ui.context import app_settings, job_answers, selected_job_id, start_worker
from workbench.ui.evaluation import evaluation_section
from workbench.ui.filters import filtered_rows
from workbench.ui.review import TABLE_SHOWS_REVIEWS, review_section
from workbench.ui.widgets import (
    answer_column,
    confidence_chart,
    delete_section,
    download_buttons,
    job_controls,
    job_header,
    job_progress_bar,
    label_chart,
    result_summary,
    results_table,
    user_errors,
)

ACTIVE = ("queued", "running")

st.title("Job results")
jobs = service.list_jobs(app_settings())
if not jobs:
    st.info("No jobs yet. Start one on the New job page, or run the demo from Home.")
    st.stop()

names = {job.id: f"#{job.id} {job.name} · {job.task}" for job in jobs}
current = selected_job_id()
if current is not None and current not in names:  # an old link or bookmark: say so rather than show another job
    st.warning(f"There is no job #{current} (it was deleted, or belongs to another data folder). Showing the newest job.")
job_id = st.selectbox("Job", list(names), index=list(names).index(current) if current in names else 0,
                      format_func=names.get)
st.query_params["job"] = str(job_id)
job_at_start = service.get_job(app_settings(), job_id)  # read again by the live part; fresh on every full run
started_active = job_at_start.status in ACTIVE
# Each refresh costs the server CPU the job needs (at 1 s, ~15% of a core of two); rows are saved in
# batches that take ~10 s or more, so a faster refresh would show nothing new.
REFRESH_SECONDS = 2
loaded_at, answered_at_load = time.monotonic(), answered_rows(job_at_start)


@st.fragment(run_every=REFRESH_SECONDS if started_active else None)
def live_progress(frame) -> None:
    start_worker()  # a worker that died while the page stays open is started again, not only on a full page load
    job = service.get_job(app_settings(), job_id)
    job_header(job)
    job_progress_bar(job)
    job_controls(job)
    if frame is not None:
        result_summary(frame, job)  # rows answered and failed from the job as it is now
    if started_active and job.status not in ACTIVE:
        st.rerun()  # the whole page, so the table and downloads show the finished job
    if started_active and table_is_behind(job, answered_at_load, time.monotonic() - loaded_at):
        st.rerun()  # the table, charts and review queue show the rows saved since


model_frame = frame = None
with user_errors():
    model_frame = job_answers(job_at_start)
    frame = review.with_job_reviews(app_settings(), job_id, model_frame, job_at_start.spec)
live_progress(frame)
if frame is None:
    if not Path(job_at_start.input_path).exists():
        download_buttons(job_id)  # a job whose input copy is gone still has its answers (alone, by row number)
    delete_section(job_at_start)  # and can still be deleted
    st.stop()
with user_errors():
    queue_column = answer_column(frame, "queue")
    label_column = answer_column(frame, "label") or queue_column
    if label_column:
        st.subheader("Rows per queue" if label_column == queue_column else "Label counts")
        label_chart(frame, label_column)
    confidence_chart(frame)
    st.subheader("Rows")
    results_table(filtered_rows(frame, job_id))
    download_buttons(job_id)
    st.session_state[TABLE_SHOWS_REVIEWS] = True  # drawn just now, with every review saved so far
    review_section(job_at_start, model_frame)
    # The model's own answers, not the reviewers' corrections; a comparison's job against the comparison's answers;
    # the reviewed rows' answers can be the right ones.
    evaluation_section(model_frame, compare.answers_column_of(app_settings(), job_at_start), reviewed=frame)
delete_section(job_at_start)
