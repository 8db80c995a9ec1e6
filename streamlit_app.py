"""SLM Workbench: the web app's entry point (navigation and the shared sidebar)."""

import streamlit as st

from workbench.ui.context import start_worker
from workbench.ui.drafts import name_draft_in_address, restore_draft, save_form_draft
from workbench.ui.widgets import user_errors

st.set_page_config(page_title="SLM Workbench", page_icon="🧰", layout="wide")
start_worker()
restore_draft()  # a reloaded New job page finds its form again, before any widget is drawn

navigation = st.navigation(
    [
        st.Page("app_pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("app_pages/new_job.py", title="New job", icon="➕"),
        st.Page("app_pages/jobs.py", title="Jobs", icon="📋"),
        st.Page("app_pages/job_results.py", title="Job results", icon="📊"),
        st.Page("app_pages/templates.py", title="Templates", icon="🗂️"),
        st.Page("app_pages/models.py", title="Models", icon="🧠"),
        st.Page("app_pages/benchmark.py", title="Benchmark", icon="⏱️"),
    ]
)
st.sidebar.caption("Runs on this machine only: your data never leaves it.")
name_draft_in_address(on_the_form=navigation.url_path == "new_job")
try:
    with user_errors():  # what no page expected (a damaged database): a message, not a traceback
        navigation.run()
finally:  # also when the page stops early (a form not complete yet) or reruns
    if navigation.url_path == "new_job":
        save_form_draft()  # to disk only: a page that stopped early can send the browser nothing more
