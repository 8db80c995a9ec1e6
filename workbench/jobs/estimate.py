"""Time left for a job whose rows run shortest first within each window of the file.

A longer row takes longer (more tokens to read, often more to write), so the rate of the rows done so far
overstates the speed of the longer rows still to come: a 1,000-row extraction showed "about 5 min 25 s
left" with 12 minutes to go. The runner knows the lengths of the rows left in the window it is running,
so it prices them by their own length, with a cost per row and per character fitted to the batches run so
far (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Below this many batches the fit has too little to go on: the time per row is used alone.
MIN_BATCHES_TO_FIT = 3


@dataclass
class BatchCosts:
    """The rows, characters and seconds of each batch run so far in this process."""

    rows: list[int] = field(default_factory=list)
    chars: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def add(self, rows: int, chars: int, seconds: float) -> None:
        if rows:
            self.rows.append(rows)
            self.chars.append(chars)
            self.seconds.append(seconds)

    def seconds_left(self, rows_left: int, known_rows: int, known_chars: int) -> float | None:
        """Seconds for `rows_left` rows, of which `known_rows` (the rest of this window) have `known_chars`
        characters; the others, in windows not read yet, are taken to be as long as the rows seen so far."""
        if not self.rows:
            return None
        per_row, per_char = self.cost_per_row_and_char()
        seen_rows, seen_chars = sum(self.rows) + known_rows, sum(self.chars) + known_chars
        unknown_chars = max(0, rows_left - known_rows) * seen_chars / seen_rows
        return per_row * rows_left + per_char * (known_chars + unknown_chars)

    def cost_per_row_and_char(self) -> tuple[float, float]:
        """Seconds = a·rows + b·characters by least squares, with a, b ≥ 0; with too few batches, or when one
        of them would come out negative, the better of time per row alone and time per character alone."""
        x, y = np.column_stack([self.rows, self.chars]).astype(float), np.array(self.seconds)
        if len(y) < MIN_BATCHES_TO_FIT:
            return float(y.sum() / x[:, 0].sum()), 0.0
        (per_row, per_char), *_ = np.linalg.lstsq(x, y, rcond=None)
        if per_row >= 0 and per_char >= 0:
            return float(per_row), float(per_char)
        return _better_single_cost(x, y)


def _better_single_cost(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    per_row, per_char = y.sum() / x[:, 0].sum(), y.sum() / max(x[:, 1].sum(), 1.0)
    row_error, char_error = ((x[:, 0] * per_row - y) ** 2).sum(), ((x[:, 1] * per_char - y) ** 2).sum()
    return (float(per_row), 0.0) if row_error <= char_error else (0.0, float(per_char))
