"""The Templates page: saved templates in versions, each shown and downloaded as a task file; task files imported."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.jobs import templates
from workbench.tasks.spec import task_file_text
from workbench.ui.context import app_settings
from workbench.ui.new_job import use_template
from workbench.ui.widgets import file_stem, local_time, saved_ids, user_errors

TASK_FILE_TYPES = (".yaml", ".yml")


def import_form() -> None:
    with st.expander("Import a task file"):
        uploaded = st.file_uploader("Task file (YAML), with its examples file if it names one", accept_multiple_files=True,
                                    type=["yaml", "yml", "csv", "tsv", "xlsx"], key="task-file")
        # By name: the picker keeps a file chosen twice twice.
        task_files = list({f.name: f for f in uploaded or [] if f.name.lower().endswith(TASK_FILE_TYPES)}.values())
        attached = {f.name: f.getvalue() for f in uploaded or [] if not f.name.lower().endswith(TASK_FILE_TYPES)}
        if uploaded and not task_files:
            st.info("Add the task file (.yaml) itself.")
        if task_files and st.button("Import"):
            for task_file in task_files:
                with user_errors():
                    known = saved_ids()
                    saved = templates.import_task_file(app_settings(), task_file.name, task_file.getvalue(), attached)
                    st.success(f"Imported '{task_file.name}' as '{saved.name}', version {saved.version}." if
                               saved.id not in known else f"'{task_file.name}' has the settings of '{saved.name}', "
                               f"version {saved.version}, already: nothing new was saved.")
                    if note := templates.missing_model_note(app_settings(), saved):
                        st.warning(note)
                    st.session_state[SHOWN] = saved.id  # shown below (the list is drawn after this form)


def template_table(saved: list) -> None:
    rows = [{"name": t.name, "version": t.version, "task": t.task, "reads": ", ".join(t.spec.get("text") or []),
             "saved": local_time(t.created_at)} for t in saved]
    st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)


SHOWN = "template-shown"


def template_detail(saved: list) -> None:
    by_id = {t.id: t for t in saved}
    if st.session_state.get(SHOWN) not in by_id:
        # Deleted meanwhile: the first one instead, set as the box's value. Only forgotten, the browser went on showing
        # the deleted version's name over the first one's settings, and a second Delete deleted that one.
        st.session_state[SHOWN] = next(iter(by_id))
    shown = st.selectbox("Template", list(by_id), format_func=lambda i: f"{by_id[i].name} · version {by_id[i].version}",
                         key=SHOWN)
    template = by_id[shown]
    text = task_file_text(templates.template_spec(template))
    st.code(text, language="yaml", wrap_lines=True)  # a long instruction or description ran off the box
    st.download_button("Download task file", text.encode(), file_name=f"{file_stem(template.name, 'template')}.v{template.version}.task.yaml",
                       mime="application/yaml", on_click="ignore")
    if st.button("Use it in a new job", type="primary", key=f"use-{template.id}"):
        use_template(template.id)
    st.caption("Or run it from the command line with `workbench run TASK.yaml INPUT -o OUTPUT`. On New job, 'Change "
               "these settings' opens it in the form, to save a new version or under another name.")
    delete_form(template)


def delete_form(template) -> None:
    with st.expander("Delete this version"):
        sure = st.checkbox(f"Yes, delete version {template.version} of '{template.name}'. Jobs that ran with it keep "
                           "their own copy of its settings.", key=f"delete-{template.id}")
        if st.button("Delete", disabled=not sure, key=f"delete-button-{template.id}"):
            with user_errors():
                templates.delete_template_version(app_settings(), template.id)
                st.session_state[NOTICE] = f"Deleted version {template.version} of '{template.name}'."
                st.rerun()


NOTICE = "templates-notice"


def notice() -> None:
    """What the last delete did, shown once after the page reloads."""
    if NOTICE in st.session_state:
        st.success(st.session_state.pop(NOTICE))
