"""A person's review of a job's answers: corrections kept beside the model's answers, shown and exported in
their place.

The model's answers stay as they were written, so the evaluation keeps scoring the model and a review can
be taken back; a reviewed row whose answers were right is recorded too (it leaves the review queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.config import Settings
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.errors import JobStateError, TaskConfigError
from workbench.io.result_columns import free_name, result_names
from workbench.tasks.registry import get_task_class
from workbench.tasks.spec import TaskSpec, spec_from_dict

REVIEWED_COLUMN = "reviewed"
# Answers the model writes out (a custom output, a summary), not picks or fills in.
WRITTEN_ANSWERS = ("output", "summary")


@dataclass
class RowReview:
    row_index: int  # the row's place among the sheet's rows of data, from 0
    answers: dict[str, Any]  # the row's answers as the reviewer left them


def save_reviews(settings: Settings, job_id: int, reviews: list[RowReview]) -> int:
    """Record each row's review (its answers that differ from the model's); returns how many rows."""
    with session_scope(settings) as session:
        spec = spec_from_dict(repo.get_job(session, job_id).spec)
        choices = spec.answer_choices()
        for review in reviews:
            answered = repo.answered_row(session, job_id, review.row_index)
            if answered is None:
                raise JobStateError(f"Row {review.row_index + 1} has no answer to review yet: run or retry it first.")
            answers = spec.reviewed_answers({column: as_cell(value) for column, value in review.answers.items()},
                                            answered.outputs)
            repo.save_review(session, job_id, review.row_index, corrections(answered.outputs, answers, choices))
    return len(reviews)


def corrections(model_answers: dict[str, Any], reviewed: dict[str, Any], choices: dict[str, list[str] | None]) -> dict[str, Any]:
    """The reviewed answers that differ from the model's, each checked against the values its column may take."""
    changed = {}
    for column, value in reviewed.items():
        check_answer(column, as_cell(value), choices)
        # Compared as cells: the template's own check (Task.reviewed_answers) typed a number field's 6001, and
        # 5531.0 is no change to 5531.
        if as_cell(value) != as_cell(model_answers.get(column)):
            changed[column] = value
    return changed


def check_answer(column: str, value: str, choices: dict[str, list[str] | None]) -> None:
    if column not in choices:
        raise TaskConfigError(f"'{column}' is not an answer to correct; the answers are {', '.join(choices)}.")
    allowed = choices[column]
    if column in WRITTEN_ANSWERS and not value:
        raise TaskConfigError(f"The {column} is empty: write the right one, or skip the row (an empty {column} would be "
                              "kept as this row's right answer).")
    if allowed is not None and value not in allowed:
        raise TaskConfigError(f"'{value}' is not a {column} of this job; pick one of {', '.join(a for a in allowed if a)}.")


def as_cell(value: Any) -> str:
    """An answer as the results table shows it: a missing answer is an empty cell, 5531.0 is 5531."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def remove_reviews(settings: Settings, job_id: int, rows: list[int]) -> None:
    """Take reviews back: the rows show the model's answers again and return to the review queue."""
    with session_scope(settings) as session:
        for row_index in rows:
            repo.remove_review(session, job_id, row_index)


def review_count(settings: Settings, job_id: int) -> int:
    with session_scope(settings) as session:
        return repo.count_reviews(session, job_id)


def job_reviews(settings: Settings, job_id: int, rows: tuple[int, int] | None = None) -> dict[int, dict[str, Any]]:
    with session_scope(settings) as session:
        return repo.job_reviews(session, job_id, rows)


def model_answers(settings: Settings, job_id: int, rows: list[int]) -> dict[int, dict[str, Any]]:
    """The model's own answers of the given rows (a review never changes them)."""
    with session_scope(settings) as session:
        return repo.answered_outputs(session, job_id, rows)


def answered_rows(settings: Settings, job_id: int) -> set[int]:
    with session_scope(settings) as session:
        return repo.answered_rows(session, job_id)


def with_job_reviews(settings: Settings, job_id: int, frame: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    """A whole job's results (as results_frame(reviewed=False) reads them) with its reviews applied."""
    reviews = job_reviews(settings, job_id)
    return with_reviews(frame, spec_from_dict(spec), reviews) if reviews else frame


def review_queue(frame: pd.DataFrame, answered: set[int], flagged: str | None, confidence: str | None,
                 reviewed: str | None, errors: str | None = None) -> list[int]:
    """Rows to review: answered, not reviewed yet, and flagged for review when the template flags rows; rows with
    errors (extract's `errors` column) first, then the least confident, else the file's order. The column names are
    the frame's: `flagged` is its needs_review column, if any."""
    rows = frame.index.isin(list(answered))
    if flagged:
        rows &= (frame[flagged] == True).to_numpy()  # noqa: E712 (a column of True/False/"" values)
    if reviewed:
        rows &= ~(frame[reviewed] == True).to_numpy()  # noqa: E712
    return [int(i) for i in _in_review_order(frame[rows], confidence, errors).index]


def _in_review_order(queue: pd.DataFrame, confidence: str | None, errors: str | None) -> pd.DataFrame:
    keys = {}
    if errors:  # False sorts first: a row whose values broke a field's rules needs a person most
        keys["_clean"] = queue[errors].fillna("").astype(str).str.strip() == ""
    if confidence:
        keys["_sure"] = pd.to_numeric(queue[confidence], errors="coerce")
    return queue.assign(**keys).sort_values(list(keys), kind="stable") if keys else queue


def placed_columns(frame: pd.DataFrame, output_columns: list[str]) -> dict[str, str]:
    """Each output column's name in the results frame (`label`, or `label_result` when the input had a `label`)."""
    return {name: column for name, column in result_names(frame).items() if name in output_columns}


def reviewed_column(frame: pd.DataFrame) -> str | None:
    """The results frame's `reviewed` column, if any row is reviewed: named in attrs, as an input column or an
    extract field may be called `reviewed` too."""
    return frame.attrs.get("reviewed_column")


def with_reviews(frame: pd.DataFrame, spec: TaskSpec, reviews: dict[int, dict[str, Any]], first_row: int = 0,
                 trailed: list[str] | None = None) -> pd.DataFrame:
    """The results (rows first_row on, their answers in frame.attrs["result_columns"] in the order of the template's
    output columns) with the reviewers' corrections in place of the model's answers, the model's own answer where a
    reviewer changed it (`model_label`, `model_city`: the trail of who said what, for the `trailed` answers), and a
    `reviewed` column. A reviewed row no longer needs review, and a corrected answer has no model confidence (it is
    not the model's)."""
    reviewed = frame.copy()
    placed = placed_columns(frame, spec.output_columns())
    scored = get_task_class(spec.task).scored_answer
    for row_index, changed in reviews.items():
        position = row_index - first_row
        if not 0 <= position < len(reviewed):
            continue
        settled = {**changed, **({"needs_review": False} if "needs_review" in placed else {}),
                   **({"confidence": ""} if scored in changed and "confidence" in placed else {})}
        for column, value in settled.items():
            if column in placed:
                reviewed.iat[position, reviewed.columns.get_loc(placed[column])] = value
    trail_names = []
    for answer in trailed_answers(spec, reviews) if trailed is None else trailed:
        if answer in placed:
            trail_names.append(free_name(f"model_{answer}", [*reviewed.columns, REVIEWED_COLUMN]))
            trail = _model_answers_changed(frame, placed[answer], answer, reviews, first_row)
            reviewed[trail_names[-1]] = [trail.get(first_row + position, "") for position in range(len(reviewed))]
    name = free_name(REVIEWED_COLUMN, frame.columns)
    reviewed[name] = [first_row + position in reviews for position in range(len(reviewed))]
    reviewed.attrs["result_columns"] = [*frame.attrs["result_columns"], *trail_names, name]
    reviewed.attrs["reviewed_column"] = name
    return reviewed


def trailed_answers(spec: TaskSpec, reviews: dict[int, dict[str, Any]]) -> list[str]:
    """The answers whose model value the reviewed results keep beside a correction: the template's scored answer
    always (an export's chunks must all have the same columns), and any other answer a review changed."""
    scored = get_task_class(spec.task).scored_answer
    changed = {answer for corrections in reviews.values() for answer in corrections}
    return [name for name in spec.output_columns() if name == scored or name in changed]


def job_trail(settings: Settings, job_id: int, spec: TaskSpec) -> list[str] | None:
    """trailed_answers over all the job's reviews; None when no row is reviewed."""
    reviews = job_reviews(settings, job_id)
    return trailed_answers(spec, reviews) if reviews else None


def _model_answers_changed(frame: pd.DataFrame, column: str, scored: str, reviews: dict[int, dict[str, Any]],
                           first_row: int) -> dict[int, Any]:
    """Row -> the model's answer, for the rows whose answer a reviewer changed."""
    kept = {}
    for row_index, changed in reviews.items():
        position = row_index - first_row
        if scored in changed and 0 <= position < len(frame):
            given = frame.iat[position, frame.columns.get_loc(column)]
            if str(changed[scored]) != str(given):
                kept[row_index] = given
    return kept
