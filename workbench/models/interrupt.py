"""Stopping long model work between two model calls.

A generative batch of 64 rows runs for a minute or more; a job paused or cancelled in the middle of it
should stop within a model call, not at the batch's end. The job runner says how to tell (`stop_when`);
the generator asks before every call (`check`) and raises `Interrupted`, dropping the batch's partial work.
Outside a job (tests, "Try on 5 rows") nothing is set and `check` costs one lookup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_should_stop: ContextVar[Callable[[], bool] | None] = ContextVar("should_stop", default=None)


class Interrupted(BaseException):  # noqa: N818 (not an error: the row retry and error handlers must not catch it)
    """The work was asked to stop; what it had done so far is dropped."""


@contextmanager
def stop_when(should_stop: Callable[[], bool], every_seconds: float = 1.0) -> Iterator[None]:
    """Within the block, model work stops once should_stop() is true, asked at most every `every_seconds`."""
    token = _should_stop.set(_throttled(should_stop, every_seconds))
    try:
        yield
    finally:
        _should_stop.reset(token)


def check() -> None:
    should_stop = _should_stop.get()
    if should_stop is not None and should_stop():
        raise Interrupted


def _throttled(should_stop: Callable[[], bool], every_seconds: float) -> Callable[[], bool]:
    asked = [time.monotonic()]  # the job was running when the batch began

    def ask() -> bool:
        if time.monotonic() - asked[0] < every_seconds:
            return False
        asked[0] = time.monotonic()
        try:
            return should_stop()
        except Exception:  # the database busy for a moment: go on, and ask again at the next call
            return False

    return ask
