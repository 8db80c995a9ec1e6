"""The settings form of each template on the New job page: `settings_form(frame, text_columns) -> dict`.

One module per template; the dict a form returns is the template's settings, as in a task file (§5).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from workbench.ui.forms import classify, custom, extract, route, summarize

SettingsForm = Callable[[pd.DataFrame, list[str]], dict]

FORMS: dict[str, SettingsForm] = {
    "classify": classify.settings_form,
    "route": route.settings_form,
    "extract": extract.settings_form,
    "summarize": summarize.settings_form,
    "custom": custom.settings_form,
}
