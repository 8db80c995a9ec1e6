"""One decoding batch's state (its key/value cache, mask and positions), and how rows leave and join it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.models.kv_cache import KVCache, joined


@dataclass
class Batch:
    """The state of one decoding batch: its cache, mask and next positions."""

    cache: KVCache
    mask: np.ndarray
    positions: np.ndarray
    rows: list[int]


def with_rows(batch: Batch, active: list[int]) -> Batch:
    """Drop finished rows from the batch so later steps compute only what is still needed."""
    if len(active) == len(batch.rows):
        return batch
    return Batch(batch.cache.rows(active), batch.mask[active], batch.positions[active],
                 [batch.rows[i] for i in active])


def joined_batches(running: Batch, new: Batch) -> Batch:
    """One batch from two; the shorter caches are left-padded and masked, as every row keeps its own positions."""
    width = max(running.mask.shape[1], new.mask.shape[1])
    mask = np.concatenate([pad_left(running.mask, width), pad_left(new.mask, width)])
    return Batch(joined(running.cache, new.cache), mask, np.concatenate([running.positions, new.positions]), running.rows + new.rows)


def pad_left(mask: np.ndarray, width: int) -> np.ndarray:
    return np.pad(mask, [(0, 0), (width - mask.shape[1], 0)])
