"""Score a finished (or running) job against a column of right answers in its own input file.

What is scored follows what the job wrote: a `label` or `queue` column is compared label by label; a
`summary` column gets ROUGE against the right summaries; extracted fields (the columns beside
`extraction_errors`) are compared field by field with a column holding each row's right values as a
JSON object, e.g. {"name": "Ann", "city": "Paris"}, or with columns named as the fields (eval/answers.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

from workbench.errors import NothingToScoreYet, TaskConfigError
from workbench.eval.answers import (
    ANSWER_COLUMNS,
    BY_FIELD,
    EXTRACTION_ERRORS,
    LABELS_COLUMN,
    SUMMARY_COLUMN,
    as_label,
    field_columns,
    joined_field_answers,
    label_names,
    label_set,
    output_columns,
    plain_name,
    without_examples,
)
from workbench.eval.fields import ALL_FIELDS, field_report
from workbench.eval.metrics import ClassificationReport, MultiLabelReport, classification_report, multi_label_report
from workbench.eval.rouge import MEASURES, rouge


@dataclass
class SummaryReport:
    rows: int
    scores: dict[str, float]  # ROUGE-1/2/L F1, averaged over the rows


@dataclass
class FieldReport:
    rows: int
    per_field: pd.DataFrame  # field -> precision, recall, f1, support; the last row is every field together


def scorable(frame: pd.DataFrame) -> bool:
    """Whether this job's answers can be compared with right answers at all."""
    outputs = output_columns(frame)
    return any(c in outputs for c in (*ANSWER_COLUMNS, SUMMARY_COLUMN, EXTRACTION_ERRORS))


Report = ClassificationReport | MultiLabelReport | SummaryReport | FieldReport


def evaluate(frame: pd.DataFrame, answers_column: str) -> Report:
    """Compare the job's answers with `answers_column`, over the rows that have both; rows the job learnt from
    (its examples) are left out, or the score would show the model remembering them."""
    if answers_column == BY_FIELD:
        frame = joined_field_answers(frame)
    own = frame.attrs.get("result_columns", [])
    if answers_column not in frame.columns or answers_column in own:
        inputs = [c for c in frame.columns if c not in own]
        raise TaskConfigError(f"The file has no column '{answers_column}'" + (" (it is one of the job's own answers)" if
                              answers_column in own else "") + f". Its columns are: {', '.join(inputs)}.")
    frame = _answered(without_examples(frame, answers_column))
    outputs = output_columns(frame)
    if EXTRACTION_ERRORS in outputs:
        return _fields(frame, answers_column, field_columns(outputs))
    if SUMMARY_COLUMN in outputs:
        both = _rows_with_right_answers(frame, answers_column)  # an empty summary is an answer, scored 0
        return SummaryReport(len(both), _mean_rouge(both[outputs[SUMMARY_COLUMN]], both[answers_column]))
    labels = label_names(frame)
    if LABELS_COLUMN in outputs:
        both = _rows_with_right_answers(frame, answers_column)  # no label above the threshold is an answer too
        right = [{as_label(label, labels) for label in label_set(cell, labels)} for cell in both[answers_column]]
        return multi_label_report(right, [label_set(c, labels) for c in both[outputs[LABELS_COLUMN]]])
    given = next((outputs[c] for c in ANSWER_COLUMNS if c in outputs), None)
    if given is None:
        raise TaskConfigError("This job writes free text (a custom instruction's answers), which has no score against a "
                              "column of right answers: leave out the column (`--answers` on the command line).")
    both = _rows_with_both(frame, given, answers_column)
    return classification_report([as_label(str(c).strip(), labels) for c in both[answers_column]], both[given].tolist())


def report_dict(report: Report) -> dict:
    """The report as plain numbers (for `workbench jobs show --answers`)."""
    if isinstance(report, SummaryReport):
        return {"rows": report.rows, **{m: round(v, 4) for m, v in report.scores.items()}}
    if isinstance(report, FieldReport):
        return {"rows": report.rows, "per_field": report.per_field.round(4).to_dict(orient="index")}
    if isinstance(report, MultiLabelReport):
        return {"rows": report.rows, "exact_match": round(report.exact_match, 4),
                "macro_f1": round(headline_scores(report)["macro-F1"], 4),
                "per_label": report.per_label.round(4).to_dict(orient="index")}
    return {"rows": report.rows, "accuracy": round(report.accuracy, 4), "macro_f1": round(report.macro_f1, 4),
            "per_label": report.per_label.round(4).to_dict(orient="index"),
            "confusion": report.confusion.to_dict(orient="index")}


def headline_scores(report: Report) -> dict[str, float]:
    """The few numbers that say how good a job is, to set models side by side."""
    if isinstance(report, SummaryReport):
        return {name: report.scores[m] for name, m in zip(("ROUGE-1", "ROUGE-2", "ROUGE-L"), MEASURES, strict=True)}
    if isinstance(report, FieldReport):
        together = report.per_field.loc[ALL_FIELDS]
        return {"precision": together["precision"], "recall": together["recall"], "F1": together["f1"]}
    if isinstance(report, MultiLabelReport):
        # Every label, also one the model gives that is never right: left out, a wrong label added to every row still
        # scored 1.000 (single-label macro-F1 counts them too, as scikit-learn does).
        per_label = report.per_label
        return {"exact match": report.exact_match, "macro-F1": float(per_label["f1"].mean()) if len(per_label) else 0.0}
    return {"accuracy": report.accuracy, "macro-F1": report.macro_f1}


def _answered(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows the job answered: a failed row, or one it has not reached yet, has no answer to score (its empty cells
    would count as "nothing found")."""
    error = output_columns(frame).get("error")
    return frame if error is None else frame[frame[error].astype(str).str.strip() == ""]


def _rows_with_right_answers(frame: pd.DataFrame, answers_column: str) -> pd.DataFrame:
    rows = frame[frame[answers_column].astype(str).str.strip() != ""]
    if rows.empty:
        raise NothingToScoreYet(f"No answered row has a right answer in '{answers_column}' yet.")
    return rows


def _rows_with_both(frame: pd.DataFrame, given: str, answers_column: str) -> pd.DataFrame:
    both = frame[(frame[given].astype(str) != "") & (frame[answers_column].astype(str).str.strip() != "")]
    if both.empty:
        raise NothingToScoreYet(f"No row has both an answer and a right answer in '{answers_column}' yet.")
    return both


def _mean_rouge(summaries: pd.Series, references: pd.Series) -> dict[str, float]:
    rows = [rouge(str(s), [str(r)]) for s, r in zip(summaries, references, strict=True)]
    return {measure: sum(row[measure] for row in rows) / len(rows) for measure in MEASURES}


def _fields(frame: pd.DataFrame, answers_column: str, field_columns: dict[str, str]) -> FieldReport:
    rows = _rows_with_right_answers(frame, answers_column)  # an empty extraction is an answer ("nothing found")
    right = [_by_field_name(_right_values(cell, answers_column), field_columns) for cell in rows[answers_column]]
    # Scored: the fields the job extracted that the right answers name (a field they never name has no right answers
    # to miss or to match: its values would all count as wrong).
    scored = {name: column for name, column in field_columns.items() if any(name in values for values in right)}
    if not scored:
        raise TaskConfigError(f"The right answers in '{answers_column}' name none of the job's fields "
                              f"({', '.join(field_columns)}). Name them as the job does, e.g. "
                              f'{{"{next(iter(field_columns), "name")}": "…"}}.')
    truth = [{name: values.get(name) for name in scored} for values in right]
    extracted = [{name: cell_values(row[c]) for name, c in scored.items()} for _, row in rows.iterrows()]
    spec = frame.attrs.get("spec", {})
    kinds = {f["name"]: f.get("type", "text") for f in spec.get("fields", [])}
    return FieldReport(len(rows), field_report(truth, extracted, kinds, bool(spec.get("day_first"))))


def _by_field_name(values: dict, field_columns: dict[str, str]) -> dict:
    """The right values under the job's field names, as people write them: "Amount" or "origin city" is the field
    amount or origin_city (an answer keyed "Amount" scored nothing, as if every field were missed)."""
    names = {plain_name(name): name for name in field_columns}
    return {names.get(plain_name(str(key)), key): value for key, value in values.items()}


def _right_values(cell, answers_column: str) -> dict:
    try:
        values = json.loads(cell) if isinstance(cell, str) else cell
    except json.JSONDecodeError:
        values = None
    if not isinstance(values, dict):
        raise TaskConfigError(f"Each right answer in '{answers_column}' must be a JSON object of field values, "
                              f'e.g. {{"name": "Ann", "city": "Paris"}}; found: {str(cell)[:60]}')
    return values


def cell_values(cell):
    """An extracted cell as written: a JSON list is read as a list (a list field's "Ann; Bob" is split by
    eval/fields.values, which knows the field's type)."""
    if isinstance(cell, str) and cell.startswith("["):
        try:
            return json.loads(cell)
        except json.JSONDecodeError:
            return cell
    return cell
