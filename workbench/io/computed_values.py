"""A copied workbook's formulas with the values Excel last computed for them.

openpyxl writes a formula without its value (`<f>SUM(B2:B9)</f><v/>`). Excel computes it again on opening, but a
previewer, pandas, Power BI, or this app reading the download for a next job saw every formula cell blank. The values
the original file holds are put back into the copy's sheets, as Excel saved them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import load_workbook
from openpyxl.utils.datetime import to_excel

# A formula cell as openpyxl writes it: its reference and other attributes, the formula, and an empty value.
_FORMULA_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"([^>]*)><f([^>]*)>(.*?)</f><v\s*/></c>', re.DOTALL)


def formula_cells(workbook) -> dict[str, set[str]]:
    """Each worksheet's formula cells, by reference, in the workbook's order (a loaded, not read-only, workbook)."""
    return {sheet.title: {cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"}
            for sheet in workbook.worksheets}


def add_computed_values(original: Path, copy: Path, formulas: dict[str, set[str]]) -> None:
    """Fill the formula cells of `copy` (just written by openpyxl from `original`; `formulas`: formula_cells of the
    workbook it wrote) with the values `original` holds for them."""
    if not any(formulas.values()):
        return
    computed = _computed_values(original, formulas)
    parts = {f"xl/worksheets/sheet{number}.xml": computed.get(name)
             for number, name in enumerate(formulas, start=1)}
    with tempfile.NamedTemporaryFile(dir=copy.parent, suffix=".xlsx", delete=False) as scratch:
        rewritten = Path(scratch.name)
    try:
        with zipfile.ZipFile(copy) as source, zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
            for member in source.infolist():
                data = source.read(member)
                if parts.get(member.filename):
                    data = _with_values(data.decode("utf-8"), parts[member.filename]).encode("utf-8")
                target.writestr(member, data)
        shutil.move(rewritten, copy)
    finally:
        rewritten.unlink(missing_ok=True)


def _computed_values(original: Path, formulas: dict[str, set[str]]) -> dict[str, dict[str, tuple]]:
    """The saved value and type of each formula cell that has one, by sheet and reference."""
    values = load_workbook(original, read_only=True, data_only=True)
    try:
        return {name: _sheet_values(values[name], places) for name, places in formulas.items() if places}
    finally:
        values.close()


def _sheet_values(sheet, places: set[str]) -> dict[str, tuple]:
    sheet.reset_dimensions()  # every row, not the size the sheet declares (openpyxl's write-only files say "A1")
    return {cell.coordinate: (cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row
            if cell.value is not None and getattr(cell, "coordinate", None) in places}


def _with_values(sheet_xml: str, computed: dict[str, tuple]) -> str:
    def filled(cell: re.Match) -> str:
        saved = computed.get(cell[1])
        if saved is None or ' t="' in cell[2]:  # nothing saved, or a cell whose type openpyxl wrote already
            return cell[0]
        kind, text = _value_xml(*saved)
        return f'<c r="{cell[1]}"{cell[2]}{kind}><f{cell[3]}>{cell[4]}</f><v>{text}</v></c>'

    return _FORMULA_CELL.sub(filled, sheet_xml)


def _value_xml(value: object, data_type: str) -> tuple[str, str]:
    """The cell's type attribute and its <v> text, as Excel stores a computed value."""
    if data_type == "e":
        return ' t="e"', escape(str(value))
    if isinstance(value, bool):
        return ' t="b"', str(int(value))
    if isinstance(value, (datetime, date, time, timedelta)):
        return "", repr(to_excel(value))
    if isinstance(value, (int, float)):
        return "", repr(value)
    return ' t="str"', escape(str(value))
