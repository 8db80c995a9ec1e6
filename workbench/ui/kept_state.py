"""Which widgets keep what a user typed or chose for their session, whichever page they open.

Streamlit drops a widget's value as soon as a run does not draw the widget (another page opened, another task or
data source chosen, a form left incomplete for a moment): ten queues with their descriptions were gone on coming back
from the Jobs page. These widgets are drawn with `persist_state="session"`, Streamlit's own keeping: a value set to
itself at every run was still dropped once a part of another page refreshed itself (the Jobs list, every 2 s). The
New job form's draft (drafts.py) saves the same keys.
"""

from __future__ import annotations

import streamlit as st

# The settings form's widgets (New job and Benchmark): the keys prefill.py writes too.
FORM_KEYS = {"settings-source", "saved-template", "task", "label-lines", "fallback", "fine-tune", "own-cut-off",
             "min-similarity", "priority-lines", "multi-label", "label-threshold", "second-opinion",
             "second-opinion-model", "examples-source", "template-name", "job-name", "field-lines", "day-first",
             "summary-style", "instruction", "custom-max-words"}
# Keys made per task, model kind, summary style, file layout, page or job.
KEY_BEGINNINGS = ("threshold-", "model-", "summary-max-words-", "summary-drafts-", "text-columns-", "header-row-",
                  "data-source-", "sample-file-", "filter-", "review-all-", "review-answer-", "benchmark-rows-",
                  "benchmark-latency-", "sheet-", "label-column-", "examples-sheet-", "examples-text-", "examples-label-")


def is_kept(key: str) -> bool:
    return isinstance(key, str) and (key in FORM_KEYS or key.startswith(KEY_BEGINNINGS))


# New job and Benchmark draw the same settings form with the same keys: what was chosen on one changed the other (a task
# picked on Benchmark was New job's task). Each keeps its own: the form's state is set aside when the other page draws
# it, and put back when its page draws it again. Per-file choices (sheet, column names' row) and each page's own file
# are keyed apart already.
FORM_PREFIXES = ("threshold-", "model-", "summary-max-words-", "summary-drafts-", "text-columns-", "label-column-",
                 "examples-sheet-", "examples-text-", "examples-label-")
FORM_STATE = ("template-examples", "template-extras", "prefill-opened", "extract-examples-base", "extract-examples-last",
              "kept-upload-examples")
FORM_OWNER, SET_ASIDE, NEW_JOB = "form-owner", "form-set-aside-", "new-job"


def is_form_state(key) -> bool:
    return isinstance(key, str) and (key in FORM_KEYS or key.startswith(FORM_PREFIXES) or key in FORM_STATE)


def own_the_form(page: str) -> None:
    """Before `page` draws the settings form: the other page's values set aside, this page's put back (New job owns
    the form to begin with: a draft restored on opening the app is its)."""
    state = st.session_state
    owner = state.get(FORM_OWNER, NEW_JOB)
    if owner == page:
        return
    keys = [key for key in list(state) if is_form_state(key)]
    state[SET_ASIDE + owner] = {key: state[key] for key in keys}
    for key in keys:
        del state[key]
    state.update(state.pop(SET_ASIDE + page, {}))
    state[FORM_OWNER] = page
