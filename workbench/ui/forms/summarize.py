"""summarize's settings: the style, the longest summary in words, and how many drafts to choose from."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.tasks.summarize import default_drafts

STYLES = {"short": "A few short sentences", "one_sentence": "One sentence", "bullets": "Bullet points",
          "subject_line": "An email subject line"}


def settings_form(frame: pd.DataFrame, text_columns: list[str]) -> dict:
    style = st.selectbox("Summary style", list(STYLES), format_func=STYLES.get, persist_state="session", key="summary-style")
    # Keyed by style, so choosing another style brings its own defaults (a subject line: 12 words, one draft).
    max_words = st.number_input("At most this many words", min_value=3, max_value=300,
                                value=12 if style == "subject_line" else 40, persist_state="session", key=f"summary-max-words-{style}")
    drafts = st.number_input("Drafts per summary", min_value=1, max_value=8, value=default_drafts(style),
                             persist_state="session", key=f"summary-drafts-{style}",
                             help="The model writes this many summaries of each text, each opening differently, and "
                                  "keeps the one closest in meaning to the text that does not just copy it. In a "
                                  "conversation (lines such as 'Agent: …' and 'Customer: …') the drafts open with "
                                  "its speakers: 'Agent and Customer…', 'Customer asks…', 'Agent wants…'. Four "
                                  "drafts gave clearly better summaries of conversations and take about twice the "
                                  "time of one; for subject lines one is the default.")
    return {"summary": {"style": style, "max_words": int(max_words), "drafts": int(drafts)}}
