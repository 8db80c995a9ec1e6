"""A job's right answers: which column holds them, the labels they name (as written by people), the rows that count.

The output column of each template's answer, a cell of several labels ("a; b"), extract's right values one column per
field; the job's own examples are not counted, or a score would show the model remembering them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache

import pandas as pd

from workbench.errors import TaskConfigError
from workbench.io.result_columns import result_names
from workbench.io.rows import row_texts

# The output column each template's single answer is in.
ANSWER_COLUMNS = ("label", "queue")
# A multi-label classify job's labels, and how several right labels are written in one cell ("a; b").
LABELS_COLUMN = "labels"
LABEL_SEPARATORS = (";", ",", "|")
SUMMARY_COLUMN = "summary"
# An extract job's right answers in the input's columns named as its fields, rather than in one column of JSON.
BY_FIELD = "(one column per field)"
EXTRACTION_ERRORS = "extraction_errors"


def field_answer_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Field name -> the input column named as it ('Amount' for amount): right answers kept one column per field,
    the layout of the job's own output, as people fill a sheet in."""
    outputs = set(frame.attrs.get("result_columns", []))
    inputs = {c.casefold(): c for c in frame.columns if c not in outputs}
    fields = [f["name"] for f in (frame.attrs.get("spec") or {}).get("fields") or []]
    return {name: inputs[name.casefold()] for name in fields if name.casefold() in inputs}


def joined_field_answers(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a BY_FIELD column: each row's field columns as one JSON object of right values; empty for a
    row where every one is empty (not labelled; a filled row's empty field means there is nothing to find)."""
    columns = field_answer_columns(frame)
    if not columns:
        raise TaskConfigError("No column of the file is named as one of the job's fields: name each column of right "
                              "values as its field, or keep them in one column as JSON objects.")
    # Every field with a column is in a labelled row's object, empty or not: a field no column names is not scored.
    given = [{name: row[c] if str(row[c]).strip() else "" for name, c in columns.items()} for _, row in frame.iterrows()]
    joined = frame.assign(**{BY_FIELD: [json.dumps(values) if any(values.values()) else "" for values in given]})
    joined.attrs = frame.attrs
    return joined


def label_names(frame: pd.DataFrame) -> list[str]:
    """The labels (queues and the fallback for route) the job could answer; none for other templates."""
    spec = frame.attrs.get("spec") or {}
    return [*(spec.get("labels") or []), *([spec["fallback"]] if spec.get("fallback") else [])]


def as_label(answer: str, labels: list[str]) -> str:
    """A right answer written another way than one label ("Technical Support" for technical_support) is that label:
    people type the answers column, the template's author the labels; 0% for the same answers would mislead."""
    if answer in labels or not labels:
        return answer
    plain = plain_name(answer)
    same = [label for label, plain_label in _plain_labels(tuple(labels)) if plain_label == plain]
    return same[0] if len(same) == 1 else answer


def plain_name(label: str) -> str:
    """A label or field name as people may write it: "Technical Support", "technical_support" and "technical-support"
    are one."""
    return re.sub(r"[\s_-]+", " ", label.casefold()).strip()


@lru_cache(maxsize=32)
def _plain_labels(labels: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each label with its plain form, worked out once for a job's 100,000 answers, not once per answer and label."""
    return tuple((label, plain_name(label)) for label in labels)


def answers_outside_labels(frame: pd.DataFrame, answers_column: str) -> dict[str, int]:
    """Right answers that are none of the job's labels, even written another way, with their rows: the model can
    never give them, so they count against it; a page says so rather than show a low score alone."""
    labels = label_names(frame)
    if not labels or answers_column not in frame.columns:
        return {}
    given = _given_labels(frame, answers_column, labels)
    return dict(Counter(label for label in given if label not in labels).most_common())


def labels_never_right(frame: pd.DataFrame, answers_column: str) -> list[str]:
    """The labels (queues) no row's right answer names, the fallback queue aside: a score says nothing of how the
    model does on them, and the first 200 rows of a sheet sorted by label hold one or two of its ten."""
    labels = list((frame.attrs.get("spec") or {}).get("labels") or [])
    if not labels or answers_column not in frame.columns:
        return []
    named = set(_given_labels(frame, answers_column, labels))
    return [label for label in labels if label not in named]


def _given_labels(frame: pd.DataFrame, answers_column: str, labels: list[str]) -> list[str]:
    """Each right answer's labels, as the labels they are written for (the examples' rows left out)."""
    cells = without_examples(frame, answers_column)[answers_column].astype(str).str.strip()
    if LABELS_COLUMN not in output_columns(frame):  # one label a row: "feedback; shipping" is scored as one answer
        return [as_label(cell, labels) for cell in cells if cell]
    return [as_label(label, labels) for cell in cells for label in label_set(cell, labels)]


def example_rows(frame: pd.DataFrame) -> pd.Series:
    """Which rows are among the job's labelled examples (their text, built as the job built it, is an example's)."""
    spec = frame.attrs.get("spec") or {}
    examples = set(spec.get("example_texts") or ())
    columns = spec.get("text") or []
    if not examples or not set(columns) <= set(frame.columns):
        return pd.Series(False, index=frame.index)
    texts = [row.text for row in row_texts(frame, columns, max_chars=10**9)]
    return pd.Series([text in examples for text in texts], index=frame.index)


def without_examples(frame: pd.DataFrame, answers_column: str) -> pd.DataFrame:
    learnt = example_rows(frame)
    if not learnt.any():
        return frame
    answered = frame[answers_column].astype(str).str.strip() != ""
    if not (answered & ~learnt).any():
        raise TaskConfigError("Every row with a right answer was one of the job's examples, so a score would only "
                              "show the model remembering them. Score it on rows it did not learn from: leave some "
                              "rows' labels out of the examples, or run the job on another labelled file.")
    kept = frame[~learnt]
    kept.attrs = frame.attrs
    return kept


# A column is taken for the right answers, unasked, when this share of its filled cells look like the job's answers.
LIKELY_ANSWERS_SHARE = 0.8


def likely_answers_column(frame: pd.DataFrame) -> str | None:
    """The input column that plainly holds right answers: its cells are answers the job gives (a sample file's
    `category`), or, for extracted fields, JSON objects. None when no column plainly does: a guess that is wrong
    would show a score against something that is not an answer."""
    if EXTRACTION_ERRORS in output_columns(frame) and field_answer_columns(frame):
        return BY_FIELD
    looks_right = _answer_test(frame)
    if looks_right is None:
        return None
    outputs = set(frame.attrs.get("result_columns", []))
    shares = {c: looks_right(cells).mean() for c in frame.columns if c not in outputs
              if len(cells := _sample(_filled(frame[c]))) >= 2}
    best = max(shares, key=shares.get, default=None)
    return best if best is not None and shares[best] >= LIKELY_ANSWERS_SHARE else None


def _answer_test(frame: pd.DataFrame):
    """Which of a column's filled cells could be a right answer to this job, or None for a job that has none."""
    outputs = output_columns(frame)
    if EXTRACTION_ERRORS in outputs:
        return lambda cells: cells.str.startswith("{")
    labels = label_names(frame)
    if LABELS_COLUMN in outputs:
        known = set(labels).union(*(label_set(cell, labels) for cell in _filled(frame[outputs[LABELS_COLUMN]])))
        return lambda cells: cells.map(lambda cell: bool(label_set(cell, labels)) and {
            as_label(label, labels) for label in label_set(cell, labels)} <= known)
    answer = next((outputs[c] for c in ANSWER_COLUMNS if c in outputs), None)
    if answer is None:
        return None
    known = set(labels) | set(_filled(frame[answer]))  # the model's answers too: older jobs' specs list no labels
    return lambda cells: cells.map(lambda cell: as_label(cell, labels) in known)


# Cells of each column looked at to guess the answers column: enough to tell, and the guess runs on every redraw of the
# Job results page (over a 100,000-row job's every cell, it took 6-8 s of each).
GUESS_SAMPLE = 1_000


def _sample(column: pd.Series) -> pd.Series:
    return column if len(column) <= GUESS_SAMPLE else column.sample(GUESS_SAMPLE, random_state=0)


def _filled(column: pd.Series) -> pd.Series:
    cells = column.astype(str).str.strip()
    return cells[cells != ""]


def label_set(cell, labels: list[str] = ()) -> set[str]:
    """The labels in one cell: "billing; shipping" (or with commas or bars) as a set of trimmed names. A label whose
    name holds a separator ("returns, exchanges") is read whole: it was two labels, neither of the job's."""
    parts = re.split(f"([{re.escape(''.join(LABEL_SEPARATORS))}])", str(cell))  # names, and the separators between
    if not any(separator in label for label in labels for separator in LABEL_SEPARATORS):
        return {part.strip() for part in parts[::2] if part.strip()}
    found, start = set(), 0
    while start < len(parts):
        end = _end_of_label(parts, start, labels)
        found.add("".join(parts[start:end]).strip())
        start = end + 1  # past the separator
    return found - {""}


def _end_of_label(parts: list[str], start: int, labels: list[str]) -> int:
    """Where the longest run of names from `start` that is one of `labels` ends; else the name at `start` alone."""
    for end in range(len(parts), start + 1, -2):
        if as_label("".join(parts[start:end]).strip(), labels) in labels:
            return end
    return start + 1


def field_columns(outputs: dict[str, str]) -> dict[str, str]:
    """Of an extract job's output columns, the fields': not its extraction notes, nor the runner's row errors."""
    return {name: column for name, column in outputs.items() if name not in (EXTRACTION_ERRORS, "error")}


def output_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Template output name -> the column holding it (renamed `<name>_result` when the input had that name)."""
    return result_names(frame)
