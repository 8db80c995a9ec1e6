"""route's settings: queues, threshold, fallback queue, priority words, examples."""

from __future__ import annotations

import pandas as pd

from workbench.ui.new_job import classify_settings


def settings_form(frame: pd.DataFrame, text_columns: list[str]) -> dict:
    # route shares classify's labels-and-examples form; the task name adds its queue-only settings.
    return classify_settings(frame, text_columns, "route")
