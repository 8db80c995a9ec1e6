"""What a user typed or chose, kept for their session whichever page they open.

Streamlit drops a widget's value as soon as a run does not draw the widget: another page opened, another task or
data source chosen, a form left incomplete for a moment. Ten queues with their descriptions were gone on coming back
from the Jobs page. A value the page itself sets is never dropped, so every run (whatever its page) sets each of
these widgets' values to themselves first.
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
                  "benchmark-latency-")


def keep_widget_values() -> None:
    """Run first on every page. Never for a file uploader, button or table editor: Streamlit refuses their values
    set (their content is kept elsewhere: the stored upload, the examples table's rows)."""
    for key in list(st.session_state):
        if is_kept(key):
            st.session_state[key] = st.session_state[key]


def is_kept(key: str) -> bool:
    return isinstance(key, str) and (key in FORM_KEYS or key.startswith(KEY_BEGINNINGS))
