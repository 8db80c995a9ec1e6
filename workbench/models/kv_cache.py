"""The generator's key/value cache as the runtime holds it between model calls.

A graph rewritten by split_cache.py reads the cache in two parts: the settled part, passed in as it is, and the
recent tokens, which the graph copies with the new ones at every call. When the recent part has grown to
FOLD_TOKENS it is folded into the settled part: one copy of the whole cache every FOLD_TOKENS steps instead of
one every step. A graph prepared before that rewrite has one part, which every call replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.models.split_cache import recent_name

# Each step copies the recent part (and writes it out again with the new token), a fold copies the whole cache:
# 32 keeps both small next to a step's matrix products (measured in docs/benchmarks_generator.md).
FOLD_TOKENS = 32


@dataclass(frozen=True)
class KVCache:
    """One array per cache input (layer x key/value), shaped (rows, heads, tokens, head size)."""

    settled: list[np.ndarray]
    recent: list[np.ndarray] | None  # None: the graph reads one part

    @classmethod
    def empty(cls, names: list[str], rows: int, heads: int, head_dim: int, split: bool) -> KVCache:
        arrays = [np.zeros((rows, heads, 0, head_dim), dtype=np.float32) for _ in names]
        return cls(arrays, list(arrays) if split else None)

    @property
    def length(self) -> int:
        return self.settled[0].shape[2] + (self.recent[0].shape[2] if self.recent is not None else 0)

    def feeds(self, names: list[str]) -> dict[str, np.ndarray]:
        feeds = dict(zip(names, self.settled, strict=True))
        if self.recent is not None:
            feeds.update(zip((recent_name(n) for n in names), self.recent, strict=True))
        return feeds

    def after(self, present: list[np.ndarray]) -> KVCache:
        """The cache once a call has returned `present` (the recent part with the call's tokens, or everything)."""
        if self.recent is None:
            return KVCache(present, None)
        if self.settled[0].shape[2] == 0:  # nothing settled yet (a prompt being read): settle it, no copy needed
            return KVCache(present, [p[:, :, :0] for p in present])
        cache = KVCache(self.settled, present)
        return cache.folded() if present[0].shape[2] >= FOLD_TOKENS else cache

    def folded(self) -> KVCache:
        if self.recent is None or self.recent[0].shape[2] == 0:
            return self
        return joined(self)

    def rows(self, index) -> KVCache:
        """These rows only (a list or array of row positions; repeats copy a row)."""
        return KVCache([s[index] for s in self.settled], None if self.recent is None else [r[index] for r in self.recent])

    def repeated(self, rows: int) -> KVCache:
        """A one-row cache (a shared prompt prefix) copied for `rows` rows."""
        return self.rows(np.zeros(rows, dtype=np.int64))


def joined(*caches: KVCache) -> KVCache:
    """The caches' rows in one, settled (a single cache: its recent part folded in), the shorter left-padded to the
    longest (the padding is masked by the caller). Each layer is written once into its new array, the recent part
    after the settled one."""
    width, first = max(c.length for c in caches), caches[0]
    settled = [_left_padded(caches, layer, width) for layer in range(len(first.settled))]
    return KVCache(settled, None if first.recent is None else [s[:, :, :0] for s in settled])


def _left_padded(caches: tuple[KVCache, ...], layer: int, width: int) -> np.ndarray:
    parts = [[c.settled[layer]] + ([c.recent[layer]] if c.recent is not None else []) for c in caches]
    _, heads, _, size = parts[0][0].shape
    out = np.zeros((sum(p[0].shape[0] for p in parts), heads, width, size), dtype=parts[0][0].dtype)
    row = 0
    for cache_parts in parts:
        end, count = width, cache_parts[0].shape[0]
        for part in reversed(cache_parts):
            out[row:row + count, :, end - part.shape[2]:end] = part
            end -= part.shape[2]
        row += count
    return out
