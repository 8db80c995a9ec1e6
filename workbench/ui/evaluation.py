"""The Job results page's evaluation: the job's answers against a column of right answers."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from workbench.eval.job import ANSWER_COLUMNS, evaluate
from workbench.ui.widgets import user_errors


def evaluation_section(frame: pd.DataFrame) -> None:
    outputs = frame.attrs.get("result_columns", [])
    if not any(c.removesuffix("_result") in ANSWER_COLUMNS for c in outputs):
        return
    inputs = [c for c in frame.columns if c not in outputs]
    st.subheader("How good are the answers?")
    column = st.selectbox("Column of right answers (if your file has one)", ["(none)", *inputs])
    if column == "(none)":
        return
    with user_errors():
        report = evaluate(frame, column)
        left, middle, right = st.columns(3)
        left.metric("Accuracy", f"{report.accuracy:.1%}")
        middle.metric("Macro-F1", f"{report.macro_f1:.3f}")
        right.metric("Rows scored", f"{report.rows:,}")
        st.dataframe(report.per_label.round(3), width="stretch")
        st.altair_chart(confusion_chart(report.confusion), width="stretch")


def confusion_chart(confusion: pd.DataFrame) -> alt.Chart:
    cells = confusion.rename_axis(index="right answer", columns="answer").stack().rename("rows").reset_index()
    base = alt.Chart(cells).encode(x=alt.X("answer:N", title="Answer given"), y=alt.Y("right answer:N", title="Right answer"))
    heat = base.mark_rect().encode(color=alt.Color("rows:Q", scale=alt.Scale(scheme="blues")), tooltip=["right answer", "answer", "rows"])
    return heat + base.mark_text().encode(text="rows:Q")
