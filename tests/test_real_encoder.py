"""The bundled encoder, prepared for real: manifest, no torch at inference, quality on the samples."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import SAMPLE_DIR
from workbench.io import read_table
from workbench.io.rows import row_texts
from workbench.models.registry import encoder_folder, load_encoder, model_snapshot
from workbench.tasks.spec import load_task_file

pytestmark = pytest.mark.slow


def test_the_prepared_model_has_a_complete_manifest(real_settings):
    snapshot = model_snapshot(real_settings)
    assert snapshot["name"] == "all-MiniLM-L6-v2"
    assert snapshot["quantization"]["preset"] == "int8-per-channel"
    assert len(snapshot["onnx_sha256"]) == 64 and len(snapshot["source_sha256"]) == 64
    assert 10e6 < snapshot["size_bytes"] < 40e6  # int8: about a quarter of the 90 MB float model


def test_inference_never_imports_torch(real_settings):
    script = (
        "import sys, json; from pathlib import Path; from workbench.models.encoder import OnnxEncoder;"
        f"vectors = OnnxEncoder(Path({str(encoder_folder(real_settings))!r})).embed(['where is my parcel?']);"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'shape': list(vectors.shape)}))"
    )
    result = json.loads(subprocess.check_output([sys.executable, "-c", script], text=True))
    assert result == {"torch": False, "shape": [1, 384]}


def test_similar_sentences_are_closer_than_unrelated_ones(real_settings):
    encoder = load_encoder(real_settings)
    a, b, c = encoder.embed(["My card has not arrived yet", "Still waiting for my new card", "I love this chair"])
    assert float(a @ b) > float(a @ c) + 0.3
    assert np.allclose([np.linalg.norm(v) for v in (a, b, c)], 1.0, atol=1e-4)


def test_the_support_email_sample_is_mostly_right(real_settings):
    # Topic labels suit a sentence encoder; sentiment (the reviews sample) does not: 0.53 measured, see
    # docs/benchmarks.md. That needs the generator (issue 4), so it is not asserted here.
    spec = load_task_file(SAMPLE_DIR / "support_emails.task.yaml")
    frame = read_table(SAMPLE_DIR / "support_emails.csv")
    task = spec.build(lambda name: load_encoder(real_settings, name))
    task.setup()
    outputs = task.run_batch([row.text for row in row_texts(frame, spec.text, 100_000)])
    predicted = np.array([o.outputs["label"] for o in outputs])
    assert (predicted == frame["category"].to_numpy()).mean() >= 0.85


def test_zero_shot_confidence_on_the_support_emails_says_how_often_it_is_right(real_settings):
    """Adapted to the job, zero-shot used to say 0.98 on average while right 0.875 of the time, so the review
    queue of rows under 0.5 was empty; the mean confidence now follows the share right (docs/benchmarks.md)."""
    spec = load_task_file(SAMPLE_DIR / "support_emails.task.yaml")
    spec = spec.model_copy(update={"config": {**spec.config, "examples": []}})
    frame = read_table(SAMPLE_DIR / "support_emails.csv")
    texts = [row.text for row in row_texts(frame, spec.text, 100_000)]
    task = spec.build(lambda name: load_encoder(real_settings, name))
    task.setup()
    task.adapt(texts)
    outputs = task.run_batch(texts)
    right = np.mean([o.outputs["label"] == truth for o, truth in zip(outputs, frame["category"], strict=True)])
    assert abs(np.mean([o.confidence for o in outputs]) - right) < 0.05


def test_names_fields_tell_people_from_places_and_companies(real_settings):
    """The fields the README and the form suggest, on the real encoder, on invented sentences (not WNUT-17's)."""
    from workbench.tasks.names import NameFinder, NamesField

    fields = [NamesField("person", "names of people"), NamesField("place", "places, cities, countries"),
              NamesField("company", "companies and brands")]
    found = NameFinder(load_encoder(real_settings).embed, fields).find([
        "Yesterday Angela Merkel flew from Berlin to Tokyo.", "so I wrote to Microsoft and to Samsung about it",
        "Thanks for sorting it out so quickly!\nKind regards,\nMargot"])
    assert found == [{"person": ["Angela Merkel"], "place": ["Berlin", "Tokyo"], "company": []},
                     {"person": [], "place": [], "company": ["Microsoft", "Samsung"]},
                     {"person": ["Margot"], "place": [], "company": []}]
