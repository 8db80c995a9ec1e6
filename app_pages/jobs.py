import streamlit as st

from workbench.jobs import service
from workbench.ui.context import app_settings, start_worker
from workbench.ui.widgets import JOBS_NOTICE, job_controls, job_header, job_progress_bar, older_jobs, user_errors

st.title("Jobs")
st.caption("Rows/s here is over each job's whole run, loading its model included; the Benchmark page leaves loading "
           "out, so a model's figure there is higher.")
if JOBS_NOTICE in st.session_state:
    st.success(st.session_state.pop(JOBS_NOTICE))


@st.fragment(run_every=2)
def job_list() -> None:
    start_worker()  # a worker that died while the page stays open is started again, not only on a full page load
    jobs = None
    with user_errors():  # a fragment's error does not reach the page's handler (a damaged database)
        jobs = service.list_jobs(app_settings())
    if jobs is None:
        return
    if not jobs:
        st.info("No jobs yet. Start one on the New job page, or run the demo from Home.")
        return
    older_jobs(len(jobs))
    for job in jobs:
        with st.container(border=True):
            job_header(job)
            job_progress_bar(job)
            left, right = st.columns([1, 5])
            # A link, not a button calling switch_page: the list redraws every 2 s, and a redraw that overlapped the
            # button's page switch left the Job results page blank.
            left.page_link("app_pages/job_results.py", label="Open", query_params={"job": str(job.id)})
            with right:
                job_controls(job)


job_list()
