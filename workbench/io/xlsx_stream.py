"""A workbook written row by row as XML text, then zipped.

openpyxl's write-only mode builds a cell object and an XML element for every value: 20 of the 22 s a 100,000-row
download took, where Streamlit's browser client gives up on a download after 180 s. Written as text, the same sheet
takes a fraction of that (benchmarks/export_memory.py). Strings are written inline (no shared-strings table to hold
in memory), so the sheet streams whatever its length; the cells' values are chosen by `writers.as_spreadsheet_value`
as before.
"""

from __future__ import annotations

import math
import numbers
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from openpyxl.utils.datetime import to_excel

# Characters XML 1.0 cannot hold at all (a control character, half a surrogate pair): dropped, as Excel would refuse
# the file.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
DATE_STYLE, DATETIME_STYLE, TIME_STYLE, DURATION_STYLE = 1, 2, 3, 4  # positions in STYLES' cellXfs
MOMENT_STYLES = ((datetime, DATETIME_STYLE), (date, DATE_STYLE), (time, TIME_STYLE), (timedelta, DURATION_STYLE))
ROWS_PER_WRITE = 500
# A carriage return written as itself is read back as a line feed (XML's line-end rule): kept by reference.
KEPT_CHARACTERS = {"\r": "&#13;"}

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def _content_types(sheets: int) -> str:
    parts = "".join(f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="{SHEET_CONTENT_TYPE}"/>'
                    for number in range(1, sheets + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f'{parts}<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')


PACKAGE_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def _workbook_rels(sheets: int) -> str:
    """The workbook's parts: its sheets (rId1…), then its styles."""
    links = "".join(f'<Relationship Id="rId{number}" Type="{RELATIONSHIPS}/worksheet" '
                    f'Target="worksheets/sheet{number}.xml"/>' for number in range(1, sheets + 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
            f'{links}<Relationship Id="rId{sheets + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
            "</Relationships>")


# Numbers typed with trailing zeros ("12.50", clause "4.10") are written with a format of as many places, so the
# workbook shows them as typed: positions FIXED_STYLE + 1 … FIXED_STYLE + MOST_PLACES in cellXfs.
FIXED_STYLE, MOST_PLACES = DURATION_STYLE, 6
_FORMATS = ("yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss", "hh:mm:ss", "[h]:mm:ss",
            *("0." + "0" * places for places in range(1, MOST_PLACES + 1)))


def _styles(codes: Iterable[str] = _FORMATS) -> str:
    codes = list(codes)
    formats = "".join(f'<numFmt numFmtId="{164 + number}" formatCode={quoteattr(code)}/>' for number, code in enumerate(codes))
    cells = "".join(f'<xf numFmtId="{164 + number}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                    for number in range(len(codes)))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{MAIN}">'
            f'<numFmts count="{len(codes)}">{formats}</numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
            '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(codes) + 1}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            f'{cells}</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>")


class Shown(NamedTuple):
    """A value with the number format its cell shows it in: a copied workbook's "00000", "0%", "dd/mm/yyyy"."""

    value: object
    number_format: str


class NumberFormats:
    """The number formats a workbook's cells use, each a cell style: the fixed ones, then each met while writing
    (styles.xml is written after the sheets)."""

    def __init__(self) -> None:
        self.styles = {code: number for number, code in enumerate(_FORMATS, start=1)}

    def style_of(self, code: str) -> int:
        return self.styles.setdefault(code, len(self.styles) + 1)

    def xml(self) -> str:
        return _styles(self.styles)


class Decimals(float):
    """A number to be shown with `places` decimal places (1 … MOST_PLACES), as it was typed."""

    places: int

    def __new__(cls, value: float, places: int) -> Decimals:
        number = super().__new__(cls, value)
        number.places = places
        return number

    @property
    def number_format(self) -> str:
        return _FORMATS[FIXED_STYLE + self.places - 1]


class Formula(str):
    """A formula's text without its "=", written as a formula where any other text is written as text; `attributes`:
    those of its <f> element (an array formula's t="array" and ref)."""

    attributes: dict[str, str]

    def __new__(cls, text: str, attributes: dict[str, str] | None = None) -> Formula:
        formula = super().__new__(cls, text)
        formula.attributes = dict(attributes or {})
        return formula


class CellError(str):
    """An error value a cell holds ("#N/A", "#DIV/0!"), written as one: a formula's ISNA or IFERROR sees it."""


def write_workbook(rows: Iterable[Iterable[object]], path: Path, sheet_name: str = "results") -> Path:
    """`rows` (the header first) as the one sheet of a new workbook at `path`. Each value is written as what it is: a
    number, a true/false, a date, a Formula, or text (never a formula: text starting with "=" stays text)."""
    return write_sheets([(sheet_name, rows)], path)


class SheetCopy(NamedTuple):
    """A sheet to write: its name, its rows, and whether it is shown ("visible", "hidden", "veryHidden")."""

    name: str
    rows: Iterable[Iterable[object]]
    state: str = "visible"


class Name(NamedTuple):
    """A defined name ("Shares" for Data!$A$1:$A$9), for the whole workbook or one sheet (its place, from 0)."""

    name: str
    refers_to: str
    sheet: int | None = None
    hidden: bool = False


def write_sheets(sheets: Iterable[tuple], path: Path, names: Iterable[Name] = ()) -> Path:
    """A workbook of the given sheets, in order, each (name, rows) or a SheetCopy written as its rows come, with the
    defined `names` its formulas use."""
    titles: list[str] = []
    states: list[str] = []
    formats = NumberFormats()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        for sheet in sheets:
            sheet = SheetCopy(*sheet)
            titles.append(_unused_title(sheet_title(sheet.name), titles))
            states.append(sheet.state)
            _add_sheet(package, f"xl/worksheets/sheet{len(titles)}.xml", sheet.rows, formats)
        package.writestr("[Content_Types].xml", _content_types(len(titles)))
        package.writestr("_rels/.rels", PACKAGE_RELS)
        package.writestr("xl/workbook.xml", _workbook_xml(titles, states, list(names)))
        package.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(titles)))
        package.writestr("xl/styles.xml", formats.xml())
    return Path(path)


def _add_sheet(package: zipfile.ZipFile, part_name: str, rows: Iterable[Iterable[object]], formats: NumberFormats) -> None:
    """The sheet's rows are written to a scratch file first: the sheet then declares its size before them (without
    it, openpyxl read a sheet through at every open, io/sheet_size.py), and the zip knows the part's size (a part of
    unknown size must be written with zip64 fields, which some Excel versions answer with a repair prompt; now only
    a sheet over 2 GB gets them, as openpyxl's files do)."""
    extent = SheetExtent()
    with tempfile.TemporaryFile() as scratch:
        for piece in _rows_xml(rows, extent, formats):
            scratch.write(piece.encode("utf-8"))
        head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
                f'<dimension ref="{extent.reference()}"/><sheetData>').encode()
        tail = b"</sheetData></worksheet>"
        size = len(head) + scratch.tell() + len(tail)
        scratch.seek(0)
        with package.open(part_name, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as part:
            part.write(head)
            shutil.copyfileobj(scratch, part, 1 << 20)
            part.write(tail)


def _workbook_xml(titles: list[str], states: list[str], names: list[Name]) -> str:
    """The sheets with their states (a hidden sheet stays hidden: a copy once showed a workbook's hidden "Salaries"),
    the first shown one open, and the defined names."""
    sheets = "".join(f'<sheet name={quoteattr(title)} sheetId="{number}"'
                     f'{"" if state == "visible" else f" state={quoteattr(state)}"} r:id="rId{number}"/>'
                     for number, (title, state) in enumerate(zip(titles, states, strict=True), start=1))
    shown = next((place for place, state in enumerate(states) if state == "visible"), 0)
    defined = "".join(_defined_name(n) for n in names)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            f'<bookViews><workbookView activeTab="{shown}"/></bookViews><sheets>{sheets}</sheets>'
            f"{f'<definedNames>{defined}</definedNames>' if defined else ''}</workbook>")


def _defined_name(name: Name) -> str:
    scope = "" if name.sheet is None else f' localSheetId="{name.sheet}"'
    hidden = ' hidden="1"' if name.hidden else ""
    return f"<definedName name={quoteattr(name.name)}{scope}{hidden}>{escape(name.refers_to)}</definedName>"


def _unused_title(title: str, taken: list[str]) -> str:
    """`title`, or "title (2)" and on if a sheet has it already: Excel refuses a workbook with two sheets of one name
    (which cutting names at 31 characters can make)."""
    taken_lower = {name.lower() for name in taken}
    candidate, number = title, 1
    while candidate.lower() in taken_lower:
        number += 1
        candidate = title[:31 - len(f" ({number})")] + f" ({number})"
    return candidate


def sheet_title(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    return _SHEET_NAME_FORBIDDEN.sub("_", NOT_XML.sub("", name)).strip("'")[:31] or "results"


class SheetExtent:
    """The rows written so far and the letters of the widest row's columns."""

    def __init__(self) -> None:
        self.rows = 0
        self.letters: list[str] = []

    def reference(self) -> str:
        """The sheet's size as Excel declares it: "A1:F1001" ("A1" for an empty sheet, as openpyxl writes)."""
        return f"A1:{self.letters[-1]}{self.rows}" if self.rows and self.letters else "A1"


def _rows_xml(rows: Iterable[Iterable[object]], extent: SheetExtent, formats: NumberFormats) -> Iterator[str]:
    """The rows' XML in pieces of ROWS_PER_WRITE rows (one write per row spent more time in the file), `extent` kept
    up to date."""
    letters = extent.letters
    pending: list[str] = []
    for number, row in enumerate(rows, start=1):
        cells = [_cell(value, formats) for value in row]
        letters += [column_letters(index) for index in range(len(letters), len(cells))]
        pending.append(f'<row r="{number}">' + "".join(
            f'<c r="{letters[i]}{number}"{cell}' for i, cell in enumerate(cells) if cell) + "</row>")
        extent.rows = number
        if len(pending) == ROWS_PER_WRITE:
            yield "".join(pending)
            pending.clear()
    yield "".join(pending)


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: a column's name in a cell reference."""
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(ord("A") + remainder) + name
    return name


def _cell(value: object, formats: NumberFormats) -> str:
    """A cell's XML after its `<c r="…"`, or "" for an empty cell (nothing is written for it)."""
    if isinstance(value, Shown):
        return _styled(_cell(value.value, formats), formats.style_of(value.number_format))
    if isinstance(value, Formula):  # before the empty text: a data table's formula has no text
        return _formula_cell(value)
    if value is None or isinstance(value, str) and not value:
        return ""
    if isinstance(value, CellError):
        return f' t="e"><v>{escape(value)}</v></c>'
    if isinstance(value, (bool, np.bool_)):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Decimals):
        return f' s="{FIXED_STYLE + value.places}"><v>{float(value)!r}</v></c>'
    if isinstance(value, numbers.Real):  # numpy's numbers too
        return _number_cell(value)
    if isinstance(value, (date, time, timedelta)):  # a datetime is a date
        return _moment_cell(value)
    return _text_cell(str(value))


_STYLE = re.compile(r' s="\d+"')


def _styled(cell: str, style: int) -> str:
    """A number's, a date's or a formula's cell in the given style (a text cell shows no number format)."""
    if not cell or cell.startswith(' t="inlineStr"'):
        return cell
    return _STYLE.sub(f' s="{style}"', cell, count=1) if cell.startswith(' s="') else f' s="{style}"{cell}'


def _formula_cell(formula: Formula) -> str:
    attributes = "".join(f" {name}={quoteattr(str(value))}" for name, value in formula.attributes.items())
    return f"><f{attributes}>{escape(NOT_XML.sub('', formula))}</f></c>"


def _moment_cell(value: date | time | timedelta) -> str:
    """A date, time or duration as Excel holds one: a number of days (openpyxl's count, which skips Excel's 29
    February 1900), in a style that shows it as what it is."""
    style = next(style for kind, style in MOMENT_STYLES if isinstance(value, kind))
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)  # written as the clock showed it, as openpyxl refuses a zone
    return f' s="{style}"><v>{to_excel(value)!r}</v></c>'


def _number_cell(value: numbers.Real) -> str:
    if isinstance(value, numbers.Integral):
        return f"><v>{int(value)}</v></c>"
    value = float(value)
    if not math.isfinite(value):
        return "" if math.isnan(value) else _text_cell(str(value))  # a cell cannot hold infinity: say it in words
    return f"><v>{value!r}</v></c>"


def _text_cell(text: str) -> str:
    text = NOT_XML.sub("", text)
    if not text:
        return ""
    # Spaces at either end are part of the value; without this XML readers may drop them.
    kept = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f' t="inlineStr"><is><t{kept}>{escape(text, KEPT_CHARACTERS)}</t></is></c>'
