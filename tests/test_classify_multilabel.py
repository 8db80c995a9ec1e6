"""classify with several labels per row, and when zero-shot adaptation is skipped."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.tasks.spec import spec_from_dict

LABELS = ["billing", "shipping", "returns"]


def classify(tiny_loader, labels=LABELS, **config):
    task = spec_from_dict({"task": "classify", "text": "Body", "labels": labels, **config}).build(tiny_loader)
    task.setup()
    return task


def test_multi_label_adds_a_labels_column_of_every_label_passing_the_label_threshold(tiny_loader):
    task = classify(tiny_loader, multi_label=True, label_threshold=0.2)
    assert task.output_columns(task.config) == ["label", "labels", "confidence", "needs_review"]
    texts = ["refund my invoice and ship it back", "where is my parcel"]
    probabilities = task.scorer.probabilities(task.encoder.embed(texts))
    for row, p in zip(task.run_batch(texts), probabilities, strict=True):
        expected = [LABELS[i] for i in np.argsort(-p) if p[i] >= 0.2 or i == p.argmax()]
        assert row.outputs["labels"] == "; ".join(expected)
        assert row.outputs["labels"].split("; ")[0] == row.outputs["label"]


def test_a_low_label_threshold_gives_every_label_and_a_threshold_of_one_only_the_best(tiny_loader):
    everything = classify(tiny_loader, multi_label=True, label_threshold=1e-9).run_batch(["my order"])[0].outputs
    assert sorted(everything["labels"].split("; ")) == sorted(LABELS)
    best_only = classify(tiny_loader, multi_label=True, label_threshold=1.0).run_batch(["my order"])[0].outputs
    assert best_only["labels"] == best_only["label"]


def test_single_label_jobs_keep_their_three_columns(tiny_loader):
    task = classify(tiny_loader)
    assert task.output_columns(task.config) == ["label", "confidence", "needs_review"]
    assert "labels" not in task.run_batch(["my order"])[0].outputs


@pytest.mark.parametrize(("labels", "adapts"), [(["positive", "negative"], False), (LABELS, True)])
def test_zero_shot_adapts_to_the_job_only_with_three_labels_or_more(tiny_loader, labels, adapts):
    task = classify(tiny_loader, labels=labels)
    task.adapt([f"row number {i} about an order" for i in range(60)])
    assert (task.scorer.job_mean is not None) == adapts
