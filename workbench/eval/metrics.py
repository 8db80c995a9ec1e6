"""Accuracy, macro-F1, per-label precision and recall, and the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class ClassificationReport:
    rows: int
    accuracy: float
    macro_f1: float
    per_label: pd.DataFrame  # label -> precision, recall, f1, support
    confusion: pd.DataFrame  # right answer (rows) x answer given (columns) -> count


def classification_report(truth: list[str], predicted: list[str]) -> ClassificationReport:
    """Compare answers with right answers; labels are compared as trimmed text."""
    truth = [str(t).strip() for t in truth]
    predicted = [str(p).strip() for p in predicted]
    labels = sorted(set(truth) | set(predicted))
    confusion = pd.crosstab(pd.Series(truth, name="right answer"), pd.Series(predicted, name="answer"))
    confusion = confusion.reindex(index=labels, columns=labels, fill_value=0)
    per_label = pd.DataFrame([_label_scores(confusion, label) for label in labels], index=pd.Index(labels, name="label"))
    # Every label given or right counts, as scikit-learn counts them: a label the model gave where no row should
    # have it scores 0, and leaving it out put macro-F1 above accuracy on a small sheet (0.800 for 62.5% right).
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth) if truth else 0.0
    return ClassificationReport(len(truth), accuracy, float(per_label["f1"].mean()) if len(per_label) else 0.0,
                                per_label, confusion)


def _label_scores(confusion: pd.DataFrame, label: str) -> dict:
    hits = int(confusion.loc[label, label])
    given, support = int(confusion[label].sum()), int(confusion.loc[label].sum())
    precision = hits / given if given else 0.0
    recall = hits / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


@dataclass
class MultiLabelReport:
    rows: int
    exact_match: float  # share of rows whose whole set of labels is right
    per_label: pd.DataFrame  # label -> precision, recall, f1, support


def multi_label_report(truth: list[set[str]], predicted: list[set[str]]) -> MultiLabelReport:
    """Each label scored on its own: given where it belongs (hit), where it does not, or missed."""
    labels = sorted(set().union(*truth, *predicted))
    rows = [_set_scores(truth, predicted, label) for label in labels]
    exact = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth) if truth else 0.0
    return MultiLabelReport(len(truth), exact, pd.DataFrame(rows, index=pd.Index(labels, name="label")))


def _set_scores(truth: list[set[str]], predicted: list[set[str]], label: str) -> dict:
    hits = sum(label in t and label in p for t, p in zip(truth, predicted, strict=True))
    given, support = sum(label in p for p in predicted), sum(label in t for t in truth)
    precision = hits / given if given else 0.0
    recall = hits / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}
