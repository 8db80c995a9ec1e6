"""What a sentence-transformers folder does after its transformer: pooling, dense layers, the length it reads.

Its modules.json lists the steps. bge and gte take the first token's vector, where the mean of every token (what
a plain Hugging Face folder gets) gave vectors only 0.4-0.7 alike to the model's own; a Dense step (LaBSE,
distiluse) changes every vector, and a step this version cannot run is refused at once, never skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.errors import ModelNotReadyError
from workbench.models.pooling import POOLS

# In the order sentence-transformers joins them when a folder asks for several.
POOLING_MODES = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                 "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
                 "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}
# A Dense step's activation, as its config.json names the torch class, and what runs it here.
ACTIVATIONS = {"Identity": "identity", "Tanh": "tanh", "ReLU": "relu", "Sigmoid": "sigmoid"}
MODULE = "sentence_transformers.models."
DENSE_FILE = "dense_{}.npz"  # a Dense step's weights in the prepared folder, numbered in their order


@dataclass(frozen=True)
class SentenceLayout:
    pooling: tuple[str, ...] = ("mean",)
    dense_folders: tuple[Path, ...] = ()  # the Dense steps' folders, in their order
    max_seq_length: int | None = None
    prompt: str = ""  # put before every text, as sentence-transformers does with a folder's default prompt


def sentence_layout(folder: Path) -> SentenceLayout:
    """The steps of the model in `folder`; mean pooling for one without modules.json (sentence-transformers' default).
    """
    root = _sentence_root(folder)
    pooling, dense = ("mean",), []
    for step in _steps(root):
        kind, path = str(step.get("type", "")).removeprefix(MODULE), root / step.get("path", "")
        if kind == "Pooling":
            pooling = _pooling_modes(path)
        elif kind == "Dense":
            _check_dense(path)
            dense.append(path)
        elif kind not in ("Transformer", "Normalize"):
            raise ModelNotReadyError(_unsupported(root, step.get("type", "?")))
    return SentenceLayout(pooling, tuple(dense), _max_seq_length(folder), _default_prompt(root))


def _default_prompt(root: Path) -> str:
    """The prompt config_sentence_transformers.json names as the default: encode() puts it before every text, and the
    model's vectors were made so. Prompts it only lists (e5's "query: ") are for search, and left out as encode() does."""
    config = _read_json(root / "config_sentence_transformers.json", {}) if root.is_dir() else {}
    prompts = config.get("prompts") if isinstance(config, dict) else None
    prompt = prompts.get(config.get("default_prompt_name") or "") if isinstance(prompts, dict) else None
    return prompt if isinstance(prompt, str) else ""


def transformer_folder(root: Path) -> Path | None:
    """Where a sentence-transformers folder keeps its transformer: itself, or in the older layout a subfolder
    (0_Transformer) holding config.json, weights and tokenizer; None for a folder without modules.json."""
    paths = [step.get("path", "") for step in _steps(root) if str(step.get("type", "")).endswith(".Transformer")]
    return root / paths[0] if paths else None


def _sentence_root(folder: Path) -> Path:
    """The folder whose modules.json describes the model in `folder`: itself, or the parent of a 0_Transformer."""
    if not (folder / "modules.json").is_file() and transformer_folder(folder.parent) == folder:
        return folder.parent
    return folder


def _steps(root: Path) -> list[dict]:
    steps = _read_json(root / "modules.json", []) if root.is_dir() else []
    return [step for step in steps if isinstance(step, dict)] if isinstance(steps, list) else []


def _unsupported(folder: Path, kind: str) -> str:
    return (f"'{folder.name}' is a sentence-transformers model with a step this version cannot run ({kind}, in its "
            "modules.json): its vectors would not be the model's. Choose another model.")


def _pooling_modes(path: Path) -> tuple[str, ...]:
    config = _read_json(path / "config.json", {})
    modes = tuple(mode for key, mode in POOLING_MODES.items() if config.get(key))
    named = str(config.get("pooling_mode") or "mean")  # newer folders may name it instead
    modes = modes or (named.removesuffix("_tokens").removesuffix("_token"),)
    if any(mode not in POOLS for mode in modes):
        raise ModelNotReadyError(_unsupported(path.parent, f"the pooling {named}"))
    return modes


def _check_dense(path: Path) -> None:
    config = _read_json(path / "config.json", {})
    if _activation(config) is None:
        raise ModelNotReadyError(_unsupported(path.parent, f"a Dense step with {config.get('activation_function')}"))
    if not any((path / name).is_file() for name in ("model.safetensors", "pytorch_model.bin")):
        raise ModelNotReadyError(f"The Dense step of '{path.parent.name}' has no weights in {path}: an unfinished "
                                 "download. Download the model again.")


def _activation(config: dict) -> str | None:
    name = str(config.get("activation_function") or "torch.nn.modules.linear.Identity").rsplit(".", 1)[-1]
    return ACTIVATIONS.get(name)


def _max_seq_length(folder: Path) -> int | None:
    value = _read_json(folder / "sentence_bert_config.json", {}).get("max_seq_length") if folder.is_dir() else None
    return int(value) if isinstance(value, int | float) and value > 0 else None


def _read_json(path: Path, empty):
    if not path.is_file():
        return empty
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelNotReadyError(f"'{path}' cannot be read (empty, cut short or not JSON). Download the model "
                                 "again.") from None


def save_dense_layers(layout: SentenceLayout, out_dir: Path) -> list[str]:
    """Each Dense step's weights as dense_N.npz in out_dir; returns their activations, in order."""
    activations = []
    for number, folder in enumerate(layout.dense_folders):
        weight, bias = _dense_weights(folder)
        np.savez(out_dir / DENSE_FILE.format(number), weight=weight, bias=bias)
        activations.append(_activation(_read_json(folder / "config.json", {})))
    return activations


def _dense_weights(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """linear.weight and linear.bias (zeros for a step without bias), from safetensors or a PyTorch file."""
    if (path / "model.safetensors").is_file():
        from safetensors.numpy import load_file

        tensors = load_file(str(path / "model.safetensors"))
    else:
        import torch  # preparing only: the export has loaded it already

        state = torch.load(path / "pytorch_model.bin", map_location="cpu", weights_only=True)
        tensors = {name: tensor.float().numpy() for name, tensor in state.items()}
    weight = tensors["linear.weight"].astype(np.float32)
    return weight, tensors.get("linear.bias", np.zeros(weight.shape[0], np.float32)).astype(np.float32)
