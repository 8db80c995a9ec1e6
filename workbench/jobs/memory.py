"""Hand the memory a batch freed back to the system, so a long job's process does not keep its largest batch.

glibc keeps freed memory in the process for reuse, and a generative batch frees a lot of it: caches that grew a
token at a time, the encoder's buffers for long texts. Its next batch rarely fits into those holes exactly, so
without a trim a summarize job's process held 0.6 GB more between batches and its peak crept up with every window
(docs/benchmarks.md, "Peak memory of a summarize job as the file grows"). Elsewhere than glibc (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from functools import cache

# A trim takes a few milliseconds: after every batch of a classify job (~0.1 s each) that would be a few percent of
# its time, after a generative batch (tens of seconds) nothing. Batches that free a lot are the long ones.
TRIM_EVERY_SECONDS = 10.0


@cache
def _glibc():
    """glibc's malloc_trim, or None where the C library is another one."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError, TypeError):  # no C library found, or one without malloc_trim
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back_free_memory() -> bool:
    """Return freed heap memory to the system; True when some was returned (glibc only, a few milliseconds)."""
    trim = _glibc()
    return bool(trim(0)) if trim else False


class MemoryReturn:
    """Gives freed memory back after a batch, at most once every TRIM_EVERY_SECONDS."""

    def __init__(self, every_seconds: float | None = None):
        self.every_seconds = TRIM_EVERY_SECONDS if every_seconds is None else every_seconds
        self.last = time.monotonic()

    def after_batch(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.every_seconds:
            return False
        self.last = now
        return give_back_free_memory()
