"""Where a model the user adds comes from: a local Hugging Face folder, a GGUF file, or a hub id.

A hub id (`org/name`) is downloaded with huggingface_hub on machines that are online; everything
after that runs offline from the prepared copy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from workbench.errors import ModelNotReadyError

HUB_ID = re.compile(r"^(hub:)?([A-Za-z0-9][\w.-]*/[\w.-]+)$")
# The weight files transformers reads from a Hugging Face folder (sharded ones included).
WEIGHT_FILES = ("*.safetensors", "pytorch_model*.bin")
# Weights, configuration and tokenizer: no other framework's weights, no ONNX, no images.
HUB_FILES = ["*.json", "*.safetensors", "*.bin", "*.txt", "*.model", "*.jinja"]


def resolve_source(source: str) -> tuple[Path, str]:
    """A local path to read the model from, and how the manifest should name its origin."""
    path = Path(source).expanduser()
    if path.exists():
        return _checked_local(path.resolve()), str(path.resolve())
    if _names_a_local_path(source):
        where = "" if Path(source).expanduser().is_absolute() else f" in {Path.cwd()}"
        raise ModelNotReadyError(f"There is no folder or file '{source}'{where}. Check the path; a model on the "
                                 "Hugging Face hub is named as org/name.")
    match = HUB_ID.match(source.strip())
    if match is None:
        raise ModelNotReadyError(f"'{source}' is neither a model folder, a .gguf file nor a hub id such as "
                                 "'sentence-transformers/all-MiniLM-L6-v2'. Check the path or the name.")
    return download_from_hub(match.group(2)), f"hub:{match.group(2)}"


def _names_a_local_path(source: str) -> bool:
    """A source written as a path, or inside a folder that exists here: a typo in a local path was sent to the hub
    as a name, and the answer spoke of the hub."""
    written = Path(source.strip()).expanduser()
    return source.strip().startswith(("/", ".", "~")) or source.count("/") > 1 or (
        len(written.parts) > 1 and written.parent.is_dir())


def _checked_local(path: Path) -> Path:
    if path.is_file() and path.suffix.lower() == ".gguf":
        return path
    if path.is_dir() and (path / "config.json").exists():
        if not any(any(path.glob(pattern)) for pattern in WEIGHT_FILES):
            raise ModelNotReadyError(f"'{path}' has no model weights ({', '.join(WEIGHT_FILES)}): an unfinished "
                                     "download, or a folder another tool made (an ONNX file alone cannot be added). "
                                     "Add the model's original Hugging Face folder.")
        return path
    raise ModelNotReadyError(f"'{path}' is not a model: give a Hugging Face model folder (with config.json) "
                             "or a .gguf file.")


def download_from_hub(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, allow_patterns=HUB_FILES))
    except Exception as exc:  # network, authentication, unknown repository: one message for the user
        raise ModelNotReadyError(
            f"Could not get '{repo_id}' from the Hugging Face hub ({type(exc).__name__}). Check the name and that "
            "this machine is online, or download the model folder elsewhere and add it by its path."
        ) from exc


def model_config(path: Path) -> dict:
    """The folder's config.json; an empty or cut-off one (a download that did not finish) said in words."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelNotReadyError(f"'{path / 'config.json'}' cannot be read ({exc}). The folder is probably an "
                                 "unfinished download: download the model again.") from exc
    if not isinstance(config, dict):
        raise ModelNotReadyError(f"'{path / 'config.json'}' is not a model configuration (a JSON object of settings). "
                                 "Download the model again.")
    return config


def detect_kind(path: Path) -> str:
    """generator for causal language models (and GGUF files), encoder otherwise."""
    if path.suffix.lower() == ".gguf":
        return "generator"
    architectures = model_config(path).get("architectures") or []
    return "generator" if any(a.endswith("ForCausalLM") for a in architectures) else "encoder"


def max_length(path: Path, kind: str) -> int:
    """The longest input to allow: the model's window (encoders capped at 512 tokens, as they are trained)."""
    if path.suffix.lower() == ".gguf":
        return 2048
    window = int(model_config(path).get("max_position_embeddings") or 512)
    return min(window, 512) if kind == "encoder" else window
