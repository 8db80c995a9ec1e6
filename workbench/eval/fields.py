"""Per-field precision, recall and F1 of extracted values against the right values.

A field's values are compared as trimmed, lower-cased text; a list field counts each item once. A value
given where the right answer is empty costs precision; a right value not given costs recall.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

ALL_FIELDS = "(all fields)"


def field_report(truth: list[dict[str, Any]], extracted: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per field (and one for all fields together): precision, recall, f1, support."""
    fields = sorted({name for row in truth for name in row} | {name for row in extracted for name in row})
    counts = {name: _field_counts(truth, extracted, name) for name in fields}
    counts[ALL_FIELDS] = [sum(c[i] for c in counts.values()) for i in range(3)]
    return pd.DataFrame([_scores(*c) for c in counts.values()], index=pd.Index(list(counts), name="field"))


def values(value: Any) -> set[str]:
    """A cell as the set of values it holds: nothing for empty cells, each item of a list."""
    items = value if isinstance(value, (list, tuple, set)) else [value]
    return {str(item).strip().lower() for item in items if item is not None and str(item).strip()}


def _field_counts(truth: list[dict], extracted: list[dict], name: str) -> list[int]:
    hits = given = expected = 0
    for right, found in zip(truth, extracted, strict=True):
        right_values, found_values = values(right.get(name)), values(found.get(name))
        hits, given, expected = hits + len(right_values & found_values), given + len(found_values), expected + len(right_values)
    return [hits, given, expected]


def _scores(hits: int, given: int, expected: int) -> dict[str, float]:
    precision = hits / given if given else 0.0
    recall = hits / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": expected}
