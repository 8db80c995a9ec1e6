"""Score a finished (or running) job against a column of right answers in its own input file."""

from __future__ import annotations

import pandas as pd

from workbench.errors import TaskConfigError
from workbench.eval.metrics import ClassificationReport, classification_report

# The output column each template's answer is in; templates not listed have no single answer to score.
ANSWER_COLUMNS = ("label", "queue")


def evaluate(frame: pd.DataFrame, answers_column: str) -> ClassificationReport:
    """Compare the job's answers with `answers_column`, over the rows that have both."""
    if answers_column not in frame.columns:
        raise TaskConfigError(f"The file has no column '{answers_column}'. Its columns are: {', '.join(frame.columns)}.")
    given = _answer_column(frame)
    both = frame[(frame[given].astype(str) != "") & (frame[answers_column].astype(str).str.strip() != "")]
    if both.empty:
        raise TaskConfigError(f"No row has both an answer and a right answer in '{answers_column}' yet.")
    return classification_report(both[answers_column].tolist(), both[given].tolist())


def _answer_column(frame: pd.DataFrame) -> str:
    outputs = frame.attrs.get("result_columns", [])
    found = next((c for c in outputs if c.removesuffix("_result") in ANSWER_COLUMNS), None)
    if found is None:
        raise TaskConfigError("Only classify and route jobs can be scored against a column of right answers yet.")
    return found
