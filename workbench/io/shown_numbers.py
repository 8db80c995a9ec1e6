"""A workbook's number as Excel shows it, for the formats where the stored value misleads: an ID formatted 00000 is
"00123", not 123, and a share formatted 0% is "15%", not 0.15.

Only these are rendered. Any other format (currency, thousands, fixed places, conditions, scaling) keeps the stored
value: a re-check found a fuller renderer writing wrong text (half-even rounding, conditions taken by position,
scaling commas left in), and a right-answer column of labels 1-6 formatted 0.0 read as "1.0" and scored 0.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

_ZERO_PADDED = re.compile(r"0+")
_PERCENT = re.compile(r"0(?:\.(0+))?%")


def shown_number(value: int | float, code: str) -> int | float | str:
    """The number as a cell of format `code` shows it, or the number itself for any format not rendered here."""
    if _ZERO_PADDED.fullmatch(code) and float(value).is_integer() and value >= 0:
        return str(int(value)).zfill(len(code))
    percent = _PERCENT.fullmatch(code)
    if percent:
        places = len(percent[1] or "")
        return f"{_half_up(value * 100, places)}%"
    return value


def _half_up(value: float, places: int) -> str:
    """Rounded as Excel rounds what it shows: halves away from zero, on the number's 15 significant digits."""
    exact = Decimal(f"{value:.15g}")
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".replace("-0", "0", 1) if rounded == 0 else f"{rounded:f}"
