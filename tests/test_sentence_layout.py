"""sentence-transformers folders: their own pooling and Dense steps, the length they read, steps refused at once."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from tests.tiny_models import build_tiny_encoder_source
from workbench.errors import ModelNotReadyError
from workbench.models import registry
from workbench.models.encoder import OnnxEncoder
from workbench.models.manifest import Manifest, read_manifest
from workbench.models.pooling import pool
from workbench.models.sources import max_length

TEXTS = ["my parcel arrived late", "please reset my password", "the invoice charge was wrong and i want a refund"]
CLS_POOLING = {"word_embedding_dimension": 32, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}


@pytest.fixture(scope="module")
def bert_source(tmp_path_factory):
    return build_tiny_encoder_source(tmp_path_factory.mktemp("st") / "tiny-bert")


def _as_sentence_transformers(bert_source, folder, pooling: dict, dense: dict | None = None):
    """The tiny BERT saved as sentence-transformers saves a model: modules.json, 1_Pooling, perhaps 2_Dense."""
    shutil.copytree(bert_source, folder)
    steps = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
             {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if dense is not None:
        steps.append({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})
        _save_dense(folder / "2_Dense", dense)
    steps.append({"idx": len(steps), "name": "n", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"})
    (folder / "modules.json").write_text(json.dumps(steps))
    return folder


def _save_dense(folder, weights: dict) -> None:
    from safetensors.numpy import save_file

    folder.mkdir()
    out_features, in_features = weights["linear.weight"].shape
    (folder / "config.json").write_text(json.dumps({"in_features": in_features, "out_features": out_features,
                                                    "bias": True,
                                                    "activation_function": "torch.nn.modules.activation.Tanh"}))
    save_file(weights, str(folder / "model.safetensors"))


def _reference(bert_source, texts, dense: dict | None = None) -> np.ndarray:
    """What sentence-transformers computes for CLS pooling (+ Dense with tanh, + Normalize), in PyTorch."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer, model = AutoTokenizer.from_pretrained(bert_source), AutoModel.from_pretrained(bert_source).eval()
    with torch.no_grad():
        vectors = model(**tokenizer(texts, return_tensors="pt", padding=True)).last_hidden_state[:, 0].numpy()
    if dense is not None:
        vectors = np.tanh(vectors @ dense["linear.weight"].T + dense["linear.bias"])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_cls_pooled_model_with_a_dense_step_gives_the_models_own_vectors(settings, bert_source, tmp_path):
    rng = np.random.default_rng(0)
    dense = {"linear.weight": rng.normal(size=(16, 32)).astype(np.float32),
             "linear.bias": rng.normal(size=16).astype(np.float32)}
    source = _as_sentence_transformers(bert_source, tmp_path / "st-cls-dense", CLS_POOLING, dense)
    folder = registry.add_model(settings, str(source), preset="none")
    manifest = read_manifest(folder)
    assert (manifest.pooling, manifest.dense) == (["cls"], ["tanh"])
    encoder = OnnxEncoder(folder)
    vectors = encoder.embed(TEXTS)
    assert encoder.dimension == 16 and vectors.shape == (3, 16)
    np.testing.assert_allclose(vectors, _reference(bert_source, TEXTS, dense), atol=1e-4)


def test_cls_pooling_is_not_mean_pooling(settings, bert_source, tmp_path):
    """The check above can fail: the tiny model's mean-pooled vectors are far from its CLS ones."""
    source = _as_sentence_transformers(bert_source, tmp_path / "st-cls", CLS_POOLING)
    cls_vectors = OnnxEncoder(registry.add_model(settings, str(source), preset="none")).embed(TEXTS)
    mean_vectors = OnnxEncoder(registry.add_model(settings, str(bert_source), preset="none")).embed(TEXTS)
    np.testing.assert_allclose(cls_vectors, _reference(bert_source, TEXTS), atol=1e-4)
    assert (cls_vectors * mean_vectors).sum(axis=1).max() < 0.95
    assert read_manifest(settings.models_dir / "tiny-bert").pooling == ["mean"]  # no modules.json: the default


def test_a_step_this_version_cannot_run_is_refused_before_the_export(settings, bert_source, tmp_path):
    source = _as_sentence_transformers(bert_source, tmp_path / "st-cnn", CLS_POOLING)
    steps = json.loads((source / "modules.json").read_text())
    steps.insert(1, {"idx": 1, "name": "cnn", "path": "1_CNN", "type": "sentence_transformers.models.CNN"})
    (source / "modules.json").write_text(json.dumps(steps))
    with pytest.raises(ModelNotReadyError, match=r"a step this version cannot run \(sentence_transformers.models.CNN"):
        registry.add_model(settings, str(source))
    assert not any(settings.models_dir.glob("st-cnn*"))


def test_a_dense_step_with_an_activation_this_version_lacks_is_refused(settings, bert_source, tmp_path):
    dense = {"linear.weight": np.ones((4, 32), np.float32), "linear.bias": np.zeros(4, np.float32)}
    source = _as_sentence_transformers(bert_source, tmp_path / "st-gelu", CLS_POOLING, dense)
    config = json.loads((source / "2_Dense" / "config.json").read_text())
    (source / "2_Dense" / "config.json").write_text(json.dumps({**config, "activation_function": "my.Swish"}))
    with pytest.raises(ModelNotReadyError, match="a Dense step with my.Swish"):
        registry.add_model(settings, str(source))


def test_the_length_a_sentence_transformers_folder_names_caps_the_input(bert_source, tmp_path):
    source = _as_sentence_transformers(bert_source, tmp_path / "st-short", CLS_POOLING)
    assert max_length(source, "encoder") == 64  # the tiny BERT's window
    (source / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 16, "do_lower_case": False}))
    assert max_length(source, "encoder") == 16


def test_each_pooling_reads_only_the_real_tokens():
    hidden = np.array([[[1.0, 0.0], [3.0, 2.0], [9.0, 9.0]],
                       [[2.0, 4.0], [0.0, 0.0], [0.0, 0.0]]], np.float32)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(pool(hidden, mask, ["mean"]), [[2.0, 1.0], [2.0, 4.0]])
    np.testing.assert_allclose(pool(hidden, mask, ["max"]), [[3.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(pool(hidden, mask, ["lasttoken"]), [[3.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(pool(hidden, mask, ["weightedmean"]), [[7 / 3, 4 / 3], [2.0, 4.0]])
    np.testing.assert_allclose(pool(hidden, mask, ["cls", "mean"]), [[1.0, 0.0, 2.0, 1.0], [2.0, 4.0, 2.0, 4.0]])


def test_a_manifest_from_before_pooling_was_recorded_mean_pools():
    old = Manifest(name="m", kind="encoder", source="s", source_sha256="", onnx_file="model.onnx", onnx_sha256="",
                   quantization={}, size_bytes=1, max_length=8, created_at="")
    assert (old.pooling, old.dense) == (["mean"], [])


def test_the_older_layout_with_the_model_in_a_subfolder_is_added_as_its_folder_says(settings, bert_source, tmp_path):
    """sentence-transformers once saved the transformer in 0_Transformer/, with no config.json beside modules.json."""
    root = tmp_path / "old-layout"
    shutil.copytree(bert_source, root / "0_Transformer")
    (root / "0_Transformer" / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 32}))
    (root / "1_Pooling").mkdir()
    (root / "1_Pooling" / "config.json").write_text(json.dumps(CLS_POOLING))
    (root / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    manifest = read_manifest(registry.add_model(settings, str(root), preset="none"))
    assert (manifest.name, manifest.source, manifest.pooling, manifest.max_length) == (
        "old-layout", str(root), ["cls"], 32)
    vectors = OnnxEncoder(settings.models_dir / "old-layout").embed(TEXTS)
    np.testing.assert_allclose(vectors, _reference(bert_source, TEXTS), atol=1e-4)


def test_a_default_prompt_goes_before_every_text_and_a_listed_one_does_not(settings, bert_source, tmp_path):
    source = _as_sentence_transformers(bert_source, tmp_path / "st-prompt", CLS_POOLING)
    listed = {"prompts": {"query": "please help ", "passage": ""}, "default_prompt_name": None}
    (source / "config_sentence_transformers.json").write_text(json.dumps(listed))
    plain = OnnxEncoder(registry.add_model(settings, str(source), name="listed", preset="none"))
    assert plain.manifest.prompt == "" and plain.tokenize(["my parcel"])[0].shape == (1, 4)  # [CLS] my parcel [SEP]
    (source / "config_sentence_transformers.json").write_text(json.dumps({**listed, "default_prompt_name": "query"}))
    prompted = OnnxEncoder(registry.add_model(settings, str(source), name="prompted", preset="none"))
    assert prompted.manifest.prompt == "please help "
    np.testing.assert_allclose(prompted.embed(TEXTS), _reference(bert_source, [f"please help {t}" for t in TEXTS]),
                               atol=1e-4)


def test_a_prompt_left_out_of_the_pooling_is_left_out_as_sentence_transformers_does(settings, bert_source, tmp_path):
    import torch
    from transformers import AutoModel, AutoTokenizer

    mean_without_prompt = {"pooling_mode_mean_tokens": True, "include_prompt": False}
    source = _as_sentence_transformers(bert_source, tmp_path / "st-instruct", mean_without_prompt)
    (source / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": {"classification": "please help "}, "default_prompt_name": "classification"}))
    vectors = OnnxEncoder(registry.add_model(settings, str(source), preset="none")).embed(TEXTS)
    tokenizer, model = AutoTokenizer.from_pretrained(bert_source), AutoModel.from_pretrained(bert_source).eval()
    prompt_length = len(tokenizer("please help ")["input_ids"]) - 1  # [CLS] please help, not [SEP]
    for text, vector in zip(TEXTS, vectors, strict=True):
        features = tokenizer("please help " + text, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**features).last_hidden_state[0].numpy()
        expected = hidden[prompt_length:].mean(axis=0)
        np.testing.assert_allclose(vector, expected / np.linalg.norm(expected), atol=1e-4)


@pytest.mark.parametrize(("file", "content", "said"), [
    ("modules.json", [{"path": None, "type": "sentence_transformers.models.Pooling"}], "is not as sentence-transformers"),
    ("1_Pooling/config.json", ["cls"], "is not as sentence-transformers writes it"),
    ("sentence_bert_config.json", [256], "is not as sentence-transformers writes it"),
    ("modules.json", [{"path": "n", "type": "sentence_transformers.models.Normalize"},
                      {"path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}], "a Normalize step before"),
])
def test_files_not_as_sentence_transformers_writes_them_are_refused_in_words(bert_source, tmp_path, file, content, said):
    from workbench.models.sentence_layout import sentence_layout

    source = _as_sentence_transformers(bert_source, tmp_path / "st-odd", CLS_POOLING)
    (source / file).write_text(json.dumps(content))
    with pytest.raises(ModelNotReadyError, match=said):
        sentence_layout(source)


def test_a_length_written_as_true_is_no_length(bert_source, tmp_path):
    source = _as_sentence_transformers(bert_source, tmp_path / "st-true", CLS_POOLING)
    (source / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": True}))
    assert max_length(source, "encoder") == 64


def test_a_model_added_before_its_pooling_was_read_is_listed_with_what_to_do(settings, bert_source, tmp_path):
    source = _as_sentence_transformers(bert_source, tmp_path / "st-old", CLS_POOLING)
    folder = registry.add_model(settings, str(source), preset="none")
    assert not registry.model_note(next(r for r in registry.list_models(settings) if r["name"] == "st-old"))
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({k: v for k, v in manifest.items() if k != "pooling"}))
    row = next(r for r in registry.list_models(settings) if r["name"] == "st-old")
    assert row["prepared"] and registry.model_note(row).startswith(
        "it was added before its folder's own way of making sentence vectors (pooling, Dense steps, prompt) was read")


def test_a_source_folder_that_cannot_be_read_leaves_the_list_whole(settings, bert_source, tmp_path, monkeypatch):
    """Python 3.11 raises PermissionError from is_file() in a folder the user may not read: every page listing
    models failed."""
    source = _as_sentence_transformers(bert_source, tmp_path / "st-locked", CLS_POOLING)
    registry.add_model(settings, str(source), preset="none")

    def locked(_folder):
        raise PermissionError(13, "Permission denied", str(source / "config.json"))

    monkeypatch.setattr(registry, "sentence_layout", locked)
    row = next(r for r in registry.list_models(settings) if r["name"] == "st-locked")
    assert row["prepared"] and not registry.model_note(row)


def test_a_prompt_pooled_by_an_older_version_against_its_folder_is_listed(settings, bert_source, tmp_path):
    source = _as_sentence_transformers(bert_source, tmp_path / "st-e5", {"pooling_mode_mean_tokens": True,
                                                                         "include_prompt": False})
    (source / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": {"query": "query: "}, "default_prompt_name": "query"}))
    folder = registry.add_model(settings, str(source), preset="none")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "pool_prompt": True}))
    row = next(r for r in registry.list_models(settings) if r["name"] == "st-e5")
    assert registry.model_note(row).startswith("it was added before its folder's own way of making sentence vectors")
