"""Adding models from a folder, a GGUF file, a hub id (a local mimic of the hub cache), quantizing them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner

from tests.conftest import SAMPLE_DIR
from tests.test_model_builds import _builds_held
from tests.test_model_messages import _copy_as
from tests.tiny_models import build_tiny_encoder_source, build_tiny_llama_gguf, build_tiny_llama_source
from workbench.cli import cli
from workbench.errors import ModelNotReadyError
from workbench.models import prepare as prepare_module
from workbench.models import registry
from workbench.models.bundled import BundledPack
from workbench.models.export import EXPORT_REVISIONS
from workbench.models.manifest import read_manifest


@pytest.fixture(scope="module")
def encoder_source(tmp_path_factory):
    return build_tiny_encoder_source(tmp_path_factory.mktemp("encoder") / "tiny-bert")


@pytest.fixture(scope="module")
def llama_source(tmp_path_factory):
    return build_tiny_llama_source(tmp_path_factory.mktemp("llama") / "tiny-llama")


def test_a_local_folder_is_added_measured_and_listed(settings, encoder_source):
    steps = []
    folder = registry.add_model(settings, str(encoder_source), progress=lambda f, m: steps.append((f, m)))
    manifest = read_manifest(folder)
    assert (manifest.name, manifest.kind, manifest.source) == ("tiny-bert", "encoder", str(encoder_source))
    assert manifest.measurements["rows_per_second"] > 0
    assert 0.5 < manifest.measurements["agreement_with_unquantized"] <= 1.0001
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1][0] == 1.0  # progress only moves on
    assert "tiny-bert" in [row["name"] for row in registry.list_models(settings) if row["prepared"]]


def test_a_causal_model_is_added_as_a_generator_with_tokens_per_second(settings, llama_source):
    steps = []
    folder = registry.add_model(settings, str(llama_source), preset="none", progress=lambda f, m: steps.append(m))
    manifest = read_manifest(folder)
    assert manifest.kind == "generator"
    assert manifest.measurements["tokens_per_second"] > 0
    assert manifest.measurements["agreement_with_unquantized"] == 1.0  # it is the unquantized model
    assert manifest.measurements["agreement_with_original"] == 1.0  # transformers + PyTorch answer the same
    assert "Comparing tiny-llama's answers with the original model's (8 of 8)" in steps


def test_an_original_that_cannot_be_run_here_leaves_the_model_built_and_says_so(settings, llama_source, monkeypatch):
    def out_of_memory(*_args):
        raise MemoryError

    monkeypatch.setattr(prepare_module, "agreement_with_original", out_of_memory)
    manifest = read_manifest(registry.add_model(settings, str(llama_source), preset="none"))
    assert "agreement_with_original" not in manifest.measurements and manifest.measurements["tokens_per_second"] > 0
    assert manifest.measurements["original_compared_on"].startswith("not compared: the original model could not be run")


def test_the_agreement_with_the_original_falls_when_the_answers_differ(settings, llama_source, encoder_source,
                                                                      tmp_path):
    """Measured against another model of the same shape (other weights), neither kind agrees: the figure can fail."""
    import torch
    from transformers import AutoModel, AutoModelForCausalLM

    from workbench.models.original import agreement_with_original

    others = {}
    for kind, source, loader in (("generator", llama_source, AutoModelForCausalLM), ("encoder", encoder_source, AutoModel)):
        model = loader.from_pretrained(source)
        with torch.no_grad():
            for weights in model.parameters():
                weights.copy_(weights[torch.randperm(weights.shape[0])] if weights.dim() else weights)
        others[kind] = shutil.copytree(source, tmp_path / kind)
        model.save_pretrained(others[kind])
    generator = registry.add_model(settings, str(llama_source), preset="none")
    encoder = registry.add_model(settings, str(encoder_source), preset="none")
    assert read_manifest(encoder).measurements["agreement_with_original"] > 0.999
    assert agreement_with_original("generator", generator, others["generator"])["agreement_with_original"] < 0.5
    assert agreement_with_original("encoder", encoder, others["encoder"])["agreement_with_original"] < 0.9


def test_a_gguf_file_is_added_and_answers_as_its_hugging_face_original(settings, llama_source, tmp_path):
    from workbench.models.generator import OnnxGenerator

    gguf_file = build_tiny_llama_gguf(llama_source, tmp_path / "tiny-llama-gguf.gguf")
    manifest = read_manifest(registry.add_model(settings, str(gguf_file), preset="none"))
    assert (manifest.name, manifest.kind, manifest.source) == ("tiny-llama-gguf", "generator", str(gguf_file))
    assert manifest.measurements["tokens_per_second"] > 0
    original = registry.add_model(settings, str(llama_source), name="original", preset="none")
    from_gguf, from_folder = OnnxGenerator(registry.model_dir(settings, "tiny-llama-gguf")), OnnxGenerator(original)
    prompts = [from_folder.chat.prompt(text) for text in ("The parcel arrived late.", "Refund my card payment.")]
    assert [g.tokens for g in from_gguf.generate(prompts, 12)] == [g.tokens for g in from_folder.generate(prompts, 12)]


def test_a_q4_1_gguf_keeps_its_4_bit_blocks_and_answers_as_its_float_export(settings, llama_source, tmp_path):
    import onnx

    from workbench.models.generator import OnnxGenerator

    gguf_file = build_tiny_llama_gguf(llama_source, tmp_path / "tiny-q4.gguf", q4_1=True)
    floats = OnnxGenerator(registry.add_model(settings, str(gguf_file), name="floats", preset="none"))
    blocks = registry.add_model(settings, str(gguf_file), name="blocks", preset="gguf-q4_1")
    manifest = read_manifest(blocks)
    ops = [node.op_type for node in onnx.load(str(blocks / manifest.onnx_file)).graph.node]
    assert ops.count("MatMulNBits") == 14  # 7 linear layers in each of 2 blocks, q and k included (reordered rows)
    assert manifest.measurements["agreement_with_unquantized"] == 1.0
    prompts = [floats.chat.prompt(text) for text in ("The parcel arrived late.", "Refund my card payment.", "Hi")]
    answers = OnnxGenerator(blocks).generate(prompts, 16)
    assert [g.tokens for g in answers] == [g.tokens for g in floats.generate(prompts, 16)]


def test_a_gguf_file_without_q4_1_weights_is_not_kept_under_a_4_bit_name(settings, llama_source, tmp_path):
    gguf_file = build_tiny_llama_gguf(llama_source, tmp_path / "tiny-f32.gguf")
    with pytest.raises(ModelNotReadyError, match="'tiny-f32.gguf' holds no Q4_1 weights"):
        registry.add_model(settings, str(gguf_file), preset="gguf-q4_1")
    assert [row["name"] for row in registry.list_models(settings) if row.get("folder")] == []


def test_quantize_makes_a_new_model_measured_against_the_unquantized_one(settings, llama_source):
    registry.add_model(settings, str(llama_source), name="llama", preset="none")
    manifest = read_manifest(registry.quantize_model(settings, "llama", "int8-block32"))
    assert (manifest.name, manifest.quantization["preset"], manifest.source) == (
        "llama-int8-block32", "int8-block32", str(llama_source))
    assert 0 <= manifest.measurements["agreement_with_unquantized"] <= 1
    with pytest.raises(ModelNotReadyError, match="exists already"):
        registry.quantize_model(settings, "llama", "int8-block32")


@pytest.mark.parametrize("action", ["add", "quantize"])
def test_a_build_that_waited_for_one_of_the_same_name_refuses_the_name(settings, tiny_encoder_folder, action):
    """`models add A --name race &` then `models add B --name race`: both found the name free, the second waited for
    the first's build, then said "race is ready" of A's model."""
    source = read_manifest(tiny_encoder_folder).source
    _copy_as(settings, tiny_encoder_folder, "tiny")
    waiting = threading.Event()

    def progress(_fraction, message):
        if message.startswith("Waiting for another model's build"):
            waiting.set()

    build = {"add": lambda: registry.add_model(settings, source, name="race", progress=progress),
             "quantize": lambda: registry.quantize_model(settings, "tiny", "none", progress, new_name="race")}[action]
    with ThreadPoolExecutor(1) as pool:
        with _builds_held(settings):
            second = pool.submit(build)
            assert waiting.wait(60)
            first = _copy_as(settings, tiny_encoder_folder, "race")  # the build it waited for, done meanwhile
        with pytest.raises(ModelNotReadyError, match="A model named 'race' exists already. Choose another name"):
            second.result(timeout=120)
    assert read_manifest(first).onnx_sha256 == read_manifest(tiny_encoder_folder).onnx_sha256


def test_quantizing_with_the_quantization_a_model_has_is_refused(settings, tiny_encoder_folder, monkeypatch):
    _copy_as(settings, tiny_encoder_folder, "tiny")
    monkeypatch.setattr(prepare_module, "export_onnx", lambda *a, **k: pytest.fail("refused before exporting"))
    with pytest.raises(ModelNotReadyError) as refused:
        registry.quantize_model(settings, "tiny", "int8-per-channel")
    assert str(refused.value) == "'tiny' is already quantized with int8-per-channel. Choose another quantization."


def _added_from_a_copy(settings, tiny_encoder_folder, tmp_path):
    """The tiny encoder as if added from a folder of the user's own, which the test can then change or move."""
    source = shutil.copytree(read_manifest(tiny_encoder_folder).source, tmp_path / "my-bert")
    folder = _copy_as(settings, tiny_encoder_folder, "my-bert")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "source": str(source)}))
    return source


def test_quantizing_a_model_whose_source_changed_since_it_was_added_is_refused(settings, tiny_encoder_folder,
                                                                                tmp_path):
    from safetensors.numpy import load_file, save_file

    weights = _added_from_a_copy(settings, tiny_encoder_folder, tmp_path) / "model.safetensors"
    save_file({key: value * 2 for key, value in load_file(weights).items()}, weights, metadata={"format": "pt"})
    with pytest.raises(ModelNotReadyError) as refused:
        registry.quantize_model(settings, "my-bert", "none")
    assert str(refused.value) == (
        f"The source of 'my-bert' ({weights.parent}) has changed since the model was added, so quantizing it now would "
        "make a copy of another model. Add the new source as a model of its own, under a new name, or put back the "
        "original to quantize 'my-bert'.")
    assert not registry.model_dir(settings, "my-bert-none").exists()


def test_quantizing_a_model_whose_source_is_gone_says_where_it_was(settings, tiny_encoder_folder, tmp_path):
    shutil.rmtree(_added_from_a_copy(settings, tiny_encoder_folder, tmp_path))
    with pytest.raises(ModelNotReadyError) as refused:
        registry.quantize_model(settings, "my-bert", "none")
    assert str(refused.value) == (
        f"Quantizing 'my-bert' needs the model's original source, which was at '{tmp_path / 'my-bert'}' and is not "
        "there any more. Put it back there, or add it again from where it is now.")


def test_a_hub_id_is_fetched_through_huggingface_hub(settings, encoder_source, tmp_path, monkeypatch):
    """Offline here: the hub's cache layout, filled from a local folder, stands in for the network."""
    from huggingface_hub import constants

    snapshot = tmp_path / "hub" / "models--acme--tiny-bert" / "snapshots" / ("a" * 40)
    shutil.copytree(encoder_source, snapshot)
    (tmp_path / "hub" / "models--acme--tiny-bert" / "refs").mkdir()
    (tmp_path / "hub" / "models--acme--tiny-bert" / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    manifest = read_manifest(registry.add_model(settings, "acme/tiny-bert"))
    assert (manifest.name, manifest.source) == ("tiny-bert", "hub:acme/tiny-bert")
    with pytest.raises(ModelNotReadyError, match="Could not get 'acme/missing' from the Hugging Face hub"):
        registry.add_model(settings, "acme/missing")
    # Fine-tuning (and quantizing again) reads the weights from the hub's copy, not from a folder named "hub:…".
    from workbench.models.finetune import weights_source

    assert weights_source(manifest) == registry.source_of(manifest) == snapshot


def test_a_fine_tuned_model_names_its_base_when_asked_for_its_weights():
    from workbench.models.manifest import Manifest

    tuned = Manifest(name="bert-fine-tuned-1a2b", kind="encoder", source="fine-tuned:bert", source_sha256="", onnx_file="m",
                     onnx_sha256="", quantization={}, size_bytes=1, max_length=8, created_at="")
    with pytest.raises(ModelNotReadyError, match="fine-tuned from 'bert' on a job's examples.*Use 'bert' instead"):
        registry.source_of(tuned)


def test_a_manifest_from_a_newer_version_or_a_broken_one_does_not_hide_the_other_models(settings, encoder_source):
    import json

    folder = registry.add_model(settings, str(encoder_source), preset="none")
    written = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**written, "a_field_of_a_later_version": 1}))
    assert read_manifest(folder).name == "tiny-bert"
    broken = settings.models_dir / "half-copied"
    broken.mkdir()
    (broken / "manifest.json").write_text("{\"name\": ")
    rows = {row["name"]: row for row in registry.list_models(settings)}
    assert rows["tiny-bert"]["prepared"] and not rows["half-copied"]["prepared"]
    assert "has a manifest this version cannot read" in registry.model_note(rows["half-copied"])


def test_a_model_whose_file_is_gone_is_not_listed_as_ready(settings, encoder_source):
    folder = registry.add_model(settings, str(encoder_source), preset="none")
    (folder / read_manifest(folder).onnx_file).unlink()
    row = next(row for row in registry.list_models(settings) if row["name"] == "tiny-bert")
    assert not row["prepared"] and f"is missing: delete its folder {folder} and add the model again" in registry.model_note(row)


def test_a_damaged_copy_of_a_model_folder_does_not_hide_the_model_and_is_named_by_its_folder(settings,
                                                                                              tiny_encoder_folder):
    healthy = _copy_as(settings, tiny_encoder_folder, "tiny_bert")
    backup = shutil.copytree(healthy, settings.models_dir / "tiny_bert_backup")  # its manifest still says tiny_bert
    (backup / read_manifest(backup).onnx_file).write_bytes(b"cut short")
    rows = {row["name"]: row for row in registry.list_models(settings)}
    assert rows["tiny_bert"]["prepared"] and rows["tiny_bert"]["folder"] == str(healthy)
    assert registry.model_note(rows["tiny_bert"]) == "" and registry.encoder_folder(settings, "tiny_bert") == healthy
    assert not rows["tiny_bert_backup"]["prepared"]
    assert f"delete its folder {backup} and add" in registry.model_note(rows["tiny_bert_backup"])


def test_a_copy_of_a_model_folder_is_listed_by_the_name_that_loads_it(settings, tiny_encoder_folder):
    backup = shutil.copytree(_copy_as(settings, tiny_encoder_folder, "tiny_bert"), settings.models_dir / "old_bert")
    row = next(row for row in registry.list_models(settings) if row["name"] == "old_bert")
    assert row["prepared"] and registry.encoder_folder(settings, "old_bert") == backup
    assert registry.model_note(row) == (f"a copy of the model 'tiny_bert' (its manifest names it so), in the folder "
                                        f"{backup}: task files reach this copy as 'old_bert'")


def _left(settings) -> list:
    """What is in the models folder, but the lock that keeps builds one at a time (prepare.BUILDS_LOCK)."""
    from workbench.models.prepare import BUILDS_LOCK

    return [path for path in settings.models_dir.iterdir() if path.name != BUILDS_LOCK]


def _broken(*_args, **_kwargs):
    raise RuntimeError("disk full")


def test_a_failed_preparation_leaves_nothing_and_can_be_retried(settings, encoder_source, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(prepare_module, "quantize", _broken)
        with pytest.raises(ModelNotReadyError, match="Nothing was kept; run it again"):
            registry.add_model(settings, str(encoder_source), name="retry-me")
    assert not list(_left(settings))
    assert read_manifest(registry.add_model(settings, str(encoder_source), name="retry-me")).name == "retry-me"


KILLED_MID_WAY = """
import os, signal, sys
from workbench.config import get_settings
from workbench.models import prepare, registry
prepare.quantize = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)  # dies as a power cut would, no cleanup
registry.add_model(get_settings(), sys.argv[1], name="killed")
"""


def test_a_preparation_killed_mid_way_is_cleaned_up_by_the_retry(settings, encoder_source):
    died = subprocess.run([sys.executable, "-c", KILLED_MID_WAY, str(encoder_source)])  # same WORKBENCH_DATA_DIR
    assert died.returncode == -signal.SIGKILL
    assert [p.name.startswith(".staging-killed-") for p in _left(settings)] == [True]
    registry.add_model(settings, str(encoder_source), name="killed")
    assert [p.name for p in _left(settings)] == ["killed"]


def test_a_running_preparation_of_the_same_model_keeps_its_staging_folder(settings, encoder_source):
    alive = settings.models_dir / f".staging-other-{os.getpid()}-abcd1234"
    alive.mkdir(parents=True)
    prepare_module.remove_abandoned_staging(settings.models_dir)
    assert alive.exists()


def test_a_killed_build_of_another_model_is_cleaned_up_by_the_next_build(settings, encoder_source):
    died = subprocess.run([sys.executable, "-c", KILLED_MID_WAY, str(encoder_source)])  # builds "killed", is killed
    assert died.returncode == -signal.SIGKILL
    registry.add_model(settings, str(encoder_source), name="another")
    assert [p.name for p in _left(settings)] == ["another"]


def test_sources_that_are_not_models_say_so(settings, tmp_path, encoder_source):
    (tmp_path / "notes.txt").write_text("hello")
    for source, message in [(str(tmp_path / "notes.txt"), "is not a model"), ("not a model id", "neither a model folder"),
                            (str(tmp_path), "is not a model")]:
        with pytest.raises(ModelNotReadyError, match=message):
            registry.add_model(settings, source)
    with pytest.raises(ModelNotReadyError, match="exists already"):
        registry.add_model(settings, str(encoder_source), name="all-MiniLM-L6-v2")


def test_a_file_named_gguf_that_is_not_one_says_what_to_check_not_to_run_it_again(settings, tmp_path):
    (tmp_path / "cut-short.gguf").write_bytes(b"not a gguf file at all")
    with pytest.raises(ModelNotReadyError, match="could not be read as a GGUF model") as refused:
        registry.add_model(settings, str(tmp_path / "cut-short.gguf"))
    assert "download it again" in str(refused.value) and "run it again" not in str(refused.value)
    assert not list(_left(settings))


@pytest.mark.parametrize("config", ["{not json", "", "[]"])
def test_a_folder_with_a_broken_config_says_to_download_it_again(settings, tmp_path, config):
    (tmp_path / "half-downloaded").mkdir()
    (tmp_path / "half-downloaded" / "config.json").write_text(config)
    (tmp_path / "half-downloaded" / "model.safetensors").write_bytes(b"")
    result = CliRunner().invoke(cli, ["models", "add", str(tmp_path / "half-downloaded")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "config.json" in result.output and "ownload the model again" in result.output


@pytest.mark.parametrize("name, message", [("default", "stands for the bundled model"),
                                           ("my model/../x", "cannot be a model's name")])
def test_names_a_model_cannot_have_are_refused_with_the_way_to_choose_another(settings, encoder_source, name, message):
    with pytest.raises(ModelNotReadyError, match=message) as refused:
        registry.add_model(settings, str(encoder_source), name=name)
    assert "--name" in str(refused.value) and not list(_left(settings))


def test_a_name_taken_from_the_source_is_made_fit_for_a_task_file(settings, encoder_source, tmp_path):
    spaced = shutil.copytree(encoder_source, tmp_path / "My Model (v2)")
    assert read_manifest(registry.add_model(settings, str(spaced))).name == "My_Model_v2"


def test_a_folder_of_the_hub_cache_is_named_after_its_model_not_its_commit(settings, tiny_encoder_folder, tmp_path):
    snapshot = tmp_path / "hub" / "models--acme--tiny-bert" / "snapshots" / ("0123abcd" * 5)
    shutil.copytree(read_manifest(tiny_encoder_folder).source, snapshot)
    manifest = read_manifest(registry.add_model(settings, str(snapshot), preset="none"))
    assert (manifest.name, manifest.source) == ("tiny-bert", str(snapshot))


def test_mistakes_that_would_fail_after_minutes_of_export_are_refused_at_once(settings, encoder_source, tmp_path,
                                                                               monkeypatch):
    monkeypatch.setattr(prepare_module, "export_onnx", lambda *a, **k: pytest.fail("refused before exporting"))
    with pytest.raises(ModelNotReadyError, match="is an encoder model .* cannot be added as a generator"):
        registry.add_model(settings, str(encoder_source), kind="generator")
    with pytest.raises(ModelNotReadyError, match="reuses a GGUF file's own 4-bit blocks"):
        registry.add_model(settings, str(encoder_source), preset="gguf-q4_1")
    weightless = shutil.copytree(encoder_source, tmp_path / "onnx-only", ignore=shutil.ignore_patterns("*.safetensors"))
    with pytest.raises(ModelNotReadyError, match="has no model weights"):
        registry.add_model(settings, str(weightless))
    assert not list(_left(settings))


def test_cli_add_quantize_and_list(settings, encoder_source):
    runner = CliRunner()
    added = runner.invoke(cli, ["models", "add", str(encoder_source), "--name", "bert"])
    assert added.exit_code == 0, added.output
    assert "Adding" in added.stderr and "Ready:" in added.stdout and "Adding" not in added.stdout  # bar on stderr
    quantized = runner.invoke(cli, ["models", "quantize", "bert", "--preset", "int8-per-tensor"])
    assert quantized.exit_code == 0, quantized.output
    again = runner.invoke(cli, ["models", "quantize", "bert", "--preset", "int8-per-tensor"])
    assert again.exit_code == 1 and "exists already. Choose another name, with --name" in again.output
    named = runner.invoke(cli, ["models", "quantize", "bert", "--preset", "int8-per-tensor", "--name", "bert-small"])
    assert named.exit_code == 0, named.output
    listed = runner.invoke(cli, ["models", "list"]).stdout
    assert "bert-int8-per-tensor" in listed and "bert-small" in listed and "rows/s" in listed and "agreement" in listed
    failed = runner.invoke(cli, ["models", "add", "/no/such/folder"])
    assert failed.exit_code == 1 and "Traceback" not in failed.output


def _mark_outdated(folder) -> None:
    """As a generator prepared before the export's graph rewrites: its manifest has no export_revision."""
    manifest = folder / "manifest.json"
    fields = json.loads(manifest.read_text())
    fields.pop("export_revision")
    manifest.write_text(json.dumps(fields))


def test_a_generator_from_an_older_export_is_flagged_and_rebuilt_by_prepare(settings, llama_source, monkeypatch):
    folder = registry.add_model(settings, str(llama_source), name="old-llama", preset="int8-block32")
    assert read_manifest(folder).export_revision == EXPORT_REVISIONS["generator"]
    _mark_outdated(folder)
    row = next(r for r in registry.list_models(settings) if r["name"] == "old-llama")
    assert row["outdated"] and "add it again" in registry.model_note(row)
    pack = BundledPack(name="old-llama", kind="generator", package="", relative_path="", max_length=2048)
    with monkeypatch.context() as patch:  # a failed rebuild keeps the model that works
        patch.setattr(prepare_module, "quantize", _broken)
        with pytest.raises(ModelNotReadyError):
            prepare_module.prepare_encoder(settings, pack, source=llama_source)
    assert read_manifest(folder).export_revision == 1 and prepare_module.is_prepared(folder)
    prepare_module.prepare_encoder(settings, pack, source=llama_source)
    rebuilt = read_manifest(folder)
    assert (rebuilt.export_revision, rebuilt.quantization["preset"]) == (EXPORT_REVISIONS["generator"], "int8-block32")
    assert not next(r for r in registry.list_models(settings) if r["name"] == "old-llama")["outdated"]


def test_bundled_models_from_an_older_export_point_to_prepare():
    advice = registry.model_note({"name": "SmolLM2-135M-Instruct", "outdated": True})
    assert "workbench models prepare SmolLM2-135M-Instruct" in advice
    assert registry.model_note({"name": "SmolLM2-135M-Instruct", "outdated": False}) == ""


def test_a_model_of_the_other_kind_is_refused_with_what_to_choose(settings, encoder_source):
    registry.add_model(settings, str(encoder_source), name="tiny-bert")
    with pytest.raises(ModelNotReadyError, match="'tiny-bert' is an encoder model.*need a generator model"):
        registry.load_generator(settings, "tiny-bert")
    with pytest.raises(ModelNotReadyError, match="'SmolLM2-135M-Instruct' is a generator model.*need an encoder"):
        registry.load_encoder(settings, "SmolLM2-135M-Instruct")  # refused before it is prepared, too
    registry.check_kind(settings, "tiny-bert", "encoder")  # the right kind passes


def test_a_job_with_a_model_of_the_other_kind_is_not_created(settings, encoder_source):
    from workbench.jobs import service
    from workbench.tasks.spec import spec_from_dict

    registry.add_model(settings, str(encoder_source), name="tiny-bert")
    spec = spec_from_dict({"task": "summarize", "text": ["Body"], "model": "tiny-bert"})
    with pytest.raises(ModelNotReadyError, match="these settings need a generator"):
        service.create_job(settings, spec, SAMPLE_DIR / "support_emails.csv")
    assert service.list_jobs(settings) == []


def test_a_model_prepared_by_a_newer_version_is_refused_in_words(settings, encoder_source):
    folder = registry.add_model(settings, str(encoder_source))
    manifest = folder / "manifest.json"
    fields = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**fields, "export_revision": EXPORT_REVISIONS["encoder"] + 1}))
    with pytest.raises(ModelNotReadyError, match="prepared by a newer version of SLM Workbench"):
        registry.load_encoder(settings, "tiny-bert")  # not onnxruntime's list of missing graph inputs
