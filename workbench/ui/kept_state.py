"""Which widgets keep what a user typed or chose for their session, whichever page they open.

Streamlit drops a widget's value as soon as a run does not draw the widget (another page opened, another task or
data source chosen, a form left incomplete for a moment): ten queues with their descriptions were gone on coming back
from the Jobs page. These widgets are drawn with `persist_state="session"`, Streamlit's own keeping: a value set to
itself at every run was still dropped once a part of another page refreshed itself (the Jobs list, every 2 s). The
New job form's draft (drafts.py) saves the same keys.
"""

from __future__ import annotations

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
