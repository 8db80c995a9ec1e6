"""The Job results page's evaluation: the job's answers against a column of right answers."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from workbench.eval.answers import (
    BY_FIELD,
    answers_outside_labels,
    example_rows,
    field_answer_columns,
    likely_answers_column,
)
from workbench.eval.job import FieldReport, SummaryReport, evaluate, headline_scores, scorable
from workbench.eval.metrics import ClassificationReport, MultiLabelReport
from workbench.eval.reviewed import evaluate_reviewed, reviewed_count
from workbench.jobs.progress import counted, listed_counts
from workbench.ui.widgets import user_errors

# Whether the scores shown are on the reviewed rows: saving a review reruns the review section alone, which left them
# as they were (a review taken back still scored).
SCORED_ON_REVIEWS = "scored-on-reviews"


def evaluation_section(frame: pd.DataFrame, suggested: str | None = None,
                       reviewed: Callable[[], pd.DataFrame] | None = None) -> None:
    """`frame`: the model's own answers; `suggested`: the column of right answers to start with (a comparison's job
    was scored against one; otherwise a column that plainly holds answers like the model's); `reviewed`: reads the
    results with the reviews saved so far applied, whose reviewed rows can be the answers (read when scored: a review
    saved since the page was drawn reruns only the review section, and was left out)."""
    if not scorable(frame):
        return
    # Its own part of the page: choosing a column redraws the scores alone, not a 100,000-row job's table and charts
    # (5-13 s a choice in the scale audit).
    st.fragment(_scores)(frame, suggested, reviewed)


def _scores(frame: pd.DataFrame, suggested: str | None, reviewed: Callable[[], pd.DataFrame] | None) -> None:
    outputs = frame.attrs.get("result_columns", [])
    # Offered before the first review too, and without a count: options that change with a review (the review section
    # reruns alone) made Streamlit drop the user's next choice of column.
    by_review = "The rows you reviewed"
    by_field = [BY_FIELD] if field_answer_columns(frame) else []
    reviewable = [by_review] if reviewed is not None else []
    choices = ["(none)", *reviewable, *by_field, *(c for c in frame.columns if c not in outputs)]
    suggested = suggested or likely_answers_column(frame)
    st.subheader("How good are the answers?")
    column = st.selectbox("Column of right answers (if your file has one)", choices,
                          index=choices.index(suggested) if suggested in choices else 0)
    st.session_state[SCORED_ON_REVIEWS] = column == by_review  # a review saved or taken back then redraws the page
    if column == "(none)":
        return
    with user_errors():
        if column == by_review:
            reviewed_now = reviewed()
            report = evaluate_reviewed(frame, reviewed_now)  # "no row reviewed yet" before a caption of 0 rows
            st.caption(f"Scored on the {counted(reviewed_count(reviewed_now), 'row')} you reviewed, your answers taken as "
                       "the right ones. The review queue shows the rows the model was least sure of first, so expect a "
                       "lower score here than over the whole file.")
            _show(report, int(example_rows(frame).sum()))
        else:
            if column == BY_FIELD:
                named = ", ".join(f"{field} in '{c}'" for field, c in field_answer_columns(frame).items())
                st.caption(f"Right values: {named}. Rows where all of these are empty are left out; an empty cell in "
                           "another row means there is nothing to find for that field.")
            _warn_of_answers_outside_labels(answers_outside_labels(frame, column), column)
            _show(evaluate(frame, column), int(example_rows(frame).sum()))


def _warn_of_answers_outside_labels(outside: dict[str, int], column: str) -> None:
    if outside:
        st.warning(f"{sum(outside.values()):,} right answers in '{column}' are none of the job's labels, even written "
                   f"another way: {listed_counts(outside)}. The model can never give them, so they count as wrong. Correct "
                   "them in the file, or add them to the labels and run the job again.")


def _show(report, learnt: int) -> None:
    if learnt:
        st.caption(f"{learnt:,} rows were examples the model learnt from; they are left out of the score.")
    if isinstance(report, SummaryReport):
        _summary_scores(report)
    elif isinstance(report, FieldReport):
        _field_scores(report)
    elif isinstance(report, MultiLabelReport):
        _multi_label_scores(report)
    else:
        _label_scores(report)


# What each figure means, for readers who have not met them; shown as the figures' help.
MEANINGS = {
    "Accuracy": "The share of rows whose answer is the right one.",
    "Macro-F1": "How well each label is found, averaged over the labels so that a rare label counts as much as a "
                "common one: 1 is perfect, 0 is never right. Well below the accuracy when small labels are missed.",
    "per label": "Per label (or field): precision, the share of the rows given it that should have it; recall, the "
                 "share of the rows that should have it that were given it; f1, the two together; support, the rows "
                 "that should have it.",
    "ROUGE": "The share of the right summary's words (ROUGE-1), word pairs (ROUGE-2) and longest run of words in order "
             "(ROUGE-L) that the summary also has. Even two good human summaries of one text seldom pass 0.5; "
             "0.2 to 0.4 is usual for a model's.",
}


def _label_scores(report: ClassificationReport) -> None:
    left, middle, right = st.columns(3)
    left.metric("Accuracy", f"{report.accuracy:.1%}", help=MEANINGS["Accuracy"])
    middle.metric("Macro-F1", f"{report.macro_f1:.3f}", help=MEANINGS["Macro-F1"])
    right.metric("Rows scored", f"{report.rows:,}")
    _per_label_table(report.per_label)
    st.altair_chart(confusion_chart(report.confusion), width="stretch")


def _summary_scores(report: SummaryReport) -> None:
    # ROUGE counts shared words (1), shared word pairs (2) and the longest shared word sequence (L).
    columns = st.columns(4)
    for place, (title, measure) in zip(columns, (("ROUGE-1", "rouge1"), ("ROUGE-2", "rouge2"), ("ROUGE-L", "rougeL")),
                                       strict=False):
        place.metric(title, f"{report.scores[measure]:.3f}", help=MEANINGS["ROUGE"])
    columns[3].metric("Rows scored", f"{report.rows:,}")


def _multi_label_scores(report: MultiLabelReport) -> None:
    left, middle, right = st.columns(3)
    left.metric("Rows with exactly the right labels", f"{report.exact_match:.1%}")
    middle.metric("Macro-F1", f"{headline_scores(report)['macro-F1']:.3f}", help=MEANINGS["Macro-F1"])
    right.metric("Rows scored", f"{report.rows:,}")
    _per_label_table(report.per_label)


def _field_scores(report: FieldReport) -> None:
    st.metric("Rows scored", f"{report.rows:,}")
    _per_label_table(report.per_field)


def _per_label_table(table: pd.DataFrame) -> None:
    st.caption(MEANINGS["per label"])
    st.dataframe(table.round(3), width="stretch")


def confusion_chart(confusion: pd.DataFrame) -> alt.Chart:
    cells = confusion.rename_axis(index="right answer", columns="answer").stack().rename("rows").reset_index()
    base = alt.Chart(cells).encode(x=alt.X("answer:N", title="Answer given"), y=alt.Y("right answer:N", title="Right answer"))
    heat = base.mark_rect().encode(color=alt.Color("rows:Q", scale=alt.Scale(scheme="blues")), tooltip=["right answer", "answer", "rows"])
    # White on the dark cells: black on dark blue was hard to read (2.4:1) in either theme.
    dark = alt.datum.rows > cells["rows"].max() / 2
    return heat + base.mark_text().encode(text="rows:Q", color=alt.condition(dark, alt.value("white"), alt.value("black")))
