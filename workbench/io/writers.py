"""Write result tables as CSV or XLSX that are safe to open in a spreadsheet program."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import InputFileError
from workbench.io.xlsx_stream import NOT_XML, write_workbook

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number ("-5", "+3.5") is harmless and must stay a number for the user.
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?")


def neutralise(value: object) -> object:
    """Prefix a quote so a spreadsheet shows the text instead of running it. Spaces or line breaks before the sign
    count too: a spreadsheet that trims cells on import would run " =1+1"."""
    if not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(value.strip()):
        return value
    return "'" + value if value.startswith(FORMULA_TRIGGERS) or value.lstrip().startswith(FORMULA_TRIGGERS) else value


TEXT_OUTPUTS = {".csv": ",", ".tsv": "\t"}


def write_text_chunks(chunks: Iterable[pd.DataFrame], path: Path) -> Path:
    """A CSV or TSV written a chunk at a time: the header once, formulas neutralised."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:  # the BOM makes Excel read UTF-8
        for number, chunk in enumerate(chunks):
            # The header too: an input column, or an extract field, may be named "=HYPERLINK(…)".
            _neutralised(chunk).to_csv(handle, index=False, header=number == 0, sep=TEXT_OUTPUTS[path.suffix.lower()])
    return path


_NEUTRALISE_CELLS = np.frompyfunc(neutralise, 1, 1)


def _neutralised(chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk with every cell and column name neutralised, each cell keeping its own type: DataFrame.map infers
    a type per column, and an extracted number column holding 88231 and 1.799 became floats, written "88231.0"."""
    cells = _NEUTRALISE_CELLS(chunk.to_numpy(dtype=object)) if chunk.size else chunk.to_numpy(dtype=object)
    return pd.DataFrame(cells, columns=[neutralise(c) for c in chunk.columns], index=chunk.index, dtype=object)


def write_table(frame: pd.DataFrame, path: Path, sheet_name: str = "results") -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_OUTPUTS:
        write_text_chunks([frame], path)
    elif suffix == ".xlsx":
        write_xlsx_chunks([frame], path, sheet_name)
    else:
        raise unwritable(path)
    return path


def check_output(path: Path, made_from: Path | None = None) -> None:
    """Before a job's minutes of work, or an export: the results can be written at `path`, and it is not the file
    they were made from (writing over it would lose the user's file). An output that could not be written was found
    only after the whole job had run."""
    path = Path(path)
    if path.suffix.lower() not in (*TEXT_OUTPUTS, ".xlsx"):
        raise unwritable(path)
    if not path.parent.is_dir():
        raise InputFileError(f"Cannot write '{path}': the folder '{path.parent}' does not exist. Create it first.")
    if made_from is not None and path.exists() and Path(made_from).exists() and path.samefile(made_from):
        raise InputFileError(f"'{path.name}' is the input file: writing the results over it would lose your file. "
                             "Choose another output name.")
    _try_writing(path)


def _try_writing(path: Path) -> None:
    existed = path.exists()
    try:
        open(path, "ab").close()  # noqa: SIM115 (opened only to see that it can be)
    except OSError as exc:
        raise InputFileError(f"Cannot write '{path}': {exc.strerror or exc}. Choose a file in a folder you can write "
                             "to, and close the file if another program has it open.") from None
    if not existed:
        path.unlink(missing_ok=True)


def unwritable(path: Path) -> InputFileError:
    return InputFileError(f"Cannot write '{path.name}': choose a .csv, .tsv or .xlsx output file.")


def write_xlsx_chunks(chunks: Iterable[pd.DataFrame], path: Path, sheet_name: str = "results") -> Path:
    """An XLSX written a chunk at a time and streamed into its file (xlsx_stream): a workbook held whole in memory
    took about 370 bytes a cell (90 MB more for 50,000 rows of 5 short columns; benchmarks/export_memory.py)."""
    return write_workbook(_spreadsheet_rows(chunks), path, sheet_name)


def _spreadsheet_rows(chunks: Iterable[pd.DataFrame]) -> Iterator[list[object]]:
    for number, chunk in enumerate(chunks):
        if number == 0:
            yield [spreadsheet_text(name) for name in chunk.columns]  # a header is text, even a column named 2026
        for row in chunk.itertuples(index=False):
            yield [spreadsheet_cell(value) for value in row]


def spreadsheet_cell(value: object) -> object:
    """A result's value as a workbook holds it: a number or a date where the text is plainly one, text an Excel cell
    can hold, nothing for a missing value."""
    if value is None or pd.api.types.is_scalar(value) and pd.isna(value):  # NaN, NaT, pandas' NA: an empty cell
        return None
    value = as_spreadsheet_value(value)
    return spreadsheet_text(value) if isinstance(value, str) else value


def write_value_cell(sheet, row: int, column: int, value: object) -> None:
    value = as_spreadsheet_value(value)
    cell = sheet.cell(row=row, column=column, value=spreadsheet_text(value) if isinstance(value, str) else value)
    _kept_as_value(cell, value)


def _kept_as_value(cell, value: object):
    # openpyxl turns any string starting with "=" into a formula; forcing type "s" keeps it a value.
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


# Text that is plainly a number or an ISO date is written as one, as a spreadsheet reads a CSV: a CSV's cells
# are all text here, and "20.5" stored as text does not sum or sort. Leading zeros ("007", a code or a phone
# number), more than 15 digits (Excel's precision: IDs, card numbers), thousands separators and exponents stay text.
_SPREADSHEET_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def as_spreadsheet_value(value: object) -> object:
    if not isinstance(value, str):
        return value
    if _SPREADSHEET_NUMBER.fullmatch(value) and len(value.replace("-", "").replace(".", "")) <= 15:
        return float(value) if "." in value else int(value)
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value  # "2026-02-30": not a date, kept as written
    return value


# Excel holds at most this many characters in a cell (openpyxl cuts longer text without a word).
XLSX_CELL_CHARS = 32_767
CUT_NOTE = " […cut: an Excel cell holds 32,767 characters; the CSV download has it whole]"


def spreadsheet_text(value: object) -> str:
    """Text as an Excel cell can hold it (a header's, a result's): no control characters, at most 32,767 long."""
    text = NOT_XML.sub("", str(value))
    return text if len(text) <= XLSX_CELL_CHARS else text[: XLSX_CELL_CHARS - len(CUT_NOTE)] + CUT_NOTE
