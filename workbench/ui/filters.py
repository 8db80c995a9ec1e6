"""The Job results table's filters: which answer, how sure, which need review, failed or lost values, a word."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from workbench.io import write_table
from workbench.jobs.progress import counted
from workbench.jobs.review import reviewed_column
from workbench.ui.widgets import answer_column, download_name, written_bytes

# Offered as a list of answers to pick from up to this many different answers (a label or a queue, not free text).
MAX_LISTED_ANSWERS = 50


def filtered_rows(frame: pd.DataFrame, job, model_frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows the user asks to see; all of them until a filter is set. `model_frame`: the model's own answers, whose
    confidence a reviewed row keeps for the filter (a review blanks it in `frame`)."""
    job_id = job.id
    with st.expander("Filter the rows"):
        keep = pd.Series(True, index=frame.index)
        keep &= _by_answer(frame, job_id)
        keep &= _by_confidence(frame if model_frame is None else model_frame, job_id)
        keep &= _by_flags(frame, job_id)
        keep &= _by_words(frame, job_id)
    shown = frame[keep]
    if len(shown) < len(frame):
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.caption(f"Showing {counted(len(shown), 'row')} of {len(frame):,}. The downloads below hold every row.")
        right.download_button("Download these rows (CSV)", lambda: _csv(shown), file_name=download_name(job, "csv", "filtered_results"),
                              mime="text/csv", key=f"download-filtered-{job_id}", on_click="ignore")
    return shown


def _csv(rows: pd.DataFrame) -> bytes:
    """The rows shown, as the full download writes them (formula guard included)."""
    return written_bytes(lambda path: write_table(rows, path), "rows.csv")


def _by_answer(frame: pd.DataFrame, job_id: int) -> pd.Series:
    column = answer_column(frame, "queue") or answer_column(frame, "label")
    values = sorted({str(v) for v in frame[column] if str(v).strip()}) if column else []
    if not values or len(values) > MAX_LISTED_ANSWERS:
        return pd.Series(True, index=frame.index)
    chosen = st.multiselect(f"Only rows whose {column} is", values, persist_state="session", key=f"filter-answer-{job_id}")
    return frame[column].astype(str).isin(chosen) if chosen else pd.Series(True, index=frame.index)


def _by_confidence(frame: pd.DataFrame, job_id: int) -> pd.Series:
    column = answer_column(frame, "confidence")
    if not column:
        return pd.Series(True, index=frame.index)
    low, high = st.slider("Confidence between", 0.0, 1.0, (0.0, 1.0), 0.05, persist_state="session", key=f"filter-confidence-{job_id}")
    if (low, high) == (0.0, 1.0):
        return pd.Series(True, index=frame.index)  # rows without a confidence (not answered, reviewed) stay
    confidence = pd.to_numeric(frame[column], errors="coerce")
    return confidence.between(low, high)


def _by_flags(frame: pd.DataFrame, job_id: int) -> pd.Series:
    """Toggles for the rows a user goes looking for: to review, failed (or not answered), with values dropped (or
    assumed: a date without its year)."""
    keep = pd.Series(True, index=frame.index)
    review = answer_column(frame, "needs_review")
    if review and st.toggle("Only rows that need review", persist_state="session", key=f"filter-review-{job_id}"):
        keep &= frame[review] == True  # noqa: E712 (a column of True/False/"" values)
    for label, name in (("Only rows with an error", "error"),
                        ("Only rows with values dropped or assumed", "extraction_errors")):
        column = answer_column(frame, name)
        if column and st.toggle(label, persist_state="session", key=f"filter-{name}-{job_id}"):
            keep &= frame[column].astype(str).str.strip() != ""
    return keep


def _by_words(frame: pd.DataFrame, job_id: int) -> pd.Series:
    words = st.text_input("Only rows containing", persist_state="session", key=f"filter-words-{job_id}", placeholder="a word or phrase, in any column")
    if not words.strip():
        return pd.Series(True, index=frame.index)
    flags = {answer_column(frame, "needs_review"), answer_column(frame, "confidence"), reviewed_column(frame)}
    # The rows' own words and answers; "true" matched every flagged row through the app's own columns.
    return containing(frame, [c for c in frame.columns if c not in flags], words.strip().casefold())


def containing(frame: pd.DataFrame, columns: list[str], words: str) -> pd.Series:
    """Rows with `words` (case-folded) in any of `columns`, column by column: joining each row's cells first took
    14 s on a 100,000-row job, at every redraw while the filter was on."""
    found = pd.Series(False, index=frame.index)
    for column in columns:
        found |= frame[column].astype(str).str.casefold().str.contains(words, regex=False)
    return found
