"""Token vectors to one vector per text, each way sentence-transformers pools (its folder says which)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pool(hidden: np.ndarray, mask: np.ndarray, modes: Sequence[str]) -> np.ndarray:
    """hidden (rows, tokens, width) and its right-padded mask (rows, tokens): several modes are joined side by side."""
    return np.concatenate([POOLS[mode](hidden, mask.astype(hidden.dtype)) for mode in modes], axis=1)


def _mean(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return _masked_sum(hidden, mask) / np.maximum(mask.sum(axis=1, keepdims=True), 1)


def _mean_sqrt_len(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return _masked_sum(hidden, mask) / np.sqrt(np.maximum(mask.sum(axis=1, keepdims=True), 1))


def _weighted_mean(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Later tokens weigh more: position 1, 2, 3... (as SGPT's models were trained)."""
    weights = mask * np.arange(1, mask.shape[1] + 1, dtype=hidden.dtype)
    return _masked_sum(hidden, weights) / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)


def _max(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask[..., None] > 0, hidden, -1e9).max(axis=1)


def _cls(hidden: np.ndarray, _mask: np.ndarray) -> np.ndarray:
    return hidden[:, 0]


def _last_token(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    last = np.maximum(mask.sum(axis=1).astype(np.int64) - 1, 0)
    return hidden[np.arange(len(hidden)), last]


def _masked_sum(hidden: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return (hidden * weights[..., None]).sum(axis=1)


POOLS = {"mean": _mean, "mean_sqrt_len": _mean_sqrt_len, "weightedmean": _weighted_mean, "max": _max, "cls": _cls,
         "lasttoken": _last_token}
ACTIVATE = {"identity": lambda x: x, "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0),
            "sigmoid": lambda x: 1 / (1 + np.exp(-x))}
