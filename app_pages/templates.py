import streamlit as st

from workbench.jobs import templates
from workbench.ui.context import app_settings
from workbench.ui.templates import import_form, notice, template_detail, template_table

st.title("Templates")
st.caption("Settings saved from New job, kept in versions: saving under the same name adds a version.")
notice()
import_form()
saved = templates.list_templates(app_settings())
if not saved:
    st.info("No saved templates yet. Set up a job on New job and save its settings as a template, or import a task file.")
    st.stop()
template_table(saved)
template_detail(saved)
