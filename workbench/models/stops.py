"""What a generated answer is, and where it ends: at a stop string or pattern, cut there."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Where an answer ends: plain strings, or patterns for what a string cannot say (a full stop, but not "Mr.").
Stops = tuple[str | re.Pattern[str], ...]


@dataclass
class Generation:
    text: str = ""
    tokens: list[int] = field(default_factory=list)
    error: str | None = None  # e.g. the prompt does not fit the model's window
    stopped: bool = False  # ended at a stop string; text is cut there
    stop_string: str | None = None  # the stop string it ended at
    cut_short: bool = False  # ran out of its new tokens before an end or a stop: its last sentence may be cut


def ends_at_stop(output: Generation, text: str, stop: Stops, after: int = 0) -> bool:
    found = [hit for s in stop if (hit := stop_at(text, s, after))]
    if not found:
        return False
    cut, output.stop_string = min(found)
    output.text, output.stopped = text[:cut], True
    return True


def stop_at(text: str, stop: str | re.Pattern[str], after: int) -> tuple[int, str] | None:
    """Where a stop first occurs in the text from `after` on, and the stop string as written there. A pattern
    stops where a plain string cannot tell: a sentence's end, but not the full stop of "Mr. " (tasks/summarize.py)."""
    if isinstance(stop, str):
        at = text.find(stop, after)
        return (at, stop) if at >= 0 else None
    found = stop.search(text, after)
    return (found.start(), found.group()) if found else None
