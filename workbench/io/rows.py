"""Build the text the model reads for each row from the chosen column(s)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from workbench.errors import TaskConfigError

# How an empty row's error starts: running it again cannot change it (the job reads its own copy of the file).
EMPTY_ROW = "The row is empty in "
# How a row over the length limit fails; like an empty row, it fails the same way however often it runs.
OVER_LENGTH_LIMIT = "The text is over the length limit: "
# How a row longer than the model's window fails: the same model, run again on the job's copy of the file, fails alike.
TOO_LONG_FOR_THE_MODEL = "This row is too long for the model: "


class JoinedText(str):
    """A row's columns joined as the model reads them ("Subject: …\nBody: …"), which also keeps each column's own
    value: custom's {Column} placeholders take them from here. Read back from the joined text, a line "Resolution: …"
    inside Description was taken for the start of Resolution."""

    cells: dict[str, str]

    def __new__(cls, text: str, cells: dict[str, str]) -> JoinedText:
        joined = super().__new__(cls, text)
        joined.cells = cells
        return joined

    def __reduce__(self):  # copied or pickled whole, cells and all
        return JoinedText, (str(self), self.cells)


@dataclass(frozen=True)
class RowText:
    index: int
    text: str
    error: str | None = None


def check_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise TaskConfigError(f"The file has no column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}. "
                              f"Its columns are: {', '.join(map(str, frame.columns))}.{_as_a_list(missing, frame)}")


def _as_a_list(missing: list[str], frame: pd.DataFrame) -> str:
    """`text: Subject, Body` names one column "Subject, Body": where its parts are the file's columns, say how to list
    them."""
    parts = [part.strip() for part in missing[0].split(",")]
    if len(parts) > 1 and all(part in frame.columns for part in parts):
        return f" To use several columns, list them: `text: [{', '.join(parts)}]`."
    return ""


def row_texts(frame: pd.DataFrame, columns: list[str], max_chars: int) -> list[RowText]:
    """One text per row; several columns are joined with their names ("Subject: ...\\nBody: ...")."""
    check_columns(frame, columns)
    values = frame[columns].astype(str).itertuples(index=False, name=None)
    # The frame's index is the row's number in the file, also for a chunk read from the middle of it.
    return [_row_text(int(i), cells, columns, max_chars) for i, cells in zip(frame.index, values, strict=True)]


def _row_text(index: int, cells: tuple, columns: list[str], max_chars: int) -> RowText:
    values = {name: _readable(value.strip()) for name, value in zip(columns, cells, strict=True)}
    if len(columns) == 1:
        text = values[columns[0]]
    else:
        text = JoinedText("\n".join(_labelled(name, value) for name, value in values.items() if value), values)
    if len(text) > max_chars:
        return RowText(index, "", f"{OVER_LENGTH_LIMIT}{len(text):,} characters long; the limit is {max_chars:,}. "
                                  "Shorten it in the file and run a new job.")
    if not text:  # a model given nothing still answers something (a queue at 0.30 confidence): say so instead
        return RowText(index, "", f"{EMPTY_ROW}{', '.join(columns)}: there is nothing to read{_only(cells)}.")
    return RowText(index, text)


# Cells that stand for no text: given "N/A" or "-", the generator wrote a summary of a text it made up.
NO_TEXT_MARKS = frozenset({"n/a", "na", "n.a.", "nan", "none", "null", "nil", "#n/a", "(blank)", "(empty)"})


def _readable(value: str) -> str:
    """The cell's text, or "" for a mark of no text: one of NO_TEXT_MARKS or punctuation alone ("-", "...").
    An emoji alone is kept: "👍" is a review's whole sentiment."""
    if value.casefold() in NO_TEXT_MARKS or all(unicodedata.category(c)[0] in "PZC" for c in value):
        return ""
    return value


def _only(cells: tuple) -> str:
    marks = sorted({cell.strip() for cell in cells if cell.strip()})
    return f" (only {', '.join(map(repr, marks))})" if marks else ""


def _labelled(column: str, value: str) -> str:
    return f"{column}: {value}"


def split_row_text(text: str, columns: Sequence[str]) -> dict[str, str]:
    """Each column's value in a row text joined by row_texts (an empty column is absent: ""): as it kept them, or read
    back from a plain text. The heads are then read in the columns' order, so a "Subject: " line inside a forwarded
    email in Body stays part of Body."""
    if isinstance(text, JoinedText) and list(text.cells) == list(columns):
        return dict(text.cells)
    if len(columns) < 2:
        return {column: text for column in columns}
    values, lines, current = {column: [] for column in columns}, text.split("\n"), None
    for line in lines:
        head = next((c for c in columns[_after(columns, current):] if line.startswith(f"{c}: ")), None)
        if head is not None:
            current, line = head, line[len(head) + 2:]
        if current is not None:
            values[current].append(line)
    return {column: "\n".join(parts) for column, parts in values.items()}


def _after(columns: Sequence[str], current: str | None) -> int:
    return 0 if current is None else columns.index(current) + 1


def without_column_names(text: str, columns: list[str] | tuple[str, ...]) -> str:
    """A row's text with the column names that joining several columns put in front of each value removed."""
    if len(columns) < 2:
        return text  # one column is used as it is, with no name in front
    return re.sub(rf"^{_any_of(columns)}: ", "", text, flags=re.MULTILINE)


def column_name_labels(columns: list[str] | tuple[str, ...]) -> re.Pattern | None:
    """The "Name: " labels joining puts in front of each column's value, wherever they appear, as the columns are
    spelt: in other capitals they are words of a sentence ("a review of the product: battery dies…" with columns
    Product and Review); None for one column."""
    if len(columns) < 2:
        return None
    return re.compile(rf"(?<!\w){_any_of(columns)}:\s*")


def _any_of(columns: list[str] | tuple[str, ...]) -> str:
    return f"(?:{'|'.join(re.escape(column) for column in columns)})"


def examples_from_table(frame: pd.DataFrame, text_columns: list[str], label_column: str) -> list[dict[str, str]]:
    """Labelled examples from the rows that have a label, with texts built the same way as job rows."""
    check_columns(frame, [*text_columns, label_column])
    labels = frame[label_column].astype(str).str.strip()
    texts = row_texts(frame, text_columns, max_chars=10**9)
    return [{"text": t.text, "label": label} for t, label in zip(texts, labels, strict=True) if label and t.text]


# A label column's examples kept per label (the first ones in the file): classify learns little more from more, and
# every example is embedded before the job starts and kept in its settings.
EXAMPLES_PER_LABEL = 25


def examples_per_label(chunks: Iterable[pd.DataFrame], text_columns: list[str], label_column: str) -> list[dict[str, str]]:
    """examples_from_table over a whole sheet read in chunks, each label's first EXAMPLES_PER_LABEL."""
    kept, per_label = [], Counter()
    for chunk in chunks:
        for example in examples_from_table(chunk, text_columns, label_column):
            if per_label[example["label"]] < EXAMPLES_PER_LABEL:
                per_label[example["label"]] += 1
                kept.append(example)
    return kept
