"""What a job's run measures besides its answers: its process's peak memory, whether it had the cores to itself,
and (for a comparison) how long single rows take, one at a time."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from typing import Any

PEAK_MEMORY = "peak_memory_mb"
SHARED_CORES = "shared_cores"
LATENCY = "latency_ms"
LOAD = "load_seconds"  # loading the model and its settings (labels, examples): once a run, whatever the rows
NOTES = "notes"  # what the template found while setting up on the job's rows (Task.notes), for the user to read
RUNS = "runs"  # the job's runs that set up: a resumed run loads the model and adapts again
READAPTING = "readapting_seconds"  # adapting again in resumed runs, which an uninterrupted run would not have spent


def notes(measurements: dict[str, Any] | None) -> list[str]:
    """The notes a job's template left while setting up (classify: whether its second opinion is used)."""
    return (measurements or {}).get(NOTES, [])


def peak_memory_mb() -> float:
    """The most memory this process has held so far (resident set), in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)  # bytes on macOS, KB on Linux


def after_batch(measurements: dict[str, Any] | None, shared_cores: bool) -> dict[str, Any]:
    """The job's measurements once one more batch has run (a new dict: the column is saved when it changes)."""
    old = measurements or {}
    return {**old, PEAK_MEMORY: max(old.get(PEAK_MEMORY, 0.0), peak_memory_mb()),
            SHARED_CORES: bool(old.get(SHARED_CORES)) or shared_cores}


def after_setup(measurements: dict[str, Any] | None, loading: float, adapting: float, notes: list[str]) -> dict[str, Any]:
    """The job's measurements once a run has set up; its template's notes replace an earlier run's."""
    old = {key: value for key, value in (measurements or {}).items() if key != NOTES}
    again = adapting if old.get(RUNS) else 0.0
    return {**old, LOAD: round(old.get(LOAD, 0.0) + loading, 3), RUNS: old.get(RUNS, 0) + 1,
            READAPTING: round(old.get(READAPTING, 0.0) + again, 3), **({NOTES: notes} if notes else {})}


def load_seconds(measurements: dict[str, Any] | None) -> float:
    """Loading the model, once: a resumed job loaded it in each run."""
    measured = measurements or {}
    return measured.get(LOAD, 0.0) / max(measured.get(RUNS, 1), 1)


def single_row_latencies(answer: Callable[[list[str]], Any], texts: list[str]) -> list[float]:
    """Milliseconds to answer each text on its own, as a row arriving alone would be answered.

    A job answers rows in batches, so its rows/s says nothing of how long one row waits for its answer. A row that
    fails here is left out: the job already answered it (or recorded its error), and timing must not fail the job.
    """
    latencies = []
    for text in texts:
        started = time.perf_counter()
        try:
            answer([text])
        except Exception:  # noqa: BLE001 (a pause or cancel is not an Exception: it still stops the timing)
            continue
        latencies.append(round((time.perf_counter() - started) * 1000, 2))
    return latencies
