import streamlit as st

from workbench.jobs import service
from workbench.ui.context import app_settings, selected_job_id
from workbench.ui.widgets import cancel_button, download_buttons, job_header, job_progress_bar, label_chart, user_errors

st.title("Job results")
jobs = service.list_jobs(app_settings())
if not jobs:
    st.info("No jobs yet. Start one on the New job page, or run the demo from Home.")
    st.stop()

ids = [job.id for job in jobs]
current = selected_job_id()
job_id = st.selectbox("Job", ids, index=ids.index(current) if current in ids else 0,
                      format_func=lambda i: f"#{i} {next(j.name for j in jobs if j.id == i)}")
st.query_params["job"] = str(job_id)


ACTIVE = ("queued", "running")
started_active = service.get_job(app_settings(), job_id).status in ACTIVE


@st.fragment(run_every=1 if started_active else None)
def live_progress() -> None:
    job = service.get_job(app_settings(), job_id)
    job_header(job)
    job_progress_bar(job)
    cancel_button(job)
    if started_active and job.status not in ACTIVE:
        st.rerun()  # the whole page, so the table and downloads show the finished job


live_progress()
with user_errors():
    frame = service.results_frame(app_settings(), job_id)
    label_column = next((c for c in ("label_result", "label") if c in frame.columns), None)
    if label_column:
        st.subheader("Label counts")
        label_chart(frame, label_column)
    st.subheader("Rows")
    st.dataframe(frame, width="stretch", hide_index=True)
    download_buttons(job_id)
