import streamlit as st

from workbench.jobs import service
from workbench.ui.context import SAMPLE_DIR, app_settings, open_job
from workbench.ui.widgets import user_errors

st.title("🧰 SLM Workbench")
st.markdown(
    """
Upload a spreadsheet of texts — emails, tickets, reviews — pick a task, and a **small language model
running on this computer** processes every row. Nothing leaves the machine.

**What it can do with each row:** *classify* it under your labels · *route* it to one of your queues, or a fallback
queue when none fits · *extract* fields such as names, amounts and dates into columns · *summarize* it · answer your
own *custom* instruction.
"""
)
# The demo first: under the page list it was below the fold of a 1366×768 laptop screen.
st.subheader("Try it now")
st.write("Sort 64 sample support emails into six queues, with a few labelled examples.")
DEMO = (SAMPLE_DIR / "support_emails.task.yaml", SAMPLE_DIR / "support_emails.csv")
earlier = service.latest_job_of(app_settings(), *DEMO)
demo, own = st.columns(2)
if earlier and demo.button(f"Open the demo job (#{earlier.id}, {earlier.status})", type="primary"):
    open_job(earlier.id)
if demo.button("▶ Run the demo again" if earlier else "▶ Run the demo on sample support emails",
               type="secondary" if earlier else "primary"):
    with user_errors(), st.spinner("Creating the demo job…"):
        open_job(service.create_job_from_task_file(app_settings(), *DEMO))
own.page_link("app_pages/new_job.py", label="Start with your own file", icon=":material/upload_file:")

st.subheader("How it works")
st.markdown(
    """
1. **New job**: upload a CSV or Excel file, choose the text column(s), set up your labels, try it on 5 rows.
2. **Jobs**: the job runs in the background; you can close the browser and come back.
3. **Job results**: review the answers with their confidence and download them as CSV or Excel; see how good
   they are against a column of right answers in your file, or against the rows you have reviewed.
4. **Templates**: keep a job's settings to run again on next month's file, or share them as a file.
5. **Models**: the models on this machine, and adding your own.
6. **Benchmark**: run several models (or smaller, faster versions of one) on your labelled rows and compare how
   often each is right, how fast it is, and what 1,000 rows cost here against a paid online AI service.
"""
)
