"""Hand the memory a batch freed back to the system, so a long job's process does not keep its largest batch.

glibc keeps freed memory in the process for reuse, and a generative batch frees a lot of it: caches that grew a
token at a time, the encoder's buffers for long texts. Its next batch rarely fits into those holes exactly, so
without a trim a summarize job's process held 0.6 GB more between batches and its peak crept up with every window
(docs/benchmarks.md, "Memory of a summarize job"). Elsewhere than glibc (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


@cache
def _glibc():
    """glibc's malloc_trim, or None where the C library is another one."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back_free_memory() -> bool:
    """Return freed heap memory to the system; True when some was returned (glibc only, a few milliseconds)."""
    trim = _glibc()
    return bool(trim(0)) if trim else False
