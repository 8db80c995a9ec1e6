"""The XLSX download of a job whose input was a workbook: the user's own file, with the results added.

Every other sheet, the formatting and the formulas stay as the user made them; the result columns go
to the right of the processed sheet's last column. Macros are not carried over: the output is .xlsx.
A large workbook is copied a row at a time instead, its values, formulas, number formats, defined names and hidden
sheets (still hidden), without other formatting or charts: openpyxl holds a whole workbook at about 3 KB a row (628 MB for 100,000 rows,
against 330 MB for the CSV; trust audit).
"""

from __future__ import annotations

import logging
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from workbench.errors import InputFileError
from workbench.io.computed_values import add_computed_values, formula_cells
from workbench.io.readers import DAMAGED_WORKBOOK, header_row_number
from workbench.io.writers import spreadsheet_cell, spreadsheet_text, write_value_cell
from workbench.io.xlsx_stream import CellError, Formula, Name, SheetCopy, Shown, write_sheets

logger = logging.getLogger(__name__)

# Over this many cells (every sheet's declared size) the workbook is copied a row at a time. openpyxl holds about
# 1.5 KB a cell of a loaded workbook: at most ~250 MB more than a streamed copy for a workbook kept exactly.
STREAMED_OVER_CELLS = 150_000


def add_result_columns(original: Path, sheet: str | None, results: pd.DataFrame, path: Path,
                       header_row: int | None = None) -> Path:
    """Write `original` to `path` with `results` (one row per data row, in order) beside the sheet's data, whose
    header is on `header_row` (None: where the reader finds it)."""
    with _damaged_sheets_said(original):
        header = header_row_number(original, sheet, header_row)
        if not kept_whole(original, len(results), len(results.columns)):
            return _copied_a_row_at_a_time(original, sheet, results, path, header)
        return _copied_whole(original, sheet, results, path, header)


# Said wherever such a copy is made (the Job results page, `workbench run` and `jobs export`).
VALUES_ONLY_NOTE = ("This workbook is large, so its XLSX copy keeps every sheet's values, number formats, formulas and "
                    "hidden sheets, but not its other formatting, comments, links, merged cells, drop-down lists, "
                    "hidden rows and columns, charts or pictures. The original file is unchanged.")


def kept_whole(original: Path, rows: int, result_columns: int) -> bool:
    """Whether the workbook's download is the workbook itself with the results added, formatting, charts and all
    (else a copy of its values and formulas, a row at a time). The job's rows are a floor: a workbook may declare no
    size, or "A1" (openpyxl's write-only mode writes none), and a 100,000-row one was then loaded whole (+515 MB)."""
    return max(declared_cells(original), rows * (result_columns + 1)) <= STREAMED_OVER_CELLS


@contextmanager
def _damaged_sheets_said(original: Path) -> Iterator[None]:
    """A damaged part of the workbook, met while copying it: the job read only its own sheet (and a sheet's damage
    shows only once its rows are read), so another sheet may be damaged. A failed write keeps its own message."""
    try:
        yield
    except OSError:
        raise
    except DAMAGED_WORKBOOK:
        raise InputFileError(f"A sheet of '{original.name}' is damaged, so the workbook cannot be copied with the "
                             "results added. Download CSV instead, or open the file in Excel, save it again and run "
                             "a new job on it.") from None


def _copied_whole(original: Path, sheet: str | None, results: pd.DataFrame, path: Path, header_row: int) -> Path:
    # Not read-only and not data_only: formulas are kept as formulas; rich_text: a cell's bold or coloured words too.
    workbook = load_workbook(original, rich_text=True)
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    first_column = worksheet.max_column + 1
    for offset, name in enumerate(results.columns):
        write_value_cell(worksheet, header_row, first_column + offset, str(name))
        for row_number, value in enumerate(results[name], start=header_row + 1):
            if value != "":  # a row without a result (beyond a row limit, not run yet) stays blank
                write_value_cell(worksheet, row_number, first_column + offset, value)
    workbook.save(path)
    _keep_computed_values(original, path, formula_cells(workbook))
    return path


def _keep_computed_values(original: Path, path: Path, formulas: dict[str, set[str]]) -> None:
    try:
        add_computed_values(original, path, formulas)
    except Exception:  # noqa: BLE001 (the copy is whole without them: Excel computes its formulas on opening)
        logger.warning("The formulas' saved values could not be added to %s", path, exc_info=True)


def declared_cells(original: Path) -> int:
    """The cells the workbook's sheets say they span (read from each sheet's dimension, not its rows); a sheet that
    declares no size counts as larger than any kept whole."""
    workbook = load_workbook(original, read_only=True)
    try:
        sizes = [(sheet.max_row, sheet.max_column) for sheet in workbook.worksheets]
        if any(rows is None or columns is None for rows, columns in sizes):
            return STREAMED_OVER_CELLS + 1
        return sum(rows * columns for rows, columns in sizes)
    finally:
        workbook.close()


def _copied_a_row_at_a_time(original: Path, sheet: str | None, results: pd.DataFrame, path: Path,
                            header: int) -> Path:
    """The workbook's sheets, in order, their values and formulas (a read-only workbook gives a formula as its text,
    written as a formula again), the results beside the processed sheet's rows. Each sheet is read once: the processed
    sheet's rows are kept in a scratch file until its widest row is known, which places the result columns."""
    source = load_workbook(original, read_only=True)
    try:
        processed = sheet or source.worksheets[0].title
        write_sheets((SheetCopy(worksheet.title, _copied_rows(worksheet, results if worksheet.title == processed else None,
                                                              header), worksheet.sheet_state)
                      for worksheet in source.worksheets), path, _defined_names(source))
    finally:
        source.close()
    return path


def _defined_names(workbook) -> list[Name]:
    """The workbook's defined names and each sheet's own, as the copy's formulas use them ("=AVERAGE(Shares)" showed
    #NAME? without them)."""
    named = [(name, None) for name in workbook.defined_names.values()]
    named += [(name, place) for place, sheet in enumerate(workbook.worksheets)
              for name in getattr(sheet, "defined_names", {}).values()]
    return [Name(name.name, name.attr_text, place, bool(name.hidden)) for name, place in named if name.attr_text]


def _copied_rows(worksheet, results: pd.DataFrame | None, header: int) -> Iterator[list]:
    worksheet.reset_dimensions()  # every row, not the size the sheet declares ("A1" cut the copy to one row)
    rows = ([_copied_value(cell) for cell in row] for row in worksheet.iter_rows())
    if results is None:
        yield from rows
        return
    with tempfile.TemporaryFile() as scratch:
        width = _spooled(rows, scratch)
        scratch.seek(0)
        yield from _with_results(_unspooled(scratch), width, results, header)


def _copied_value(cell) -> object:
    """A cell's value as the copy writes it, as what the workbook holds: a formula as a formula (a read-only sheet
    gives its text, "=SUM(A1:A3)", or an array formula's or a data table's object), an error value ("#N/A") as one,
    and text as text, also text starting with "=" (written as a formula, a ticket's "=HYPERLINK(…)" would run in the
    download)."""
    if cell.data_type == "f":
        return _in_format(_formula(cell.value), cell)
    if cell.data_type == "e" and cell.value in ERROR_CODES:
        return CellError(cell.value)
    return cell.value if cell.value is None or isinstance(cell.value, str) else _in_format(cell.value, cell)


def _in_format(value: object, cell) -> object:
    """A number, date or formula with its cell's number format: a large workbook's copy showed an ID formatted
    00000 as 123, a share as 0.15 and a date as 2024-03-01 00:00:00."""
    code = cell.number_format
    return value if value is None or code == "General" else Shown(value, code)


def _formula(value: object) -> Formula | None:
    if isinstance(value, ArrayFormula):
        return Formula(str(value.text or "").removeprefix("="), {"t": "array", "ref": value.ref})
    if isinstance(value, DataTableFormula):
        return Formula("", dict(value))
    text = str(value or "").removeprefix("=")
    # A shared formula's cell whose first cell is missing (a damaged file) has no text: an empty <f> is an error in
    # every program, an empty cell is not.
    return Formula(text) if text else None


def _spooled(rows: Iterator[list], scratch) -> int:
    """Writes the rows to `scratch`; returns the widest row's cells (a read-only sheet gives each row only up to its
    last cell)."""
    width = 0
    for row in rows:
        pickle.dump(row, scratch, protocol=pickle.HIGHEST_PROTOCOL)
        width = max(width, len(row))
    return width


def _unspooled(scratch) -> Iterator[list]:
    while True:
        try:
            yield pickle.load(scratch)  # noqa: S301 (this function's own scratch file, written just now)
        except EOFError:
            return


def _with_results(rows: Iterator[list], width: int, results: pd.DataFrame, header: int) -> Iterator[list]:
    """The sheet's rows, each padded to `width`, the header (row number `header`) followed by the result columns' names
    and each data row by its results (a row without any, beyond a row limit or not run yet, stays as it was)."""
    answers = results.itertuples(index=False)
    for number, row in enumerate(rows, start=1):
        padded = row + [None] * (width - len(row))
        if number < header:
            yield padded
        elif number == header:
            yield padded + [spreadsheet_text(name) for name in results.columns]
        else:
            values = next(answers, None)
            yield padded + ([spreadsheet_cell(v) for v in values] if values is not None else [])
