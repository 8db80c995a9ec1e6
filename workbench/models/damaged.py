"""A prepared model whose files cannot be read (a copy cut short, a file overwritten): said as what to do about it.

onnxruntime's and the tokenizer's own words ("INVALID_PROTOBUF : Protobuf parsing failed") go to the log: a job that
failed with them said "Resume it to try again", which cannot help, when the model has to be built again.
"""

from __future__ import annotations

import json
import logging
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidArgument, InvalidGraph, InvalidProtobuf, NoSuchFile
from tokenizers import Tokenizer

from workbench.errors import ModelNotReadyError
from workbench.models.bundled import BUNDLED
from workbench.models.manifest import FINE_TUNED_SOURCE, Manifest, sha256_file

logger = logging.getLogger(__name__)

# What onnxruntime raises for a file that is not a whole ONNX model: cut short or overwritten (InvalidProtobuf),
# empty (InvalidArgument, "No graph was found"), gone (NoSuchFile), or parsed but inconsistent (InvalidGraph, Fail);
# json a ValueError for a cut config.json, and reading any file an OSError.
UNREADABLE = (InvalidProtobuf, InvalidArgument, InvalidGraph, NoSuchFile, Fail, OSError, ValueError)


def is_unreadable(exc: Exception) -> bool:
    # The tokenizers library raises a bare Exception for a missing or cut tokenizer.json, and nothing more precise.
    return isinstance(exc, UNREADABLE) or type(exc) is Exception


@contextmanager
def read_as_damaged(folder: Path, manifest: Manifest) -> Iterator[None]:
    """Around the reading of a prepared model's files: one its readers cannot read raises what to do about it."""
    try:
        yield
    except Exception as exc:
        if not is_unreadable(exc):
            raise
        logger.info("The files of the model %s in %s cannot be read", manifest.name, folder, exc_info=True)
        raise ModelNotReadyError(damaged_message(folder, manifest)) from None


def damaged_message(folder: Path, manifest: Manifest) -> str:
    return f"The model files of {manifest.name} are damaged. {how_to_rebuild(folder, manifest)}"


def how_to_rebuild(folder: Path, manifest: Manifest) -> str:
    """What builds the model again: a bundled one is prepared, a fine-tuned one tuned again by its job, an added one
    added again from where it came (a folder that still holds a manifest is taken, so it goes first)."""
    name = manifest.name
    if name in BUNDLED:
        return f"Prepare it again on the Models page (`workbench models prepare {name}`), then resume the job."
    if manifest.source.startswith(FINE_TUNED_SOURCE):
        return f"Delete its folder ({folder}), then resume the job: it fine-tunes the model again."
    return (f"Delete its folder ({folder}) and add the model again on the Models page (`workbench models add "
            f"{_add_arguments(manifest)}`), then resume the job.")


def _add_arguments(manifest: Manifest) -> str:
    """The source, name and quantization that `workbench models add` built this model with."""
    source = manifest.source.removeprefix("hub:")
    preset = manifest.quantization.get("preset")
    return f"{shlex.quote(source)} --name {manifest.name}" + (f" --quantization {preset}" if preset else "")


def files_intact(folder: Path, manifest: Manifest) -> bool:
    """Whether the model file is the one prepared (its digest) and the tokenizer and configuration can be read. Reads
    the whole model file (1-2 s for SmolLM2's 540 MB), so only when a user asks to prepare a model again."""
    if sha256_file(folder / manifest.onnx_file) != manifest.onnx_sha256:
        return False
    try:
        Tokenizer.from_file(str(folder / "tokenizer.json"))
        json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except Exception as exc:
        if not is_unreadable(exc):
            raise
        return False
    return True


def size_changed(folder: Path, manifest: Manifest) -> bool:
    """The model file is smaller or larger than the one prepared: a copy cut short, emptied or replaced. A size is
    cheap to read where a digest of hundreds of MB is not, so `models list` and every load can check it."""
    return (folder / manifest.onnx_file).stat().st_size != manifest.size_bytes
