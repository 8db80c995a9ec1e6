"""Prepare a model once: export to ONNX, quantize, write the manifest, move into place atomically."""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from workbench.config import Settings
from workbench.errors import ModelNotReadyError, WorkbenchError
from workbench.models.bundled import DEFAULT_ENCODER, BundledPack
from workbench.models.damaged import files_intact, size_changed
from workbench.models.export import EXPORT_REVISIONS, export_onnx, is_outdated
from workbench.models.gguf import gguf_to_hf
from workbench.models.manifest import Manifest, read_manifest, sha256_file, sha256_folder, write_manifest
from workbench.models.measure import measure
from workbench.models.original import agreement_with_original
from workbench.models.quantize import DEFAULT_ENCODER_PRESET, DEFAULT_GENERATOR_PRESET, PRESETS, quantize
from workbench.models.sentence_layout import DENSE_FILE, save_dense_layers, sentence_layout
from workbench.models.sources import CHECKED_FAMILIES, unchecked_family
from workbench.processes import modified_at, pid_alive

Progress = Callable[[float, str], None]
EXPORT_TASKS = {"encoder": "feature-extraction", "generator": "text-generation-with-past"}
DEFAULT_PRESETS = {"encoder": DEFAULT_ENCODER_PRESET, "generator": DEFAULT_GENERATOR_PRESET}
# What inference needs next to the ONNX file: tokenizer, chat template, special tokens, model config.
KEPT_FILES = ("tokenizer.json", "config.json", "tokenizer_config.json", "special_tokens_map.json",
              "chat_template.jinja", "generation_config.json")
QUANTIZED_NAME = "model.quant.onnx"

logger = logging.getLogger(__name__)


def no_progress(_fraction: float, _message: str) -> None:
    return None


def model_dir(settings: Settings, name: str) -> Path:
    return settings.models_dir / folder_name(name)


def folder_name(name: str) -> str:
    """A model's name as a folder's: anything but letters, digits, '_', '.' and '-' becomes '_'."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def is_prepared(folder: Path) -> bool:
    return _is_complete(readable_manifest(folder), folder)


def readable_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest; None where there is none or it cannot be read (a bundled model is then built again)."""
    try:
        return read_manifest(folder)
    except ModelNotReadyError:
        return None


def is_up_to_date(manifest: Manifest | None, folder: Path) -> bool:
    """Prepared, by the export recipe of this version (an older one still works, only slower)."""
    return _is_complete(manifest, folder) and not is_outdated(manifest)


def _is_complete(manifest: Manifest | None, folder: Path) -> bool:
    """A manifest and its model file, of the size prepared: a file cut short is built again, not loaded and failed."""
    return manifest is not None and (folder / manifest.onnx_file).is_file() and not size_changed(folder, manifest)


def prepare_encoder(
    settings: Settings,
    pack: BundledPack = DEFAULT_ENCODER,
    source: Path | None = None,
    preset: str | None = None,
    progress: Progress = no_progress,
    check_files: bool = False,
    check_in_turn: Callable[[], None] = lambda: None,
) -> Path:
    """The prepared folder for this model (encoder or generator), building it if it is missing or outdated, or with
    check_files if its files are not those prepared (a user asking to prepare it again after a "damaged" message).
    check_in_turn runs once this build's turn has come: a new model's name may have been taken by the build it waited
    for.

    An outdated folder is replaced only when the new build is complete, so a failure keeps the old one.
    """
    target = model_dir(settings, pack.name)
    with one_build_at_a_time(settings.models_dir, lambda: progress(0.0, "Waiting for another model's build to finish")):
        check_in_turn()
        return _prepared(target, pack, source, preset, progress, check_files)


# Kept in the models folder (removing it while another process waits on it would let a third build beside it).
BUILDS_LOCK = ".builds.lock"


@contextmanager
def one_build_at_a_time(models_dir: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    """Two jobs of a fresh install may both find the bundled model unprepared: the second waits for the first's build
    and then finds it done (building it too replaced the folder the first was loading from). One build at a time in
    all: each takes every core anyway."""
    with writing_to(models_dir):
        models_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no lock; two first builds at once stay possible there
        yield
        return
    with writing_to(models_dir):
        lock = open(models_dir / BUILDS_LOCK, "w")
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# What the system answers when a folder cannot be written to: a read-only disk, another account's folder.
NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


@contextmanager
def writing_to(models_dir: Path) -> Iterator[None]:
    """Files made in the models folder, refused in words where it cannot be written to (a traceback naming
    '.builds.lock' told a user nothing)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in NOT_WRITABLE:
            raise
        raise ModelNotReadyError(f"The models folder {models_dir} cannot be written to: check its permissions, or set "
                                 "WORKBENCH_MODELS_DIR to a folder that can be.") from exc


def _prepared(target: Path, pack: BundledPack, source: Path | None, preset: str | None, progress: Progress,
              check_files: bool = False) -> Path:
    existing = readable_manifest(target)
    # Rebuilding an outdated model keeps the quantization it was prepared with.
    preset = preset or (existing.quantization.get("preset") if existing else None) or DEFAULT_PRESETS[pack.kind]
    if is_up_to_date(existing, target) and (not check_files or files_intact(target, existing)):
        progress(1.0, f"{pack.name} is ready")
        return target
    source = Path(source) if source else pack.source_path()
    staging = new_staging(target.parent, target.name)
    try:
        _build(pack, source, staging, preset, progress)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    except WorkbenchError as exc:  # already says what to do; trying again would fail the same way
        raise ModelNotReadyError(f"Preparing {pack.name} failed: {exc} Nothing was kept.") from exc
    except Exception as exc:
        logger.warning("Preparing %s from %s failed", pack.name, source, exc_info=True)  # the library's words
        raise ModelNotReadyError(f"Preparing {pack.name} failed. Nothing was kept; {_what_to_try(exc, pack, source)}"
                                 ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    progress(1.0, f"{pack.name} is ready")
    return target


def _what_to_try(exc: Exception, pack: BundledPack, source: Path) -> str:
    """A full disk or too little memory said as such; a model of a family never checked as such (a Mamba export
    failing was called damaged files); for anything else, the files are the likely cause."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "the disk is full: free some space on it, then run it again."
    if isinstance(exc, MemoryError):
        return "this machine ran out of memory: close other programs, then run it again."
    family = unchecked_family(source, pack.kind)
    if family:
        checked = ", ".join(CHECKED_FAMILIES[pack.kind])
        return (f"it is a '{family}' model, a family this version has not been checked with, and preparing it "
                f"failed. Choose a model of a family checked: {checked}.")
    return ("run it again. If it fails the same way, the model's files are likely damaged or incomplete: copy or "
            "download them again.")


def new_staging(models_dir: Path, folder_name: str) -> Path:
    """A scratch folder to build `folder_name` in, named with this process's id, so that a later build can tell it was
    abandoned (and removes those that were)."""
    remove_abandoned_staging(models_dir)
    with writing_to(models_dir):
        return Path(tempfile.mkdtemp(prefix=f".staging-{folder_name}-{os.getpid()}-", dir=models_dir))


# As mkdtemp names them above: the model's folder name, the building process's id, 8 random characters.
STAGING = re.compile(r"\.staging-.+-(\d+)-[a-z0-9_]{8}")


def remove_abandoned_staging(models_dir: Path) -> None:
    """Staging folders of builds whose process died (killed, power cut), whichever model they built: the `finally`
    never ran for them, and a killed build of a model never built again left hundreds of MB behind."""
    for staging in models_dir.glob(".staging-*"):
        match = STAGING.fullmatch(staging.name)
        if match and not pid_alive(int(match.group(1)), modified_at(staging)):
            shutil.rmtree(staging, ignore_errors=True)


def _build(pack: BundledPack, source: Path, staging: Path, preset: str, progress: Progress) -> None:
    readable = source
    if source.suffix.lower() == ".gguf":
        progress(0.02, f"Reading {source.name} (GGUF) into a Hugging Face model")
        readable = gguf_to_hf(source, staging / "hf")
    progress(0.25, f"Exporting {pack.name} to ONNX")
    exported = export_onnx(readable, staging / "export", task=EXPORT_TASKS[pack.kind])
    steps = _sentence_steps(pack, source, staging / "export")
    progress(0.6, f"Quantizing {pack.name} ({preset})")
    quantized = quantize(exported, staging / QUANTIZED_NAME, preset, source=source)  # gguf-q4_1 reuses its blocks
    for kept in [*KEPT_FILES, *(DENSE_FILE.format(n) for n in range(len(steps.get("dense", []))))]:
        if (staging / "export" / kept).exists():
            shutil.copy(staging / "export" / kept, staging / kept)
    manifest = _manifest(pack, source, quantized, preset).model_copy(update=steps)
    write_manifest(staging, manifest)
    progress(0.8, f"Measuring {pack.name}'s speed and its agreement with the unquantized model")
    measured = _measurements(pack, staging, manifest, preset) | _compared_with_original(pack, staging, readable, progress)
    write_manifest(staging, manifest.model_copy(update={"measurements": measured}))
    for folder in ("export", "hf"):
        shutil.rmtree(staging / folder, ignore_errors=True)


def _compared_with_original(pack: BundledPack, staging: Path, original: Path, progress: Progress) -> dict:
    """The agreement with the original model, or why there is none: the model built is kept either way (the original
    failing to run under transformers here says nothing against the export)."""
    def tick(done: int, count: int) -> None:
        progress(0.9 + 0.09 * done / count, f"Comparing {pack.name}'s answers with the original model's ({done} of "
                                            f"{count})")

    progress(0.9, f"Comparing {pack.name}'s answers with the original model's")
    try:
        return agreement_with_original(pack.kind, staging, original, tick)
    except Exception:  # a model transformers cannot run here (memory, a model family's own code): the log says why
        logger.warning("Comparing %s with its original failed", pack.name, exc_info=True)
        return {"original_compared_on": "not compared: the original model could not be run here (the log says why)"}


def _sentence_steps(pack: BundledPack, source: Path, export_dir: Path) -> dict:
    """An encoder's pooling and Dense steps for its manifest, the Dense weights saved beside the export (which the
    measurement reads too)."""
    if pack.kind != "encoder":
        return {}
    layout = sentence_layout(source)
    return {"pooling": list(layout.pooling), "dense": save_dense_layers(layout, export_dir), "prompt": layout.prompt,
            "pool_prompt": layout.pool_prompt}


def _measurements(pack: BundledPack, staging: Path, manifest: Manifest, preset: str) -> dict:
    """Measured on the prepared model; the unquantized export next to it is the reference."""
    reference = None
    if PRESETS[preset]["method"] != "none":
        reference = staging / "export"
        write_manifest(reference, manifest.model_copy(update={"onnx_file": "model.onnx"}))
    return measure(pack.kind, staging, reference)


def _manifest(pack: BundledPack, source: Path, quantized: Path, preset: str) -> Manifest:
    return Manifest(
        name=pack.name,
        kind=pack.kind,
        source=pack.origin or (f"package:{pack.package}" if pack.package else str(source)),
        source_sha256=source_digest(source),
        onnx_file=quantized.name,
        onnx_sha256=sha256_file(quantized),
        quantization={"preset": preset, **PRESETS[preset]},
        size_bytes=quantized.stat().st_size,
        max_length=pack.max_length,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        export_revision=EXPORT_REVISIONS.get(pack.kind, 1),
    )


def source_digest(source: Path) -> str:
    """The fingerprint of a model's weights, folder or file, as its manifest records it."""
    return sha256_folder(source) if source.is_dir() else sha256_file(source)
