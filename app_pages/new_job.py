import streamlit as st

from workbench.jobs import service
from workbench.ui import new_job as steps
from workbench.ui.context import app_settings, open_job
from workbench.ui.widgets import results_table, user_errors, written_answers_in_full


def new_job_page() -> None:
    """Returns early, never st.stop(): the form's draft is saved after the page, and a stopped run can neither read
    the form nor send the browser anything more, so a form not complete yet was never kept for a reload."""
    st.title("New job")
    chosen = steps.choose_input()
    if chosen is None:
        st.info("Upload a CSV or Excel file of texts, or pick a sample file, to begin.")
        return

    with user_errors():
        table = steps.choose_table(chosen)
        frame = steps.preview(chosen, table)
        spec, template = steps.job_settings(chosen, frame)
        if spec is None:
            steps.waiting_buttons()
            return
        if not template:
            steps.save_as_template(spec)
        spec = steps.named(spec)
        steps.load_generator_early(spec)

        try_col, run_col = st.columns(2)
        if try_col.button("Try on 5 rows", width="stretch"):
            with st.spinner(steps.try_wait_text(spec), show_time=True):
                tried = service.try_on_rows(app_settings(), spec, frame.head(5), context=frame)
            for note in tried.attrs.get("notes", []):
                st.caption(note)
            results_table(tried)
            written_answers_in_full(tried)
        if run_col.button("Run on all rows", type="primary", width="stretch"):
            with st.spinner("Counting the file's rows and saving the job…"):  # a 100,000-row workbook: 10-30 s
                job_id = service.create_job(app_settings(), spec, chosen.path, sheet=table.sheet, upload_id=chosen.upload_id,
                                            header_row=table.header_row)
            steps.forget_job_name()  # the settings stay for a next job; its name would be this one's again
            open_job(job_id)


new_job_page()
