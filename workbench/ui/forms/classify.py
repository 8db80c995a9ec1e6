"""classify's settings: labels, threshold, examples, several labels per row, fine-tuning."""

from __future__ import annotations

import pandas as pd

from workbench.ui.new_job import classify_settings


def settings_form(frame: pd.DataFrame, text_columns: list[str]) -> dict:
    return classify_settings(frame, text_columns, "classify")
