"""What a user is told about damaged model files: a prepared model that cannot be loaded, and sources that cannot be
added. Each message says what happened and what to do, never in a library's words, on tiny files made here."""

from __future__ import annotations

import errno
import json
import os
import shutil

import numpy as np
import pytest

from tests.conftest import SAMPLE_DIR
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.errors import ModelNotReadyError
from workbench.jobs import service
from workbench.jobs.runner import run_job
from workbench.models import prepare as prepare_module
from workbench.models import registry
from workbench.models.bundled import BundledPack
from workbench.models.damaged import damaged_message, files_intact
from workbench.models.manifest import MANIFEST_NAME, read_manifest
from workbench.tasks.spec import spec_from_dict

# Words of the libraries under the workbench (a file format, "safetensors", is no library), and advice that cannot
# help with a damaged file.
LIBRARY_WORDS = ("ONNXRuntimeError", "Protobuf", "INVALID", "Exception", "Error:", "numpy", "onnxruntime",
                 "transformers", "huggingface_hub", "mmap", "out of bounds", "unpack", "header too")


def assert_plain(message: str) -> None:
    assert not [word for word in LIBRARY_WORDS if word in message], message
    assert "Traceback" not in message and "run it again" not in message and "Resume it to try again" not in message


def _copy_as(settings, folder, name: str):
    """A prepared copy of the tiny encoder under another name, as `workbench models add` would have made it."""
    copy = shutil.copytree(folder, settings.models_dir / name)
    manifest = json.loads((copy / MANIFEST_NAME).read_text())
    (copy / MANIFEST_NAME).write_text(json.dumps({**manifest, "name": name}))
    return copy


def _zero_the_middle(onnx_file) -> None:
    """Damage that keeps the file's size, as bad sectors or an interrupted overwrite would."""
    data = bytearray(onnx_file.read_bytes())
    data[len(data) // 4: len(data) // 2] = bytes(len(data) // 2 - len(data) // 4)
    onnx_file.write_bytes(data)


def _onnx_file(folder):
    return folder / read_manifest(folder).onnx_file


# -- a prepared model whose files are damaged --------------------------------------------------------------------------


def test_a_model_file_cut_short_is_not_listed_as_ready_and_loading_it_says_to_add_it_again(settings,
                                                                                            tiny_encoder_folder):
    folder = _copy_as(settings, tiny_encoder_folder, "tiny-cut")
    os.truncate(_onnx_file(folder), 3000)
    row = next(row for row in registry.list_models(settings) if row["name"] == "tiny-cut")
    assert not row["prepared"] and "is damaged" in registry.model_note(row)
    with pytest.raises(ModelNotReadyError) as refused:
        registry.load_encoder(settings, "tiny-cut")
    message = str(refused.value)
    assert message.startswith("The model files of tiny-cut are damaged. Delete its folder")
    assert "workbench models add" in message and "--name tiny-cut" in message and message.endswith("resume the job.")
    assert_plain(message)


@pytest.mark.parametrize("damage", ["model file", "tokenizer"])
def test_a_model_damaged_inside_its_files_says_so_when_loaded(settings, tiny_encoder_folder, damage):
    folder = _copy_as(settings, tiny_encoder_folder, "tiny-damaged")
    if damage == "model file":
        _zero_the_middle(_onnx_file(folder))
    else:
        os.truncate(folder / "tokenizer.json", 500)
    with pytest.raises(ModelNotReadyError, match="^The model files of tiny-damaged are damaged") as refused:
        registry.load_encoder(settings, "tiny-damaged")
    assert_plain(str(refused.value))


def test_a_job_on_a_damaged_model_fails_with_what_to_do(settings, tiny_encoder_folder):
    folder = _copy_as(settings, tiny_encoder_folder, "tiny-job")
    _zero_the_middle(_onnx_file(folder))
    spec = spec_from_dict({"task": "classify", "text": "Body", "labels": ["billing", "shipping"], "model": "tiny-job"})
    job_id = service.create_job(settings, spec, SAMPLE_DIR / "support_emails.csv")
    with session_scope(settings) as session:
        assert repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id) == "failed"
    with session_scope(settings) as session:
        error = repo.get_job(session, job_id).error
    assert error.startswith("The model files of tiny-job are damaged") and error.endswith("then resume the job.")
    assert_plain(error)


def test_a_bundled_model_damaged_is_prepared_again_and_then_loads(settings, tiny_encoder_folder):
    """Its message says to prepare it again; preparing it, asked by a user, notices the damage and builds it again
    (a model file of the right size would otherwise be taken as ready)."""
    folder = _copy_as(settings, tiny_encoder_folder, "bundled-like")
    _zero_the_middle(_onnx_file(folder))
    manifest = read_manifest(folder)
    pack = BundledPack(name="bundled-like", kind="encoder", package="", relative_path="", max_length=64)
    prepare_module.prepare_encoder(settings, pack, source=manifest.source)
    assert files_intact(folder, read_manifest(folder)) is False  # taken as ready without check_files
    prepare_module.prepare_encoder(settings, pack, source=manifest.source, check_files=True)
    assert registry.load_encoder(settings, "bundled-like").embed(["the parcel arrived late"]).shape[0] == 1


def test_the_way_to_build_a_damaged_model_again_fits_where_it_came_from(settings, tiny_encoder_folder):
    manifest = read_manifest(tiny_encoder_folder)
    bundled = damaged_message(tiny_encoder_folder, manifest.model_copy(update={"name": "all-MiniLM-L6-v2"}))
    assert bundled == ("The model files of all-MiniLM-L6-v2 are damaged. Prepare it again on the Models page "
                       "(`workbench models prepare all-MiniLM-L6-v2`), then resume the job.")
    tuned = damaged_message(tiny_encoder_folder, manifest.model_copy(update={"source": "fine-tuned:tiny"}))
    assert "Delete its folder" in tuned and "fine-tunes the model again" in tuned and "models add" not in tuned
    hub = damaged_message(tiny_encoder_folder, manifest.model_copy(update={"source": "hub:acme/bert"}))
    assert f"`workbench models add acme/bert --name {manifest.name} --quantization " in hub


# -- sources that cannot be added --------------------------------------------------------------------------------------


@pytest.fixture
def no_export(monkeypatch):
    """These sources must be refused at once, not after minutes of export."""
    monkeypatch.setattr(prepare_module, "export_onnx", lambda *a, **k: pytest.fail("refused before exporting"))


def _tiny_gguf(path, architecture: str = "llama"):
    """A complete GGUF file of one small tensor, written as llama.cpp's writer writes one."""
    import gguf

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", np.arange(4096, dtype=np.float32).reshape(64, 64))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def _refusal(settings, source: str) -> str:
    with pytest.raises(ModelNotReadyError) as refused:
        registry.add_model(settings, source)
    assert_plain(str(refused.value))
    return str(refused.value)


@pytest.mark.parametrize("kept", [1000, 24, -100])
def test_a_gguf_file_cut_short_is_refused_as_incomplete(settings, tmp_path, no_export, kept):
    whole = _tiny_gguf(tmp_path / "whole.gguf").read_bytes()
    (tmp_path / "cut.gguf").write_bytes(whole[:kept])
    assert _refusal(settings, str(tmp_path / "cut.gguf")) == (
        "'cut.gguf' is not a complete GGUF file (it may be cut short: download it again).")


def test_an_empty_or_foreign_gguf_file_is_refused_in_words(settings, tmp_path, no_export):
    (tmp_path / "empty.gguf").write_bytes(b"")
    assert _refusal(settings, str(tmp_path / "empty.gguf")) == "'empty.gguf' is empty (0 bytes): download it again."
    (tmp_path / "page.gguf").write_text("<html>Sign in to download</html>")
    assert "does not begin as a GGUF file does" in _refusal(settings, str(tmp_path / "page.gguf"))


def test_a_complete_gguf_of_a_kind_that_cannot_be_read_names_its_kind(settings, tmp_path):
    message = _refusal(settings, str(_tiny_gguf(tmp_path / "odd.gguf", architecture="not-a-model")))
    assert "'odd.gguf' could not be read as a GGUF model, though the file is complete" in message
    assert "(not-a-model)" in message and "Add the model's Hugging Face folder instead" in message


def _folder(tmp_path, config: dict, weights: str, content: bytes):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    (folder / weights).write_bytes(content)
    return folder


@pytest.mark.parametrize("weights, kind", [("model.safetensors", "safetensors file"),
                                           ("pytorch_model.bin", "PyTorch weights file")])
def test_weights_that_are_not_weights_are_refused(settings, tmp_path, no_export, weights, kind):
    folder = _folder(tmp_path, {"model_type": "bert"}, weights, np.random.default_rng(0).bytes(5000))
    assert _refusal(settings, str(folder)) == (f"The weights in '{folder}' cannot be read ({weights} is damaged or not "
                                               f"a {kind}). Download the model again.")


def test_safetensors_cut_short_are_refused(settings, tmp_path, no_export):
    from safetensors.numpy import save

    whole = save({"weight": np.zeros((64, 64), dtype=np.float32)})
    folder = _folder(tmp_path, {"model_type": "bert"}, "model.safetensors", whole[: len(whole) // 2])
    assert "model.safetensors is damaged" in _refusal(settings, str(folder))


def test_a_config_that_does_not_name_its_kind_of_model_is_refused(settings, tmp_path, no_export):
    folder = _folder(tmp_path, {"hidden_size": 32}, "model.safetensors", b"")
    assert _refusal(settings, str(folder)) == (
        f"'{folder}' has a config.json that does not say which kind of model it is (no `model_type`). Add the "
        "model's original Hugging Face folder.")


def test_a_hub_id_on_a_machine_that_cannot_reach_the_hub_says_so(settings, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert _refusal(settings, "org/does-not-exist-xyz") == (
        "Could not get 'org/does-not-exist-xyz' from the Hugging Face hub: it is not a folder or file on this machine, "
        "and this machine cannot reach the hub (or there is no model of that name there). Check the name, or download "
        "the model folder elsewhere and add that.")


def test_a_failed_build_keeps_the_library_words_for_the_log(settings, tiny_encoder_folder, monkeypatch, caplog):
    source = read_manifest(tiny_encoder_folder).source

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device (os error 28)")

    monkeypatch.setattr(prepare_module, "quantize", disk_full)
    with pytest.raises(ModelNotReadyError) as refused:
        registry.add_model(settings, source, name="no-room")
    assert str(refused.value) == ("Preparing no-room failed. Nothing was kept; the disk is full: free some space on "
                                  "it, then run it again.")
    assert "No space left on device" in caplog.text


# -- a models folder that cannot be written to -------------------------------------------------------------------------


@pytest.fixture
def read_only_models(settings, tiny_encoder_folder, monkeypatch):
    """A models folder this account cannot write to, holding the tiny encoder as 'tiny'. Root writes through chmod:
    for root, the system's refusal of a read-only disk is made where the app opens a file or makes a folder in it."""
    models = _copy_as(settings, tiny_encoder_folder, "tiny").parent
    models.chmod(0o555)
    if os.geteuid() == 0:
        _refuse_writes_under(models, monkeypatch)
    yield models
    models.chmod(0o755)


def _refuse_writes_under(models, monkeypatch) -> None:
    import builtins
    from pathlib import Path

    real_open, real_mkdir = builtins.open, os.mkdir

    def inside(path) -> bool:
        return isinstance(path, (str, os.PathLike)) and Path(path).is_relative_to(models)

    def refusing_open(file, mode="r", *args, **kwargs):
        if inside(file) and set(mode) & set("wax+"):
            raise OSError(errno.EROFS, "Read-only file system", str(file))
        return real_open(file, mode, *args, **kwargs)

    def refusing_mkdir(path, *args, **kwargs):
        if inside(path):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    monkeypatch.setattr(os, "mkdir", refusing_mkdir)


def _cannot_be_written(models) -> str:
    return (f"The models folder {models} cannot be written to: check its permissions, or set WORKBENCH_MODELS_DIR to "
            "a folder that can be.")


@pytest.mark.parametrize("command", [
    ["models", "add", "{source}", "--name", "mine"],
    ["models", "quantize", "tiny", "--preset", "none"],
    ["models", "prepare", "all-MiniLM-L6-v2"],
    ["run", str(SAMPLE_DIR / "support_emails.task.yaml"), str(SAMPLE_DIR / "support_emails.csv"), "-o", "{out}"],
])
def test_a_models_folder_that_cannot_be_written_to_says_so_on_the_command_line(settings, tiny_encoder_folder,
                                                                               tmp_path, command, read_only_models):
    from click.testing import CliRunner

    from workbench.cli import cli

    source = read_manifest(tiny_encoder_folder).source
    result = CliRunner().invoke(cli, [part.format(source=source, out=tmp_path / "out.csv") for part in command])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert _cannot_be_written(read_only_models) in " ".join(result.output.split())


def test_a_models_folder_that_cannot_be_written_to_says_so_on_the_models_page(settings, read_only_models):
    from tests.app.test_pages import page
    from workbench.ui.context import app_settings
    from workbench.ui.widgets import plain

    app_settings.clear()
    app = page("models.py").run()
    app.text_input[0].input("/some/model")
    next(b for b in app.button if b.label == "Add").click().run()
    assert not app.exception and [e.value for e in app.error] == [plain(_cannot_be_written(read_only_models))]
    app_settings.clear()


# `workbench models add` with a build that fails in its library, in a process of its own: pytest's handlers on the root
# logger would keep Python from printing the logged traceback on the terminal, as it did.
FAILING_ADD = """
import sys
from workbench.cli import cli
from workbench.models import prepare

def broken(*_args, **_kwargs):
    raise RuntimeError("the library's own words")

prepare.quantize = broken
cli(["models", "add", sys.argv[1], "--name", "broken"])
"""


def test_a_failed_build_on_the_command_line_shows_the_plain_message_and_where_the_details_are(settings,
                                                                                             tiny_encoder_folder):
    import subprocess
    import sys

    source = read_manifest(tiny_encoder_folder).source
    failed = subprocess.run([sys.executable, "-c", FAILING_ADD, source], capture_output=True, text=True)
    details = settings.data_dir / "model-builds.log"
    assert failed.returncode == 1 and "Traceback" not in failed.stderr and "own words" not in failed.stderr
    assert ("Error: Preparing broken failed. Nothing was kept; run it again. If it fails the same way, the model's "
            f"files are likely damaged or incomplete: copy or download them again. The details are in {details}."
            ) in " ".join(failed.stderr.split())
    assert "Traceback" in details.read_text() and "RuntimeError: the library's own words" in details.read_text()
