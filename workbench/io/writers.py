"""Write result tables as CSV or XLSX that are safe to open in a spreadsheet program."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import InputFileError
from workbench.io.xlsx_stream import MOST_PLACES, NOT_XML, Decimals, write_workbook

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
            # Lines end in CR LF, as Excel writes them and RFC 4180 asks: a cell holding a lone carriage return is then
            # quoted (with "\n" it was not, and every reader split its row in two).
            _neutralised(chunk).to_csv(handle, index=False, header=number == 0, sep=TEXT_OUTPUTS[path.suffix.lower()],
                                       lineterminator="\r\n")
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
    if made_from is not None:
        check_not_overwriting(path, {"the input file": made_from})
    _try_writing(path)


def check_not_overwriting(path: Path, sources: dict[str, Path]) -> None:
    """The output is none of the files the results are made from (named by what they are to the user)."""
    for what, source in sources.items():
        if Path(path).exists() and Path(source).exists() and Path(path).samefile(source):
            raise InputFileError(f"'{Path(path).name}' is {what}: writing the results over it would lose your file. "
                                 "Choose another output name.")


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


def write_xlsx_chunks(chunks: Iterable[pd.DataFrame], path: Path, sheet_name: str = "results",
                      decimal_comma: bool = False) -> Path:
    """An XLSX written a chunk at a time and streamed into its file (xlsx_stream): a workbook held whole in memory
    took about 370 bytes a cell (90 MB more for 50,000 rows of 5 short columns; benchmarks/export_memory.py)."""
    return write_workbook(_spreadsheet_rows(chunks, decimal_comma), path, sheet_name)


def _spreadsheet_rows(chunks: Iterable[pd.DataFrame], decimal_comma: bool) -> Iterator[list[object]]:
    for number, chunk in enumerate(chunks):
        if number == 0:
            yield [spreadsheet_text(name) for name in chunk.columns]  # a header is text, even a column named 2026
        # The answers write numbers with a point whatever the input's habit: only the input's own cells are read its way.
        answers = set(chunk.attrs.get("result_columns", ()))
        as_typed = [decimal_comma and name not in answers for name in chunk.columns]
        for row in chunk.itertuples(index=False):
            yield [spreadsheet_cell(value, comma) for value, comma in zip(row, as_typed, strict=True)]


def spreadsheet_cell(value: object, decimal_comma: bool = False) -> object:
    """A result's value as a workbook holds it: a number or a date where the text is plainly one, text an Excel cell
    can hold, nothing for a missing value."""
    if value is None or pd.api.types.is_scalar(value) and pd.isna(value):  # NaN, NaT, pandas' NA: an empty cell
        return None
    value = as_spreadsheet_value(value, decimal_comma)
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
    elif isinstance(value, Decimals):
        cell.number_format = value.number_format
    return cell


# Text that is plainly a number or an ISO date is written as one, as a spreadsheet reads a CSV ("20.5" stored as text
# does not sum or sort), where the workbook then shows it as it was typed. Leading zeros ("007": a code, a phone
# number), 12 digits or more before any point (IDs, card and phone numbers, which Excel shows as 4.91512E+11; a
# "12345678901234.5" as 1.23457E+13), more than 15 digits
# (Excel's precision), "-0", thousands separators and exponents stay text; "12.50" and clause "4.10" are numbers shown
# with their two places. Dates before 1900 stay text: Excel counts its days from there.
_INTEGER = re.compile(r"-?(?:0|[1-9]\d{0,10})")
_DECIMAL = re.compile(r"-?(?:0|[1-9]\d{0,10})\.(\d+)")
MOST_DIGITS = 15
_ISO_DATE = re.compile(r"(\d{4})-\d{2}-\d{2}")


def as_spreadsheet_value(value: object, decimal_comma: bool = False) -> object:
    """`decimal_comma`: the text comes from a table written where the comma is the decimal mark, so a number with a
    point in it ("1.234", a thousand and more) is kept as text rather than read the other way."""
    if not isinstance(value, str):
        return value
    if _INTEGER.fullmatch(value) and value != "-0":
        return int(value)
    if not decimal_comma and (number := _decimal(value)) is not None:
        return number
    return _iso_date(value) if _ISO_DATE.fullmatch(value) else value


def _decimal(text: str) -> float | None:
    match = _DECIMAL.fullmatch(text)
    if not match or len(text) - 1 - text.startswith("-") > MOST_DIGITS or text.startswith("-") and not float(text):
        return None
    places = len(match[1])
    if not match[1].endswith("0"):
        return float(text)
    return Decimals(float(text), places) if places <= MOST_PLACES else None


def _iso_date(text: str) -> date | str:
    try:
        written = date.fromisoformat(text)
    except ValueError:
        return text  # "2026-02-30": not a date, kept as written
    return written if written.year >= 1900 else text


# Excel holds at most this many characters in a cell (openpyxl cuts longer text without a word).
XLSX_CELL_CHARS = 32_767
CUT_NOTE = " […cut: an Excel cell holds 32,767 characters; the CSV download has it whole]"


def spreadsheet_text(value: object) -> str:
    """Text as an Excel cell can hold it (a header's, a result's): no control characters, at most 32,767 long."""
    text = NOT_XML.sub("", str(value))
    return text if len(text) <= XLSX_CELL_CHARS else text[: XLSX_CELL_CHARS - len(CUT_NOTE)] + CUT_NOTE
