"""A workbook's number as Excel shows it: "00123", "15%", "$1,234.50", not the 123, 0.15 and 1234.5 it stores.

The model reads the text a user sees, and a CSV download holds it (as Excel's own "Save as CSV" does). The common
formats are rendered here: zero padding, fixed and optional decimal places, thousands separators, percentages, and
the text around the number (currency symbols, units). Anything else (fractions, exponents, scaling by thousands,
conditions) is left to the stored value: a number shown a little differently, never a wrong one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# Parts of a format that show nothing of the number: colours and conditions ([Red], [>=100]), padding ("_)") and
# fill ("*-") characters. A locale's currency ("[$€-407]") shows its symbol.
_CURRENCY = re.compile(r"\[\$([^\]-]*)(?:-[0-9A-Fa-f]+)?\]")
_HIDDEN = re.compile(r"\[[^\]]*\]|_.|\*.")
_QUOTED = re.compile(r'"([^"]*)"|\\(.)')
_NUMBER_PART = re.compile(r"[0#?][0#?,]*(?:\.[0#?]*)?|\.[0#?]+")
_NOT_RENDERED = re.compile(r"[eE][+-]|/|[dmyhsDMYHS]|General|@")
_SECTIONS = re.compile(r';(?=(?:[^"]*"[^"]*")*[^"]*$)')  # semicolons outside quoted text


class NumberFormat(NamedTuple):
    before: str  # text shown before the number ("$", "€ ")
    after: str  # and after it (" kg", "%")
    least_whole: int  # digits always shown before the point: 5 for "00000"
    least_places: int  # places always shown ("0.00": 2)
    most_places: int  # places shown when not zero ("0.0#": 2)
    grouped: bool  # thousands separated by commas
    percent: bool
    shows_number: bool = True  # False for a section of text alone, such as the "-" an accounting format shows for 0


def shown_number(value: int | float, code: str) -> int | float | str:
    """The number as a cell of format `code` shows it, or the number itself where the format is not one rendered
    here."""
    sections = _sections(code)
    number_format, value = _section(sections, value)
    if number_format is None:
        return value
    text = _rendered(value, number_format) if number_format.shows_number else ""
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)  # -$1,234.50, as Excel shows it
    return (sign + number_format.before + text + number_format.after).strip()


@lru_cache(maxsize=512)  # a sheet has a few formats for thousands of cells: each is read once
def _sections(code: str) -> tuple[NumberFormat | None, ...]:
    return tuple(_parsed(section) for section in _SECTIONS.split(code))


def _section(sections: tuple, value: int | float) -> tuple[NumberFormat | None, int | float]:
    """The part of the format for this value: positive;negative;zero, the negative part showing the number without
    its sign ("(1,234.50)")."""
    if value == 0 and len(sections) > 2:
        return sections[2], value
    if value < 0 and len(sections) > 1:
        return sections[1], abs(value)
    return sections[0], value


def _parsed(section: str) -> NumberFormat | None:
    section = _CURRENCY.sub(lambda found: f'"{found[1]}"', section)
    section = _HIDDEN.sub("", section)
    literal = _QUOTED.sub(lambda found: "\0" * len(found[0]), section)  # quoted text: no placeholders in it
    if _NOT_RENDERED.search(literal):
        return None
    parts = list(_NUMBER_PART.finditer(literal))
    if not parts:
        return NumberFormat(_unquoted(section), "", 0, 0, 0, False, False, shows_number=False)
    if len(parts) != 1 or parts[0][0].endswith(","):  # a trailing comma divides by a thousand: not rendered
        return None
    whole, _, places = parts[0][0].partition(".")
    return NumberFormat(
        before=_unquoted(section[: parts[0].start()]), after=_unquoted(section[parts[0].end():]),
        least_whole=whole.count("0"), least_places=len(places) - len(places.lstrip("0")) if places else 0,
        most_places=len(places), grouped="," in whole, percent="%" in literal,
    )


def _unquoted(text: str) -> str:
    return _QUOTED.sub(lambda found: found[1] if found[1] is not None else found[2], text)


def _rendered(value: int | float, number_format: NumberFormat) -> str:
    scaled = value * 100 if number_format.percent else value
    text = f"{scaled:{',' if number_format.grouped else ''}.{number_format.most_places}f}"
    whole, _, places = text.partition(".")
    places = places.rstrip("0").ljust(number_format.least_places, "0")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    if number_format.least_whole > len(digits.replace(",", "")):
        digits = digits.rjust(number_format.least_whole, "0")
    elif digits == "0" and not number_format.least_whole:
        digits = ""  # "#.00" shows 0.5 as ".50", and "#" or an accounting format's "??" nothing for 0
    return sign + digits + ("." + places if places else "")
