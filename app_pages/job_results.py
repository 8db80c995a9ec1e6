import streamlit as st

from workbench.ui.results_page import chosen_job, job_results

st.title("Job results")
job = chosen_job()
if job is not None:
    job_results(job)
