"""ROUGE-1, ROUGE-2 and ROUGE-L F1 between a written text and one or more reference texts.

Words are lower-cased runs of letters and digits, without stemming (as rouge-score's default), so the
figures compare with published ones computed the same way. Against several references a text gets its
best score per measure, the usual practice when people wrote different, equally right summaries.
"""

from __future__ import annotations

import re
from collections import Counter

MEASURES = ("rouge1", "rouge2", "rougeL")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower())


def rouge(candidate: str, references: list[str]) -> dict[str, float]:
    """Each measure's best F1 over the references."""
    scores = [_scores(words(candidate), words(reference)) for reference in references]
    return {measure: max((s[measure] for s in scores), default=0.0) for measure in MEASURES}


def mean_rouge(candidates: list[str], references: list[list[str]]) -> dict[str, float]:
    """Average of each row's scores: what a summarization benchmark reports."""
    rows = [rouge(c, r) for c, r in zip(candidates, references, strict=True)]
    return {measure: sum(row[measure] for row in rows) / len(rows) if rows else 0.0 for measure in MEASURES}


def _scores(candidate: list[str], reference: list[str]) -> dict[str, float]:
    return {"rouge1": _ngram_f1(candidate, reference, 1), "rouge2": _ngram_f1(candidate, reference, 2),
            "rougeL": _f1(_lcs_length(candidate, reference), len(candidate), len(reference))}


def _ngram_f1(candidate: list[str], reference: list[str], n: int) -> float:
    # The shifted copies are shorter by design: zip stops at the last complete n-gram.
    grams = [Counter(zip(*(tokens[i:] for i in range(n)), strict=False)) for tokens in (candidate, reference)]
    overlap = sum((grams[0] & grams[1]).values())
    return _f1(overlap, sum(grams[0].values()), sum(grams[1].values()))


def _lcs_length(first: list[str], second: list[str]) -> int:
    """Longest common subsequence, one row of the table at a time (summaries are short, dialogues not)."""
    previous = [0] * (len(second) + 1)
    for word in first:
        current = [0]
        for j, other in enumerate(second):
            current.append(previous[j] + 1 if word == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def _f1(overlap: int, candidate_count: int, reference_count: int) -> float:
    if not overlap:
        return 0.0
    precision, recall = overlap / candidate_count, overlap / reference_count
    return 2 * precision * recall / (precision + recall)
