import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from workbench.db import repo
from workbench.db.session import session_scope
from workbench.errors import ModelNotReadyError
from workbench.jobs import service
from workbench.jobs.results import results_frame
from workbench.jobs.runner import run_job
from workbench.models.encoder import OnnxEncoder
from workbench.models.finetune import FineTuneRecipe, fine_tune_encoder
from workbench.models.manifest import read_manifest
from workbench.tasks.spec import spec_from_dict

BASE = "tiny-encoder"
# Two kinds of text in disjoint words of the tiny encoder's vocabulary.
EXAMPLES = [
    ("invoice charge payment", "billing"), ("refund money paid", "billing"),
    ("card bank price", "billing"), ("my invoice was paid", "billing"),
    ("password login reset", "account"), ("account locked sign", "account"),
    ("email access user", "account"), ("i can not login", "account"),
]
LABEL_NAMES = {"billing": "billing", "account": "account"}
UNSEEN = [
    ("the refund of my payment", "billing"), ("bank card charge", "billing"), ("price of the invoice", "billing"),
    ("reset my password please", "account"), ("user login locked", "account"), ("sign in to my email", "account"),
]
# The tiny encoder starts from random weights: it takes a higher learning rate and trainable token
# embeddings to learn anything in a few steps (the real encoder keeps the default recipe).
EAGER = FineTuneRecipe(learning_rate=1e-2, freeze_embeddings=False)


class _Settings:
    def __init__(self, models_dir):
        self.models_dir = models_dir


def _with_tiny_base(models_dir, tiny_encoder_folder):
    models_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(tiny_encoder_folder, models_dir / BASE, dirs_exist_ok=True)
    return models_dir


@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_encoder_folder):
    """A models folder holding the tiny base encoder, shared by the tests that build from it."""
    return _Settings(_with_tiny_base(tmp_path_factory.mktemp("finetune") / "models", tiny_encoder_folder))


@pytest.fixture(scope="module")
def fine_tuned(models):
    return fine_tune_encoder(models, BASE, EXAMPLES, LABEL_NAMES, recipe=EAGER)


def test_the_fine_tuned_folder_is_a_prepared_encoder(models, fine_tuned):
    manifest, base = read_manifest(fine_tuned), read_manifest(models.models_dir / BASE)
    assert fine_tuned.parent == models.models_dir and manifest.name == fine_tuned.name
    assert (manifest.kind, manifest.source, manifest.source_sha256) == ("encoder", f"fine-tuned:{BASE}", base.onnx_sha256)
    assert manifest.quantization["preset"] == "int8-per-channel" and manifest.max_length == base.max_length
    assert manifest.measurements["examples"] == len(EXAMPLES) and manifest.measurements["epochs"] == EAGER.epochs
    assert manifest.measurements["training_seconds"] > 0
    vectors = OnnxEncoder(fine_tuned).embed(["refund my card", "reset my password"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert not [p for p in models.models_dir.iterdir() if p.name.startswith(".staging")]


def test_the_same_examples_in_another_order_reuse_the_folder_without_training(models, fine_tuned):
    built = (fine_tuned / "model.quant.onnx").stat().st_mtime_ns
    messages, started = [], time.perf_counter()
    again = fine_tune_encoder(models, BASE, EXAMPLES[::-1], LABEL_NAMES, lambda _f, m: messages.append(m), recipe=EAGER)
    assert time.perf_counter() - started < 1.0
    assert again == fine_tuned and (again / "model.quant.onnx").stat().st_mtime_ns == built
    assert messages == [f"{fine_tuned.name} is ready"]


def test_different_examples_get_a_folder_of_their_own(models, fine_tuned):
    other = fine_tune_encoder(models, BASE, [*EXAMPLES[:-1], ("reset my login", "account")], LABEL_NAMES,
                              recipe=FineTuneRecipe(epochs=1))
    assert other != fine_tuned and read_manifest(other).name == other.name
    assert read_manifest(fine_tuned) is not None


def _margins(folder) -> np.ndarray:
    """For each unseen text: similarity to its own label's examples minus similarity to the other label's."""
    encoder = OnnxEncoder(folder)
    examples, labels = encoder.embed([t for t, _ in EXAMPLES]), np.array([label for _, label in EXAMPLES])
    centroids = {label: examples[labels == label].mean(axis=0) for label in LABEL_NAMES}
    centroids = {label: c / np.linalg.norm(c) for label, c in centroids.items()}
    unseen = encoder.embed([t for t, _ in UNSEEN])
    return np.array([v @ centroids[own] - v @ centroids[({*LABEL_NAMES} - {own}).pop()]
                     for v, (_, own) in zip(unseen, UNSEEN, strict=True)])


def test_fine_tuning_moves_unseen_texts_towards_their_own_label(models, fine_tuned):
    before, after = _margins(models.models_dir / BASE), _margins(fine_tuned)
    assert before.min() < 0, "the random base encoder should confuse some texts"
    assert after.min() > 0, f"every unseen text should be nearer its own label after fine-tuning: {after}"
    assert after.mean() > before.mean() + 0.05


def test_a_failure_midway_leaves_nothing_behind(tmp_path, tiny_encoder_folder):
    models = _Settings(_with_tiny_base(tmp_path / "models", tiny_encoder_folder))

    def break_at_the_second_step(_fraction, message):
        if "step 2 of" in message:
            raise RuntimeError("power cut")

    with pytest.raises(ModelNotReadyError, match="failed on a problem the app did not expect. Nothing was kept"):
        fine_tune_encoder(models, BASE, EXAMPLES[:6], LABEL_NAMES, break_at_the_second_step)
    assert [p.name for p in models.models_dir.iterdir()] == [BASE]


def test_missing_base_weights_say_what_to_do(tmp_path, tiny_encoder_folder):
    models = _Settings(_with_tiny_base(tmp_path / "models", tiny_encoder_folder))
    with pytest.raises(ModelNotReadyError, match="original weights"):
        fine_tune_encoder(models, BASE, EXAMPLES, LABEL_NAMES, source=tmp_path / "nowhere")
    assert [p.name for p in models.models_dir.iterdir()] == [BASE]


def test_a_base_that_pools_otherwise_is_refused_not_turned_into_another_model(tmp_path, tiny_encoder_folder):
    import json

    models = _Settings(_with_tiny_base(tmp_path / "models", tiny_encoder_folder))
    manifest = json.loads((models.models_dir / BASE / "manifest.json").read_text())
    (models.models_dir / BASE / "manifest.json").write_text(json.dumps({**manifest, "pooling": ["cls"]}))
    with pytest.raises(ModelNotReadyError, match="makes its vectors another way .*Run the job without fine-tuning"):
        fine_tune_encoder(models, BASE, EXAMPLES, LABEL_NAMES)
    assert [p.name for p in models.models_dir.iterdir()] == [BASE]


JOB_SPEC = {"task": "classify", "text": "text", "model": BASE, "fine_tune": True,
            "examples": [{"text": t, "label": label} for t, label in EXAMPLES]}
# A later run of the template, in a fresh process: the fine-tuned encoder is ready, so torch stays out.
LATER_RUN = (
    "import json, sys; from workbench.config import get_settings; from workbench.models.registry import load_encoder; "
    "from workbench.tasks.spec import spec_from_dict; "
    f"task = spec_from_dict({JOB_SPEC!r}).build(lambda name: load_encoder(get_settings(), name)); task.setup(); "
    "print(json.dumps([task.encoder.manifest.name, task.run_batch(['refund my card'])[0].outputs['label'], "
    "'torch' in sys.modules]))"
)


def test_a_job_with_fine_tune_runs_on_the_fine_tuned_encoder_and_records_it(settings, tiny_encoder_folder, tmp_path):
    _with_tiny_base(settings.models_dir, tiny_encoder_folder)
    rows = tmp_path / "rows.csv"
    rows.write_text("text\n" + "\n".join(t for t, _ in UNSEEN) + "\n")
    job_id = service.create_job(settings, spec_from_dict(JOB_SPEC), rows)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id) == "completed"
    recorded = service.get_job(settings, job_id).model
    assert recorded["source"] == f"fine-tuned:{BASE}" and (settings.models_dir / recorded["name"]).is_dir()
    assert set(results_frame(settings, job_id)["label"]) <= set(LABEL_NAMES)
    later = subprocess.run([sys.executable, "-c", LATER_RUN], capture_output=True, text=True, check=True)
    name, label, imported_torch = json.loads(later.stdout)
    assert name == recorded["name"] and label in LABEL_NAMES and imported_torch is False


def test_fine_tune_without_examples_keeps_the_chosen_model(tiny_encoder):
    asked = []
    spec = spec_from_dict({"task": "classify", "text": "text", "labels": ["billing", "account"], "fine_tune": True})
    spec.build(lambda name: asked.append(name) or tiny_encoder).setup()
    assert asked == ["default"]


def test_a_killed_fine_tunes_scratch_folder_goes_with_the_next_fine_tune_of_that_model(settings):
    """Its scratch folder had no process id in its name, so no later run could tell it was abandoned."""
    from workbench.models import finetune

    target = settings.models_dir / "tuned"
    abandoned = settings.models_dir / ".staging-tuned-999999999-abcd1234"  # no process has this id
    abandoned.mkdir(parents=True)
    with finetune._staged(settings, target, "base") as staging:
        assert staging.name.startswith(f".staging-tuned-{os.getpid()}-")
        (staging / "model.onnx").write_text("weights")
    assert not abandoned.exists() and [p.name for p in settings.models_dir.iterdir()] == ["tuned"]
