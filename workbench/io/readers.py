"""Read CSV, TSV and XLSX files into a table of text cells, with messages that say what to fix."""

from __future__ import annotations

import csv
import io
import zipfile
from itertools import islice
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from workbench.errors import InputFileError
from workbench.io.encoding import decode_text

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_DELIMITERS = ",;\t|"


def file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix == ".xls":
        raise InputFileError("Old .xls files are not supported. Open the file in Excel and save it as .xlsx or .csv.")
    raise InputFileError(f"'{path.name}' is not a CSV, TSV or XLSX file. Save it in one of those formats and try again.")


def list_sheets(path: Path) -> list[str]:
    """Sheet names of a workbook, or a single empty name for text files."""
    if file_kind(Path(path)) == "text":
        return [""]
    return _open_workbook(Path(path)).sheetnames


def read_table(path: Path, sheet: str | None = None, nrows: int | None = None) -> pd.DataFrame:
    """The sheet as a DataFrame of strings (blank cells are empty strings)."""
    path = Path(path)
    kind = file_kind(path)
    if not path.exists():
        raise InputFileError(f"The file '{path}' does not exist. Check the path and try again.")
    if path.stat().st_size == 0:
        raise InputFileError(f"'{path.name}' is empty. Export the sheet again with its header row and data.")
    frame = _read_excel(path, sheet, nrows) if kind == "excel" else _read_text(path, nrows)
    return _check_table(_clean_headers(frame), path.name)


def sniff_delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        # One column, or too irregular to sniff: the most frequent candidate on the header line wins.
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        return max(counts, key=counts.get) if max(counts.values()) else ","


def _read_text(path: Path, nrows: int | None) -> pd.DataFrame:
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        raise InputFileError(f"'{path.name}' is an Excel workbook with a text file's name. Rename it to .xlsx.")
    text = decode_text(data)
    try:
        return pd.read_csv(
            io.StringIO(text), sep=sniff_delimiter(text, path.suffix.lower()), dtype=str,
            keep_default_na=False, nrows=nrows, engine="python", on_bad_lines="error",
        )
    except pd.errors.EmptyDataError:
        raise InputFileError(f"'{path.name}' has no columns. The first line must name the columns.") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputFileError(
            f"'{path.name}' could not be read as a table: {_first_line(exc)}. "
            "Check that every row has the same number of columns and that quotes are closed."
        ) from None


def _open_workbook(path: Path):
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise InputFileError(f"'{path.name}' is not a valid Excel workbook. Open it in Excel and save it again as .xlsx.") from None


def _read_excel(path: Path, sheet: str | None, nrows: int | None) -> pd.DataFrame:
    workbook = _open_workbook(path)
    try:
        names = workbook.sheetnames
        if sheet and sheet not in names:
            raise InputFileError(f"The workbook has no sheet named '{sheet}'. Its sheets are: {', '.join(names)}.")
        rows = workbook[sheet or names[0]].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise InputFileError(f"The sheet '{sheet or names[0]}' is empty. Choose the sheet that holds your data.")
        body = list(islice(rows, nrows))
    finally:
        workbook.close()
    return pd.DataFrame([[_cell_text(v) for v in row] for row in body], columns=[_cell_text(h) for h in header], dtype=str)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank headers get a name the user can pick; pandas' 'Unnamed: 3' is renamed too."""
    names = []
    for position, name in enumerate(frame.columns, start=1):
        name = str(name).strip()
        blank = not name or name.startswith("Unnamed: ")
        names.append(f"column_{position}" if blank else name)
    frame.columns = names
    return frame


def _check_table(frame: pd.DataFrame, filename: str) -> pd.DataFrame:
    duplicates = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1} | _mangled(frame.columns))
    if duplicates:
        raise InputFileError(
            f"'{filename}' has more than one column named {', '.join(map(repr, duplicates))}. "
            "Give every column its own name in the header row and upload it again."
        )
    if frame.empty:
        raise InputFileError(f"'{filename}' has a header row but no data rows. Add the rows to process.")
    return frame.fillna("")


def _mangled(columns) -> set[str]:
    """pandas renames a repeated 'Body' to 'Body.1'; report the original name."""
    names = set(columns)
    return {c.rsplit(".", 1)[0] for c in columns if "." in c and c.rsplit(".", 1)[1].isdigit() and c.rsplit(".", 1)[0] in names}


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
