"""summarize's settings: the style and the longest summary in words."""

from __future__ import annotations

import pandas as pd
import streamlit as st

STYLES = {"short": "A few short sentences", "one_sentence": "One sentence", "bullets": "Bullet points",
          "subject_line": "An email subject line"}


def settings_form(frame: pd.DataFrame, text_columns: list[str]) -> dict:
    style = st.selectbox("Summary style", list(STYLES), format_func=STYLES.get)
    max_words = st.number_input("At most this many words", min_value=3, max_value=300,
                                value=12 if style == "subject_line" else 40)
    return {"summary": {"style": style, "max_words": int(max_words)}}
