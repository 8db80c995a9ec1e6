"""The Jobs page's list: every unfinished job, then the stopped ones a page at a time.

It redraws every 2 s. With every job in a box of its own, 200 jobs took 6-18 s to draw in the browser and kept half a
core of a two-core machine busy redrawing while the page stayed open, taken from the job it shows running.
"""

from __future__ import annotations

import streamlit as st

from workbench.db.schema import Job
from workbench.jobs import service
from workbench.ui.context import app_settings, start_worker
from workbench.ui.widgets import job_controls, job_header, job_progress_bar, user_errors

JOBS_PER_PAGE = 20
SKIPPED = "jobs-skipped"  # how many of the newest stopped jobs come before the page shown


@st.fragment(run_every=2)
def job_list() -> None:
    start_worker()  # a worker that died while the page stays open is started again, not only on a full page load
    listed = _listed()
    if listed is None:
        return
    if not listed.unfinished and not listed.stopped_count:
        st.info("No jobs yet. Start one on the New job page, or run the demo from Home.")
        return
    for job in listed.unfinished:
        job_box(job)
    if listed.unfinished and listed.stopped:
        st.subheader("Finished and stopped jobs", divider="gray")
    for job in listed.stopped:
        job_box(job)
    page_turns(listed.stopped_count)


def _listed() -> service.JobsPage | None:
    with user_errors():  # a fragment's error does not reach the page's handler (a damaged database)
        listed = service.jobs_page(app_settings(), st.session_state.get(SKIPPED, 0), JOBS_PER_PAGE)
        if not listed.stopped and st.session_state.get(SKIPPED):  # jobs deleted since: the last page there is now
            st.session_state[SKIPPED] = max(0, (listed.stopped_count - 1) // JOBS_PER_PAGE * JOBS_PER_PAGE)
            listed = service.jobs_page(app_settings(), st.session_state[SKIPPED], JOBS_PER_PAGE)
        return listed
    return None


def job_box(job: Job) -> None:
    with st.container(border=True):
        job_header(job)
        job_progress_bar(job)
        left, right = st.columns([1, 4], vertical_alignment="center")
        # A link, not a button calling switch_page: the list redraws every 2 s, and a redraw that overlapped the
        # button's page switch left the Job results page blank. Named with the job's number: a screen reader read out
        # seven links called "Open".
        left.page_link("app_pages/job_results.py", label=f"Open job #{job.id}", icon=":material/table_view:",
                       query_params={"job": str(job.id)})
        with right:
            job_controls(job)


def page_turns(stopped: int) -> None:
    """Newer and older pages of the stopped jobs, and any job opened by its number."""
    if stopped <= JOBS_PER_PAGE:
        return
    skipped = st.session_state.get(SKIPPED, 0)
    shown = f"{skipped + 1:,}–{min(skipped + JOBS_PER_PAGE, stopped):,}"
    text, newer, older = st.columns([4, 1, 1], vertical_alignment="center")
    text.caption(f"Finished and stopped jobs {shown} of {stopped:,}, newest first.")
    newer.button("Newer jobs", disabled=skipped == 0, on_click=_turn, args=(-JOBS_PER_PAGE,), width="stretch")
    older.button("Older jobs", disabled=skipped + JOBS_PER_PAGE >= stopped, on_click=_turn, args=(JOBS_PER_PAGE,),
                 width="stretch")
    job_by_number()


def _turn(step: int) -> None:
    st.session_state[SKIPPED] = max(0, st.session_state.get(SKIPPED, 0) + step)


def job_by_number() -> None:
    text, number = st.columns([3, 1], vertical_alignment="bottom")
    text.caption("Or open a job by its number:")
    wanted = number.number_input("Job number", min_value=1, value=None, step=1, placeholder="e.g. 12",
                                 label_visibility="collapsed", key="older-job")
    if wanted:
        st.page_link("app_pages/job_results.py", label=f"Open job #{wanted}", query_params={"job": str(wanted)})
