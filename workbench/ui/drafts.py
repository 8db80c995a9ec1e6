"""The New job form kept in a draft named by the page's address (`?draft=…`): a reload (F5), a browser closed and
opened again on the address, or a restart of the app starts a new Streamlit session, whose form was empty. The
draft holds what the user typed and chose, and which stored upload they worked on; never the file's rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from workbench.io.drafts import load_draft, new_draft_id, save_draft
from workbench.ui.context import app_settings
from workbench.ui.kept_state import is_kept

DRAFT_PARAM = "draft"
_RESTORED, _DRAFT_ID, _LAST_SAVED = "draft-restored", "draft-id", "draft-last-saved"
# The form's state that is no widget's value: the file worked on, an extract examples table, an opened template.
PLAIN_KEYS = ("kept-upload-new-job", "kept-upload-examples", "extract-examples-last", "template-examples",
              "template-extras", "prefill-opened")
# Kept for the session, but the Job results page's: a draft is the New job form.
NOT_THE_FORM = ("filter-", "review-", "benchmark-", "kept-upload-benchmark", "data-source-benchmark",
                "sample-file-benchmark")


def restore_draft() -> None:
    """Once a session, before any widget is drawn: the form the address names."""
    if st.session_state.get(_RESTORED):
        return
    st.session_state[_RESTORED] = True
    draft_id = st.query_params.get(DRAFT_PARAM)
    values = load_draft(app_settings(), draft_id) if draft_id else None
    if values is None:
        return
    st.session_state.update({key: _decoded(value) for key, value in values.items()})
    st.session_state[_DRAFT_ID], st.session_state[_LAST_SAVED] = draft_id, values


def name_draft_in_address(on_the_form: bool) -> None:
    """Before the page is drawn, the address names the form's draft: a reload (F5) finds the form again.

    Not after the page: one that stops early (no file picked yet, a form not complete) sends nothing more to the
    browser, so its address named no draft and a reload there lost what was typed. On the other pages the address
    names the draft the session has, if any: a reload of the Jobs page, to see progress, kept the form too."""
    draft_id = st.session_state.setdefault(_DRAFT_ID, new_draft_id()) if on_the_form \
        else st.session_state.get(_DRAFT_ID)
    if draft_id and st.query_params.get(DRAFT_PARAM) != draft_id:
        st.query_params[DRAFT_PARAM] = draft_id


def save_form_draft() -> None:
    """After each run of the New job page: the form's values, written when they changed, under the address's id."""
    values = {key: _encoded(st.session_state[key]) for key in list(st.session_state) if _in_draft(key)}
    values = {key: value for key, value in values.items() if value is not None}
    if values != st.session_state.get(_LAST_SAVED):
        save_draft(app_settings(), st.session_state[_DRAFT_ID], values)
        st.session_state[_LAST_SAVED] = values


def _in_draft(key) -> bool:
    return isinstance(key, str) and (is_kept(key) or key in PLAIN_KEYS) and not key.startswith(NOT_THE_FORM)


def _encoded(value):
    """A value as JSON holds it; None for what a draft does not keep."""
    if isinstance(value, pd.DataFrame):
        return {"table": value.astype(object).where(value.notna(), None).to_dict("split")}
    if hasattr(value, "upload_id") and hasattr(value, "path"):  # new_job.ChosenInput
        return {"upload": {"path": str(value.path), "name": value.name, "upload_id": value.upload_id}}
    if isinstance(value, str | bool | int | float | list | tuple | dict) or value is None:
        return value
    return None


def _decoded(value):
    if isinstance(value, dict) and set(value) == {"table"}:
        split = value["table"]
        return pd.DataFrame(split["data"], columns=split["columns"])
    if isinstance(value, dict) and set(value) == {"upload"}:
        from workbench.ui.new_job import ChosenInput

        upload = value["upload"]
        return ChosenInput(Path(upload["path"]), upload["name"], upload["upload_id"]) if Path(upload["path"]).exists() \
            else None
    return value
