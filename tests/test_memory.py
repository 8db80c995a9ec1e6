"""Giving freed memory back to the system between a job's batches (jobs/memory.py)."""

import platform

import pytest

from workbench.jobs.memory import MemoryReturn, give_back_free_memory

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")


def _resident_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def test_memory_freed_in_small_pieces_goes_back_to_the_system():
    # Small pieces come from the heap (large ones are mapped and unmapped on their own), and glibc keeps a freed
    # heap for reuse: the trim is what hands it back.
    pieces = [bytearray(512) for _ in range(200_000)]
    still_used = bytearray(512)  # above the pieces: the heap's end is not free, so only a trim gives them back
    held = _resident_kb()
    del pieces
    assert give_back_free_memory() is True
    assert _resident_kb() < held - 50_000  # at least 50 of the ~110 MB (without the trim: ~13 MB)
    assert len(still_used) == 512


def test_memory_is_given_back_at_most_once_every_few_seconds(monkeypatch):
    from workbench.jobs import memory

    trims = []
    monkeypatch.setattr(memory, "give_back_free_memory", lambda: trims.append(1) or True)
    now = [100.0]
    monkeypatch.setattr(memory.time, "monotonic", lambda: now[0])
    returner = MemoryReturn(every_seconds=10.0)
    outcomes = []
    for step in (4.0, 4.0, 4.0, 30.0):  # batches of 4 s, 4 s, 4 s, then one of 30 s
        now[0] += step
        outcomes.append(returner.after_batch())
    assert outcomes == [False, False, True, True] and len(trims) == 2
