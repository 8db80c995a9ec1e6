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
    dense: tuple[tuple[Path, str], ...] = ()  # each Dense step's folder and activation, in their order
    max_seq_length: int | None = None
    prompt: str = ""  # put before every text, as sentence-transformers does with a folder's default prompt
    pool_prompt: bool = True  # False: the prompt's tokens are left out of the pooling (its include_prompt)

    def matches(self, manifest) -> bool:
        """Whether a prepared model's manifest makes its vectors this way (whether the prompt is pooled matters only
        where there is one)."""
        return (list(self.pooling), [activation for _, activation in self.dense], self.prompt,
                self.pool_prompt or not self.prompt) == (manifest.pooling, manifest.dense, manifest.prompt,
                                                         manifest.pool_prompt or not manifest.prompt)


def sentence_layout(folder: Path) -> SentenceLayout:
    """The steps of the model in `folder`; mean pooling for one without modules.json (sentence-transformers' default).
    """
    root = _sentence_root(folder)
    pooling, dense, steps = {}, [], _steps(root)
    for number, (kind, path) in enumerate(steps):
        if kind == "Pooling":
            pooling = _read_json(path / "config.json", dict)
        elif kind == "Dense":
            dense.append(_checked_dense(path))
        elif kind == "Normalize" and number < len(steps) - 1:  # the encoder normalises last, and only there
            raise ModelNotReadyError(_unsupported(root, "a Normalize step before others"))
        elif kind not in ("Transformer", "Normalize"):
            raise ModelNotReadyError(_unsupported(root, kind if "." in kind else MODULE + kind))
    return SentenceLayout(_pooling_modes(root, pooling), tuple(dense), _max_seq_length(folder), _default_prompt(root),
                          pool_prompt=pooling.get("include_prompt", True) is not False)


def _unsupported(folder: Path, kind: str) -> str:
    return (f"'{folder.name}' is a sentence-transformers model with a step this version cannot run ({kind}, in its "
            "modules.json): its vectors would not be the model's. Choose another model.")


def _default_prompt(root: Path) -> str:
    """The prompt config_sentence_transformers.json names as the default: encode() puts it before every text, and the
    model's vectors were made so. Prompts it only lists (e5's "query: ") are for search, and left out as encode() does."""
    config = _read_json(root / "config_sentence_transformers.json", dict) if root.is_dir() else {}
    prompts = config.get("prompts")
    prompt = prompts.get(config.get("default_prompt_name") or "") if isinstance(prompts, dict) else None
    return prompt if isinstance(prompt, str) else ""


def transformer_folder(root: Path) -> Path | None:
    """Where a sentence-transformers folder keeps its transformer: itself, or in the older layout a subfolder
    (0_Transformer) holding config.json, weights and tokenizer; None for a folder without modules.json."""
    return next((path for kind, path in _steps(root) if kind == "Transformer"), None)


def has_pooling(folder: Path) -> bool:
    """Whether the folder is a sentence-transformers model that pools: an embedding model, whatever its class."""
    return any(kind == "Pooling" for kind, _ in _steps(_sentence_root(folder)))


def model_folder(root: Path) -> Path:
    """The folder holding the transformer's config and weights: `root`, or its 0_Transformer in the older layout."""
    return transformer_folder(root) or root


def _sentence_root(folder: Path) -> Path:
    """The folder whose modules.json describes the model in `folder`: itself, or the parent of a 0_Transformer."""
    if not (folder / "modules.json").is_file() and transformer_folder(folder.parent) == folder:
        return folder.parent
    return folder


def _steps(root: Path) -> list[tuple[str, Path]]:
    """modules.json's steps as (kind, folder): Transformer, Pooling, Dense, Normalize or another."""
    steps = _read_json(root / "modules.json", list) if root.is_dir() else []
    if not all(isinstance(step, dict) and isinstance(step.get("path", ""), str) for step in steps):
        raise ModelNotReadyError(_not_written_so(root / "modules.json"))
    return [(str(step.get("type", "")).removeprefix(MODULE), root / step.get("path", "")) for step in steps]


def _pooling_modes(root: Path, config: dict) -> tuple[str, ...]:
    modes = tuple(mode for key, mode in POOLING_MODES.items() if config.get(key) is True)
    named = str(config.get("pooling_mode") or "mean")  # newer folders may name it instead
    modes = modes or (named.removesuffix("_tokens").removesuffix("_token"),)
    if any(mode not in POOLS for mode in modes):
        raise ModelNotReadyError(_unsupported(root, f"the pooling {named}"))
    return modes


def _checked_dense(path: Path) -> tuple[Path, str]:
    """The Dense step's folder and activation, if this version can run it and its weights are there."""
    config = _read_json(path / "config.json", dict)
    activation = _activation(config)
    if activation is None:
        raise ModelNotReadyError(_unsupported(path.parent, f"a Dense step with {config.get('activation_function')}"))
    if not any((path / name).is_file() for name in ("model.safetensors", "pytorch_model.bin")):
        raise ModelNotReadyError(f"The Dense step of '{path.parent.name}' has no weights in {path}: an unfinished "
                                 "download. Download the model again.")
    return path, activation


def _activation(config: dict) -> str | None:
    name = str(config.get("activation_function") or "torch.nn.modules.linear.Identity").rsplit(".", 1)[-1]
    return ACTIVATIONS.get(name)


def _max_seq_length(folder: Path) -> int | None:
    value = _read_json(folder / "sentence_bert_config.json", dict).get("max_seq_length") if folder.is_dir() else None
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def _read_json(path: Path, kind: type):
    """The file's JSON, of the kind sentence-transformers writes there (an object or a list); none: an empty one."""
    if not path.is_file():
        return kind()
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ModelNotReadyError(f"'{path}' cannot be read (empty, cut short or not JSON). Download the model "
                                 "again.") from None
    if not isinstance(value, kind):
        raise ModelNotReadyError(_not_written_so(path))
    return value


def _not_written_so(path: Path) -> str:
    return (f"'{path}' is not as sentence-transformers writes it. Download the model again, or add a folder without "
            "it if it is not a sentence-transformers model.")


def save_dense_layers(layout: SentenceLayout, out_dir: Path) -> list[str]:
    """Each Dense step's weights as dense_N.npz in out_dir; returns their activations, in order."""
    for number, (folder, _) in enumerate(layout.dense):
        weight, bias = _dense_weights(folder)
        np.savez(out_dir / DENSE_FILE.format(number), weight=weight, bias=bias)
    return [activation for _, activation in layout.dense]


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
