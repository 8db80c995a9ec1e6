"""Which models exist, and loading them once per process."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache
from pathlib import Path

from workbench.config import Settings
from workbench.errors import ModelNotReadyError
from workbench.models.bundled import BUNDLED, DEFAULT_ENCODER, DEFAULT_GENERATOR, BundledPack
from workbench.models.damaged import damaged_message, size_changed
from workbench.models.encoder import OnnxEncoder
from workbench.models.export import is_newer, is_outdated
from workbench.models.generator import OnnxGenerator
from workbench.models.manifest import FINE_TUNED_SOURCE, Manifest, read_manifest
from workbench.models.prepare import (
    Progress,
    folder_name,
    is_prepared,
    model_dir,
    no_progress,
    prepare_encoder,
    readable_manifest,
    source_digest,
)
from workbench.models.quantize import GGUF_ONLY, PRESETS
from workbench.models.sentence_layout import model_folder, sentence_layout
from workbench.models.sources import detect_kind, max_length, resolve_source

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "default"
# A name is also its folder's name and is written in task files: "my model/../x" would be neither.
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


DEFAULTS = {"encoder": DEFAULT_ENCODER.name, "generator": DEFAULT_GENERATOR.name}


def resolve_name(name: str | None, kind: str = "encoder") -> str:
    return DEFAULTS[kind] if name in (None, "", DEFAULT_MODEL) else name


def list_models(settings: Settings) -> list[dict]:
    """Every bundled model with its state, plus any other prepared model folder, each under the name a task file
    loads it by: its folder's (a copy of a folder kept its manifest's name, and its row replaced the original's)."""
    rows = {name: {"name": name, "kind": pack.kind, "prepared": False} for name, pack in BUNDLED.items()}
    for folder in sorted(p for p in settings.models_dir.glob("*") if p.is_dir() and not p.name.startswith(".")):
        try:
            manifest = read_manifest(folder)
        except ModelNotReadyError as exc:  # one broken folder must not hide every other model
            rows[folder.name] = {"name": folder.name, "kind": "unknown", "prepared": False, "problem": str(exc)}
            continue
        if manifest is not None:
            problem = _missing_file(folder, manifest) or _steps_left_out(manifest) or _copied(folder, manifest)
            rows[folder.name] = {"prepared": True, "folder": str(folder), **manifest.model_dump(), "name": folder.name,
                                 "outdated": is_outdated(manifest), **problem}
    return list(rows.values())


def _copied(folder: Path, manifest: Manifest) -> dict:
    """A folder whose manifest names another model: a copy of that model's folder (a backup, say)."""
    if folder.name == folder_name(manifest.name):
        return {}
    return {"problem": f"a copy of the model '{manifest.name}' (its manifest names it so), in the folder {folder}: "
                       f"task files reach this copy as '{folder.name}'"}


def _steps_left_out(manifest: Manifest) -> dict:
    """An encoder added from a folder before its sentence-transformers steps were read (pooling, Dense, prompt), whose
    folder has steps other than those its manifest records: its vectors are not the model's. Folders on this machine
    only: a hub model is not looked up again to list the models."""
    folder = Path(manifest.source)
    try:
        if manifest.kind != "encoder" or not folder.is_dir() or sentence_layout(model_folder(folder)).matches(manifest):
            return {}
    except (ModelNotReadyError, OSError):  # a folder this user cannot read: the model runs as prepared
        return {}
    return {"problem": "it was added before its folder's own way of making sentence vectors (pooling, Dense steps, "
                       "prompt) was read, so its vectors are not the model's: delete its folder and add it again"}


def _missing_file(folder: Path, manifest: Manifest) -> dict:
    """A folder whose model file is gone, or not of the size prepared (a copy cut short), is not ready, whatever its
    manifest says. Only the size is checked: a digest of every model would make the list take seconds."""
    if not (folder / manifest.onnx_file).is_file():
        state = "is missing"
    elif size_changed(folder, manifest):
        state = "is damaged (not of the size it was prepared with)"
    else:
        return {}
    advice = ("`workbench models prepare` or the Models page builds it again" if folder.name in BUNDLED
              else f"delete its folder {folder} and add the model again")
    return {"problem": f"its model file {manifest.onnx_file} {state}: {advice}", "prepared": False}


def measured_speed(row: dict) -> str:
    """A prepared model's speed as its manifest measured it: tokens/s for a generator, rows/s for an encoder."""
    measured = row.get("measurements") or {}
    if "tokens_per_second" in measured:
        return f"{measured['tokens_per_second']} tokens/s"
    return f"{measured['rows_per_second']} rows/s" if "rows_per_second" in measured else ""


def model_note(row: dict) -> str:
    """What to do about a model whose manifest cannot be read, or one prepared by an older export recipe; empty
    when it is fine."""
    if row.get("problem"):
        return row["problem"]
    if not row.get("outdated"):
        return ""
    if row["name"] in BUNDLED:
        return (f"prepared by an older export, perhaps slower: `workbench models prepare {row['name']}` "
                "or the Models page rebuilds it (about a minute)")
    return "prepared by an older export, perhaps slower: delete its folder and add it again"


def prepare(settings: Settings, name: str | None = None, progress: Progress = no_progress) -> Path:
    name = resolve_name(name)
    if name not in BUNDLED:
        raise ModelNotReadyError(f"'{name}' is not a bundled model. Bundled models: {', '.join(BUNDLED)}.")
    # Asked for by a user, perhaps after a "damaged" message: files that are not those prepared are built again.
    return prepare_encoder(settings, BUNDLED[name], progress=progress, check_files=True)


def add_model(settings: Settings, source: str, name: str | None = None, kind: str | None = None,
              preset: str | None = None, progress: Progress = no_progress) -> Path:
    """Prepare a model from a local folder, a GGUF file or a hub id, under a name of its own."""
    path, origin = resolve_source(source)
    if preset:
        _check_preset(preset, path)
    kind = _checked_kind(path, kind)
    name = name or _name_from(path, origin)
    _check_free(settings, name)
    pack = BundledPack(name=name, kind=kind, package="", relative_path="", max_length=max_length(path, kind), origin=origin)
    return _prepare_new(settings, pack, path, preset, progress)


def _prepare_new(settings: Settings, pack: BundledPack, source: Path, preset: str | None, progress: Progress) -> Path:
    """Checked again once its build's turn comes: a build of the same name that it waited for had found the name free
    too, and its model would have been taken for this one's."""
    return prepare_encoder(settings, pack, source=source, preset=preset, progress=progress,
                           check_in_turn=lambda: _check_free(settings, pack.name))


def _name_from(path: Path, origin: str) -> str:
    """A folder "My Model (v2)" is named My_Model_v2: a name is written in task files and is its folder's name."""
    stem = path.stem if path.suffix.lower() == ".gguf" else _snapshot_repo(origin) or origin.rsplit("/", 1)[-1]
    return folder_name(stem).strip("_.-") or "model"


def _snapshot_repo(origin: str) -> str | None:
    """The model's name for a folder of the hub's cache, .../models--acme--tiny-bert/snapshots/<commit>: it was named
    after the commit's 40-digit hash."""
    parts = Path(origin).parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-3].rsplit("--", 1)[-1]
    return None


def quantize_model(settings: Settings, name: str, preset: str, progress: Progress = no_progress,
                   new_name: str | None = None) -> Path:
    """A new prepared model, `new_name` or NAME-PRESET, from the same source as the prepared model NAME."""
    manifest = read_manifest(model_dir(settings, name))
    if manifest is None:
        raise ModelNotReadyError(f"There is no prepared model '{name}'. The Models page (or `workbench models list`) shows them.")
    if manifest.quantization.get("preset") == preset:  # the copy would be the same model under another name
        raise ModelNotReadyError(f"'{name}' is already quantized with {preset}. Choose another quantization.")
    path = _unchanged_source(manifest)
    _check_preset(preset, path)
    new_name = new_name or f"{name}-{preset}"
    _check_free(settings, new_name)
    pack = BundledPack(name=new_name, kind=manifest.kind, package="", relative_path="", max_length=manifest.max_length,
                       origin=manifest.source)
    return _prepare_new(settings, pack, path, preset, progress)


def _unchanged_source(manifest: Manifest) -> Path:
    """The weights the model was built from, as they were then: other weights at the same place would make a quantized
    copy of another model, measured against its own export as if nothing had changed."""
    _check_source_there(manifest)
    path = source_of(manifest)
    if manifest.source_sha256 and source_digest(path) != manifest.source_sha256:
        raise ModelNotReadyError(f"The source of '{manifest.name}' ({manifest.source}) has changed since the model was "
                                 "added, so quantizing it now would make a copy of another model. Add the new source "
                                 f"as a model of its own, under a new name, or put back the original to quantize "
                                 f"'{manifest.name}'.")
    return path


def _check_source_there(manifest: Manifest) -> None:
    """A folder or file moved or deleted since the model was added: the generic "no folder or file" spoke of the hub."""
    if manifest.source.startswith(("package:", "hub:", FINE_TUNED_SOURCE)) or Path(manifest.source).exists():
        return
    raise ModelNotReadyError(f"Quantizing '{manifest.name}' needs the model's original source, which was at "
                             f"'{manifest.source}' and is not there any more. Put it back there, or add it again from "
                             "where it is now.")


def source_of(manifest: Manifest) -> Path:
    """The weights a prepared model was built from: its package's, its folder or file, or the hub's copy."""
    if manifest.source.startswith("package:"):
        return next(p for p in BUNDLED.values() if f"package:{p.package}" == manifest.source).source_path()
    if manifest.source.startswith(FINE_TUNED_SOURCE):
        base = manifest.source.removeprefix(FINE_TUNED_SOURCE)
        raise ModelNotReadyError(f"'{manifest.name}' was fine-tuned from '{base}' on a job's examples; it keeps no "
                                 f"weights of its own to build from. Use '{base}' instead.")
    return resolve_source(manifest.source)[0]


# How a user gives a model another name, in every message that asks for one.
OTHER_NAME = "Choose another name, with --name (the name field on the Models page)."


def _check_free(settings: Settings, name: str) -> None:
    if name.casefold() == DEFAULT_MODEL:
        raise ModelNotReadyError(f"'{name}' stands for the bundled model in task files and forms. {OTHER_NAME}")
    if not MODEL_NAME.fullmatch(name):
        raise ModelNotReadyError(f"'{name}' cannot be a model's name: use letters, digits, '-', '_' and '.', starting "
                                 f"with a letter or digit. {OTHER_NAME}")
    if name in BUNDLED or is_prepared(model_dir(settings, name)):
        raise ModelNotReadyError(f"A model named '{name}' exists already. {OTHER_NAME}")


def _check_preset(preset: str, source: Path) -> None:
    if preset not in PRESETS:
        raise ModelNotReadyError(f"Unknown quantization '{preset}'. Choose one of: {', '.join(PRESETS)}.")
    if PRESETS[preset]["method"] == "gguf_exact" and source.suffix.lower() != ".gguf":
        raise ModelNotReadyError(GGUF_ONLY)  # said before minutes of export, not after


def _checked_kind(path: Path, asked: str | None) -> str:
    """The kind asked for, if the model is of that kind: a generator's export of an encoder fails minutes later."""
    found = detect_kind(path)
    if asked and asked != found:
        raise ModelNotReadyError(f"'{path.name}' is {_a(found)} model (see its config.json), so it cannot be added as "
                                 f"{_a(asked)}. Leave the kind to be detected, or choose {_a(found)}.")
    return found


KIND_USES = {"encoder": "classify, route and extract of names fields alone",
             "generator": "extract, summarize, custom and classify's second opinion"}


def check_kind(settings: Settings, name: str | None, kind: str) -> None:
    """Refuse a model of the other kind before it is loaded: its inputs do not fit, and the error would not say why."""
    name = resolve_name(name, kind)
    manifest = read_manifest(model_dir(settings, name))
    found = manifest.kind if manifest else BUNDLED[name].kind if name in BUNDLED else kind
    if found != kind:
        raise ModelNotReadyError(f"'{name}' is {_a(found)} model, used by {KIND_USES[found]}; these settings need "
                                 f"{_a(kind)} model. Choose 'default' (the bundled {DEFAULTS[kind]}) or another {kind}.")


def _a(kind: str) -> str:
    return "an encoder" if kind == "encoder" else "a generator"


def encoder_folder(settings: Settings, name: str | None = None, kind: str = "encoder") -> Path:
    """The prepared folder of this model; bundled models are prepared on first use."""
    check_kind(settings, name, kind)
    name = resolve_name(name, kind)
    folder = model_dir(settings, name)
    if is_prepared(folder):
        _check_not_newer(name, read_manifest(folder))
        return folder
    if name in BUNDLED:
        return prepare(settings, name)
    manifest = readable_manifest(folder)
    if manifest is not None:  # its model file is gone or cut short
        raise ModelNotReadyError(damaged_message(folder, manifest))
    raise ModelNotReadyError(f"The model '{name}' is not prepared. The Models page (or `workbench models list`) shows the models there are.")


def _check_not_newer(name: str, manifest: Manifest | None) -> None:
    if manifest is not None and is_newer(manifest):
        raise ModelNotReadyError(f"The model '{name}' was prepared by a newer version of SLM Workbench than this one, "
                                 "which cannot run it. Update this copy (the same version as the one that prepared it), "
                                 "or give it a models folder of its own (WORKBENCH_MODELS_DIR).")


@lru_cache(maxsize=4)
def _load(folder: str) -> OnnxEncoder:
    return OnnxEncoder(Path(folder))


def load_encoder(settings: Settings, name: str | None = None) -> OnnxEncoder:
    return _load(str(encoder_folder(settings, name)))


@lru_cache(maxsize=2)
def _load_generator(folder: str) -> OnnxGenerator:
    return OnnxGenerator(Path(folder))


# A preload and a Try asking for the same generator at once load it once: the Try waits for the preload's copy
# instead of reading another 540 MB beside it. One lock per folder: a Try of a loaded model never waits for another's.
_LOADING: dict[str, threading.Lock] = {}
_PRELOADED: set[str] = set()  # folders preloaded once in this process (each page rerun asks again)
_PRELOADED_CHECK = threading.Lock()  # guards the two above; never held while a model loads


def load_generator(settings: Settings, name: str | None = None) -> OnnxGenerator:
    folder = str(encoder_folder(settings, name, kind="generator"))
    with _PRELOADED_CHECK:
        loading = _LOADING.setdefault(folder, threading.Lock())
    with loading:
        return _load_generator(folder)


def preload_generator(settings: Settings, name: str | None = None) -> threading.Thread | None:
    """Load a prepared generator in the background, so that the New job page's first "Try on 5 rows" of a generative
    template does not also wait the 3 s its loading takes. Once per folder and process; never prepares a model (a
    minute, with its own progress bar): a generator not prepared, or not a generator, starts nothing. Errors are left
    for the Try to say."""
    try:
        check_kind(settings, name, "generator")
        folder = model_dir(settings, resolve_name(name, "generator"))
    except ModelNotReadyError:
        return None
    with _PRELOADED_CHECK:
        if not is_prepared(folder) or str(folder) in _PRELOADED:
            return None
        _PRELOADED.add(str(folder))
    thread = threading.Thread(target=_preload, args=(settings, name), name="generator-preload", daemon=True)
    thread.start()
    return thread


def _preload(settings: Settings, name: str | None) -> None:
    try:
        load_generator(settings, name)
    except Exception:  # the Try that needs it loads it again and says what is wrong
        logger.warning("Preloading the generator '%s' failed", name, exc_info=True)


def model_snapshot(settings: Settings, name: str | None = None, kind: str = "encoder") -> dict:
    """What a job records about its model before it runs (the runner records the manifest it loads)."""
    check_kind(settings, name, kind)
    name = resolve_name(name, kind)
    manifest: Manifest | None = read_manifest(model_dir(settings, name))
    if manifest is None and name not in BUNDLED:  # refused before a job is made that could only fail
        raise ModelNotReadyError(f"There is no model '{name}' on this machine. `workbench models list` (or the Models "
                                 "page) shows the models there are; `workbench models add` adds one.")
    return manifest.model_dump() if manifest else {"name": name}


def snapshot_names(snapshot: dict) -> str:
    """The models a job ran with, as a reader sees them: "SmolLM2-135M-Instruct + all-MiniLM-L6-v2"."""
    names = [snapshot.get("name") or "default"] + [m.get("name", "?") for m in snapshot.get("other_models", [])]
    return " + ".join(names)
