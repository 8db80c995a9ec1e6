import streamlit as st

from workbench.ui.jobs_list import job_list
from workbench.ui.widgets import JOBS_NOTICE

st.title("Jobs")
st.caption("Rows/s here is over each job's whole run, loading its model included; the Benchmark page leaves loading "
           "out, so a model's figure there is higher.")
if JOBS_NOTICE in st.session_state:
    st.success(st.session_state.pop(JOBS_NOTICE))

job_list()
