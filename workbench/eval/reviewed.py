"""The rows a person reviewed, as right answers: how good the model was on the rows somebody checked.

A review records the answers its reviewer left, the model's where they were right, so a file with no column of
right answers can still be scored, on the rows reviewed so far. Those are mostly the rows the model was least
sure of (the review queue shows them first), so the score says how the model does on hard rows, not on the file.
"""

from __future__ import annotations

import json

import pandas as pd

from workbench.errors import NothingToScoreYet
from workbench.eval.answers import (
    ANSWER_COLUMNS,
    EXTRACTION_ERRORS,
    LABELS_COLUMN,
    SUMMARY_COLUMN,
    field_columns,
    output_columns,
)
from workbench.eval.job import Report, cell_values, evaluate
from workbench.jobs.review import as_cell, reviewed_column

# The column of the reviewers' answers: brackets, so it cannot be taken for a column of the user's file.
REVIEWS_AS_ANSWERS = "(your reviews)"


def reviewed_count(reviewed: pd.DataFrame) -> int:
    """How many rows of the results (with reviews applied) a person reviewed."""
    return int(_reviewed_rows(reviewed).sum())


def _reviewed_rows(reviewed: pd.DataFrame) -> pd.Series:
    marker = reviewed_column(reviewed)
    if not marker:
        return pd.Series(False, index=reviewed.index)
    return reviewed[marker] == True  # noqa: E712 (True/False/"" cells)


def evaluate_reviewed(model: pd.DataFrame, reviewed: pd.DataFrame) -> Report:
    """The model's answers scored against the reviewed rows' answers (examples left out, as always)."""
    if not reviewed_count(reviewed):
        raise NothingToScoreYet("No row of this job is reviewed yet: check some rows in the review queue on the Job "
                              "results page first, or score it against a column of right answers.")
    return evaluate(with_reviews_as_answers(model, reviewed), REVIEWS_AS_ANSWERS)


def with_reviews_as_answers(model: pd.DataFrame, reviewed: pd.DataFrame) -> pd.DataFrame:
    """The model's answers with one more column, REVIEWS_AS_ANSWERS: each reviewed row's answer as its reviewer
    left it, written as `evaluate` reads right answers; empty where nobody reviewed the row."""
    outputs, rows = output_columns(model), _reviewed_rows(reviewed)
    answers = pd.Series("", index=model.index, dtype=object)
    answers[rows.to_numpy()] = [_answer(row, outputs) for _, row in reviewed[rows].iterrows()]
    scored = model.copy()
    scored[REVIEWS_AS_ANSWERS] = answers.to_numpy()
    scored.attrs = model.attrs
    return scored


def _answer(row: pd.Series, outputs: dict[str, str]) -> str:
    """The reviewed answer `evaluate` compares with the model's: the same column it would score, in its form."""
    if EXTRACTION_ERRORS in outputs:  # every field together, as a JSON object
        return json.dumps({name: cell_values(as_cell(row[column])) for name, column in field_columns(outputs).items()})
    scored = next((c for c in (SUMMARY_COLUMN, LABELS_COLUMN, *ANSWER_COLUMNS) if c in outputs), None)
    return as_cell(row[outputs[scored]]) if scored else ""
