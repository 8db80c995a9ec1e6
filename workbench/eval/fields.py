"""Per-field precision, recall and F1 of extracted values against the right values.

A field's values are compared as trimmed, lower-cased text, and by their type where the job's settings say
it: amounts by their number ("$49.99" is the extracted "49.99 USD"), dates as dates ("3 March 2024" is
2024-03-03), numbers as numbers, phone numbers by their digits, as a user writes right answers. A list field
(list, names) counts each item once, whether written as a list or as one text of items between semicolons, the
way the job writes them ("Ann; Bob"), or, in a right answer, between commas. A value given where the right answer is empty costs precision; a right value not
given costs recall.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import pandas as pd

from workbench.tasks.amounts import NUMBER, as_number, money_in, money_text
from workbench.tasks.fields import LIST_TYPES, parsed_date, without_trunk_zero

ALL_FIELDS = "(all fields)"


def field_report(truth: list[dict[str, Any]], extracted: list[dict[str, Any]],
                 kinds: dict[str, str] | None = None, day_first: bool = False) -> pd.DataFrame:
    """One row per field (and one for all fields together): precision, recall, f1, support; `kinds` gives
    each field's type (text when not given); `day_first`: dates such as 03/04/2024 are 3 April, as the job read them."""
    fields = sorted({name for row in truth for name in row} | {name for row in extracted for name in row})
    counts = {name: _field_counts(truth, extracted, name, (kinds or {}).get(name, "text"), day_first) for name in fields}
    counts[ALL_FIELDS] = [sum(c[i] for c in counts.values()) for i in range(3)]
    return pd.DataFrame([_scores(*c) for c in counts.values()], index=pd.Index(list(counts), name="field"))


def values(value: Any, kind: str = "text", day_first: bool = False, typed: bool = False) -> set[str]:
    """A cell as the set of values it holds, each in its type's comparable form: nothing for empty cells, each
    item of a list. `typed`: a right answer, whose list may be written between commas (list_items)."""
    items = value if isinstance(value, (list, tuple, set)) else [value]
    if kind in LIST_TYPES:
        items = [piece for item in items if item is not None for piece in list_items(str(item), typed)]
    comparable = partial(_date, day_first=day_first) if kind == "date" else COMPARABLE.get(kind, _text)
    return {comparable(str(item).strip()) for item in items if item is not None and str(item).strip()}


def list_items(cell: str, typed: bool = False) -> list[str]:
    """A list written in one cell: between semicolons, as the job writes lists ("Ann; Bob"), or between '|' or new
    lines; `typed` (a right answer) with none of these, between commas, as people often type them ("Ann, Bob" was one
    item, and scored 0). The job's own items are never split at a comma: one name may be "Smith, John"."""
    pieces = re.split(r"[;|\n]", cell)
    return cell.split(",") if typed and len(pieces) == 1 else pieces


def _text(value: str) -> str:
    return " ".join(value.lower().split())


def _amount(value: str) -> str:
    """The number and its currency's code, when the value names one: "-€45" is "-45.00 EUR". A right answer that
    leaves out the currency matches any currency (_field_counts)."""
    amount, currency = money_in(value)
    return money_text(amount, currency) if amount is not None else _text(value)


def _date(value: str, day_first: bool) -> str:
    """ISO form, read as the job reads dates: 03/04/2024 month first unless the job's dates are day first."""
    written = parsed_date(value, day_first)
    return written.isoformat() if written else _text(value)


def _number(value: str) -> str:
    """Read as extraction reads numbers ("12,5" is 12.5, "1 299" is 1299); every digit counts: order 10045001 is not
    10045003."""
    number = as_number(value) if NUMBER.fullmatch(value) else None
    return repr(number) if number is not None else _text(value)


def _digits(value: str) -> str:
    """A phone number by its digits, as dialled from abroad: "+44 (0)20 7946 0958" is +44 20 7946 0958."""
    return re.sub(r"\D", "", without_trunk_zero(value)) or _text(value)


COMPARABLE = {"money": _amount, "number": _number, "phone": _digits}


def _field_counts(truth: list[dict], extracted: list[dict], name: str, kind: str, day_first: bool) -> list[int]:
    hits = given = expected = 0
    for right, found in zip(truth, extracted, strict=True):
        right_values = values(right.get(name), kind, day_first, typed=True)
        found_values = values(found.get(name), kind, day_first)
        matched = _money_hits(right_values, found_values) if kind == "money" else len(right_values & found_values)
        hits, given, expected = hits + matched, given + len(found_values), expected + len(right_values)
    return [hits, given, expected]


def _money_hits(right: set[str], found: set[str]) -> int:
    """Amounts match with their currencies ("49.99 EUR" is not "49.99 USD"); a right amount written without one
    matches the same amount in any currency. Each value given matches one right value at most: right values "45" and
    "€45" against one "45.00 EUR" given made a precision of 2."""
    left = set(found)
    hits = 0
    for value in sorted(right, key=lambda v: " " not in v):  # those with a currency first: they match one value only
        match = value if value in left else next((f for f in sorted(left) if " " not in value and f.split(" ")[0] == value),
                                                 None)
        if match is not None:
            left.discard(match)
            hits += 1
    return hits


def _scores(hits: int, given: int, expected: int) -> dict[str, float]:
    precision = hits / given if given else 0.0
    recall = hits / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": expected}
