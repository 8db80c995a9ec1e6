"""What a job's run measures besides its answers: its process's peak memory, whether it had the cores to itself,
and (for a comparison) how long single rows take, one at a time."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import psutil

PEAK_MEMORY = "peak_memory_mb"
SHARED_CORES = "shared_cores"
LATENCY = "latency_ms"
LOAD = "load_seconds"  # loading the model and its settings (labels, examples): once a run, whatever the rows
NOTES = "notes"  # what the template found while setting up on the job's rows (Task.notes), for the user to read
OTHERS_CPU = "others_cpu_seconds"  # processor time other programs took while the job ran (the set-up included)
WATCHED = "watched_seconds"  # the time over which OTHERS_CPU was counted
# Other programs' share of the processor over a job above which its speed is not its own: a browser, an idle editor
# and this app's page refreshing take a few percent.
BUSY_SHARE = 0.25
RUNS = "runs"  # the job's runs that set up: a resumed run loads the model and adapts again
READAPTING = "readapting_seconds"  # adapting again in resumed runs, which an uninterrupted run would not have spent


def notes(measurements: dict[str, Any] | None) -> list[str]:
    """The notes a job's template left while setting up (classify: whether its second opinion is used)."""
    return (measurements or {}).get(NOTES, [])


def peak_memory_mb() -> float:
    """The most memory this process has held so far (resident set), in MB.

    On Linux the kernel's VmHWM, not ru_maxrss: that carries over from the parent across fork and exec, so a job
    started by the app's page process (which holds the generator for "Try on 5 rows", 1.3 GB) reported 1.3 GB for a
    23 MB encoder."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return round(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024, 1)
    except (OSError, StopIteration, ValueError):  # no /proc (macOS, Windows): the rusage figure, carried over or not
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)  # bytes on macOS, KB on Linux


def after_batch(measurements: dict[str, Any] | None, shared_cores: bool) -> dict[str, Any]:
    """The job's measurements once one more batch has run (a new dict: the column is saved when it changes)."""
    old = measurements or {}
    return {**old, PEAK_MEMORY: max(old.get(PEAK_MEMORY, 0.0), peak_memory_mb()),
            SHARED_CORES: bool(old.get(SHARED_CORES)) or shared_cores, **_others_lap(old)}


class _ProcessorWatch:
    """The processor time other programs take while this process works, lap by lap: another job of the app is
    known from the database, but a build, a test run or a video call beside a comparison slowed a model unseen."""

    def __init__(self) -> None:
        self._mark = self._now()

    @staticmethod
    def _now() -> tuple[float, float, float]:
        machine = psutil.cpu_times()._asdict()
        busy = sum(seconds for name, seconds in machine.items() if name not in ("idle", "iowait", "guest", "guest_nice"))
        mine = psutil.Process().cpu_times()
        return time.monotonic(), busy, mine.user + mine.system

    def lap(self) -> tuple[float, float]:
        """Other programs' processor seconds and the wall seconds since the last lap."""
        (wall, busy, mine), now = self._mark, self._now()
        self._mark = now
        return max(0.0, (now[1] - busy) - (now[2] - mine)), now[0] - wall


_watch: _ProcessorWatch | None = None


def watch_processor() -> None:
    """Start counting other programs' processor time, from a job run's start (its set-up included). Where the
    machine does not tell (psutil refused), nothing is counted: the job runs as well without the figure."""
    global _watch
    try:
        _watch = _ProcessorWatch()
    except Exception:  # noqa: BLE001 (psutil.Error, OSError: a figure is not worth a job)
        _watch = None


def _others_lap(old: dict[str, Any]) -> dict[str, Any]:
    if _watch is None:
        return {}
    try:
        others, wall = _watch.lap()
    except Exception:  # noqa: BLE001 (as watch_processor)
        return {}
    return {OTHERS_CPU: round(old.get(OTHERS_CPU, 0.0) + others, 3), WATCHED: round(old.get(WATCHED, 0.0) + wall, 3)}


def others_share(measurements: dict[str, Any] | None) -> float | None:
    """Other programs' share of the machine's processor while the job ran (0.5: one core of two), if watched."""
    measured = measurements or {}
    watched = measured.get(WATCHED, 0.0) * (psutil.cpu_count() or 1)
    return measured.get(OTHERS_CPU, 0.0) / watched if watched > 0 else None


def shared_processor(measurements: dict[str, Any] | None) -> bool:
    """Whether the job's speed is not its own: another job ran beside it, or other programs kept the processor busy."""
    share = others_share(measurements)
    return bool((measurements or {}).get(SHARED_CORES)) or (share is not None and share > BUSY_SHARE)


def after_setup(measurements: dict[str, Any] | None, loading: float, adapting: float, notes: list[str]) -> dict[str, Any]:
    """The job's measurements once a run has set up; its template's notes replace an earlier run's."""
    old = {key: value for key, value in (measurements or {}).items() if key != NOTES}
    runs = old.get(RUNS, 1 if LOAD in old else 0)  # a job an older version set up counted no runs
    again = adapting if runs else 0.0
    return {**old, **_others_lap(old), LOAD: round(old.get(LOAD, 0.0) + loading, 3), RUNS: runs + 1,
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
