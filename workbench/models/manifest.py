"""The manifest written next to every prepared model: where it came from and what was done to it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from workbench.errors import ModelNotReadyError

MANIFEST_NAME = "manifest.json"
# A fine-tuned model's manifest source (models/finetune.py): its base model's name follows.
FINE_TUNED_SOURCE = "fine-tuned:"


class Manifest(BaseModel):
    # A field this version does not know comes from a newer one sharing the models folder: is_newer decides whether
    # the model can run here, which a refused manifest never reached.
    model_config = ConfigDict(extra="ignore")

    name: str
    kind: str
    source: str
    source_sha256: str
    onnx_file: str
    onnx_sha256: str
    quantization: dict[str, Any]
    size_bytes: int
    max_length: int
    created_at: str
    measurements: dict[str, Any] = {}
    # Which export recipe built the ONNX file (export.EXPORT_REVISIONS); manifests from before the field: 1.
    export_revision: int = 1
    # An encoder's sentence-transformers steps (models/sentence_layout.py): how token vectors become one, and the
    # activation of each Dense step after it (its weights in dense_N.npz). Manifests from before: mean, none, none.
    pooling: list[str] = ["mean"]
    dense: list[str] = []
    prompt: str = ""  # the folder's default prompt, put before every text
    pool_prompt: bool = True  # False: the prompt's tokens are left out of the pooling


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_folder(folder: Path) -> str:
    """One digest over every file name and content, so any change in a source folder shows."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    path = Path(folder) / MANIFEST_NAME
    path.write_text(json.dumps(manifest.model_dump(), indent=2))
    return path


def read_manifest(folder: Path) -> Manifest | None:
    path = Path(folder) / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, UnicodeDecodeError):
        raise ModelNotReadyError(f"The model folder '{Path(folder).name}' has a manifest this version cannot read "
                                 f"({path}). Delete the folder and prepare or add the model again.") from None
