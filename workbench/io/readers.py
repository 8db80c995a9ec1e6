"""Read CSV, TSV and XLSX files into a table of text cells, with messages that say what to fix."""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from itertools import chain, islice
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from openpyxl import load_workbook

from workbench.config import Settings
from workbench.errors import InputFileError, TableShapeError
from workbench.io import sheet_size  # noqa: F401 (openpyxl opens sheets that declare no size without reading them)
from workbench.io.encoding import detect_file_encoding
from workbench.io.shown_numbers import shown_number

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_DELIMITERS = ",;\t|"
SAMPLE_CHARS = 65536  # what the delimiter is guessed from
# Sheets of texts, of numbers, and of one text repeated on every row pack 9 to 25-fold (measured with openpyxl;
# tests/test_hostile_files.py keeps a repetitive sheet under a quarter of the limit); zip bombs pack ~1000-fold.
MAX_COMPRESSION_RATIO = 200
BOMB_MIN_BYTES = 10_000_000
EXCEL_MAX_ROWS = 1_048_576
# What a damaged workbook raises from inside zipfile, zlib, the XML parsers and openpyxl (found by fuzzing,
# tests/test_fuzz_readers.py). SyntaxError covers the XML parse errors of both ElementTree and lxml.
DAMAGED_WORKBOOK = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, IndexError, OSError, ValueError,
                    TypeError, AttributeError, SyntaxError)


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
    """Sheet names of a workbook (its sheets of cells: a chart sheet has no rows), or a single empty name for text
    files."""
    if file_kind(Path(path)) == "text":
        return [""]
    workbook = open_workbook(Path(path))
    try:
        return cell_sheets(workbook)
    finally:
        workbook.close()  # a read-only workbook keeps its file open until closed


def cell_sheets(workbook) -> list[str]:
    """The workbook's sheets of cells, in order (a chart sheet chosen failed as "not a valid Excel workbook")."""
    return [worksheet.title for worksheet in workbook.worksheets]


def opening_sheet(path: Path) -> str | None:
    """The sheet a workbook opens on, if it is shown, or else its first shown one: a hidden lookup sheet first in the
    file is not where the user's rows are. None for a text file."""
    if file_kind(Path(path)) == "text":
        return None
    workbook = open_workbook(Path(path))
    try:
        shown = [w.title for w in workbook.worksheets if w.sheet_state == "visible"] or cell_sheets(workbook)
        active = workbook.active.title if workbook.active is not None else None
        return active if active in shown else shown[0] if shown else None
    finally:
        workbook.close()


def read_table(path: Path, sheet: str | None = None, nrows: int | None = None,
               header_row: int | None = None) -> pd.DataFrame:
    """The sheet as a DataFrame of strings (blank cells are empty strings). `header_row`: the row that names the
    columns, counted from 1 as a spreadsheet shows it; None finds it (_header_in, _title_lines)."""
    path = Path(path)
    kind = file_kind(path)
    if not path.exists():
        raise InputFileError(f"The file '{path}' does not exist. Check the path and try again.")
    if path.stat().st_size == 0:
        raise InputFileError(f"'{path.name}' is empty. Export the sheet again with its header row and data.")
    _check_header_row(header_row)
    frame = _read_excel(path, sheet, nrows, header_row) if kind == "excel" else _read_text(path, nrows, header_row)
    if nrows is None or len(frame) < nrows:  # the read reached the file's end
        frame = without_blank_end(frame)
    named = f"The sheet '{sheet}' of '{path.name}'" if sheet else f"'{path.name}'"
    return _check_table(clean_headers(frame), named, Settings())


# A header is near the top (a report's title and notes above it). Rows of a text file above it must also fit in the
# sample its delimiter is found in.
MAX_HEADER_ROW = 100


def _check_header_row(header_row: int | None) -> None:
    if header_row is not None and not 1 <= header_row <= MAX_HEADER_ROW:
        raise InputFileError(f"The header row must be a row number from 1 to {MAX_HEADER_ROW}: the row that holds the "
                             "column names, as your spreadsheet program numbers it.")


def blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows with nothing but empty or blank cells."""
    return frame.fillna("").astype(str).apply(lambda column: column.str.strip() == "").all(axis=1)


def without_blank_end(frame: pd.DataFrame) -> pd.DataFrame:
    """The table without the blank rows it ends with: ",,," lines at a CSV's end, or a sheet's formatted but empty
    rows below the data, are no rows (they failed as empty rows: "2 rows, 15 failed")."""
    filled = (~blank_rows(frame)).to_numpy().nonzero()[0]
    return frame.iloc[: filled[-1] + 1 if len(filled) else 0]


def sniff_delimiter(text: str, suffix: str) -> str:
    """The delimiter that splits the first rows into the same number of columns, the most of them.

    csv.Sniffer guesses from character counts and was fooled by quoted cells holding tabs (found by
    fuzzing); parsing with each candidate respects quotes. Ties go to the comma.
    """
    if suffix == ".tsv":
        return "\t"
    sample = text[:65536]
    if len(text) > len(sample):
        sample = sample[: sample.rfind("\n") + 1] or sample  # the last row may be cut in half
    return max(_DELIMITERS, key=lambda delimiter: _split_score(sample, delimiter))


def _split_score(sample: str, delimiter: str) -> tuple[bool, bool, float, int]:
    """Best: rows as wide as a header of several columns; then a header of several columns (a ragged
    file then gets a clear error rather than being read as one column); then agreement and width."""
    try:
        widths = [len(row) for row in islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 100) if row]
    except csv.Error:
        return (False, False, 0.0, 0)
    if not widths:
        return (False, False, 0.0, 0)
    agreeing = sum(width == widths[0] for width in widths) / len(widths)
    return (widths[0] > 1 and agreeing == 1.0, widths[0] > 1, agreeing, widths[0])


@contextmanager
def open_text_table(path: Path) -> Iterator[io.TextIOBase]:
    """The text file open for reading as a table. One whose every line ends "\r\r\n" (Python's csv writer on Windows
    with a file opened without newline="") is read with single line breaks: as written, each row was followed by a
    blank one, which became a row failing as empty (20 rows in, 40 jobs rows, 20 failed)."""
    with open(path, encoding=detect_file_encoding(path), newline="") as handle:
        doubled = _doubled_breaks(handle.read(SAMPLE_CHARS))
        handle.seek(0)
        yield io.StringIO(handle.read().replace("\r\r\n", "\r\n")) if doubled else handle


_LINE_BREAK = re.compile(r"\r\r\n|\r\n|\n|\r")


def _doubled_breaks(sample: str) -> bool:
    breaks = {match.group() for match in _LINE_BREAK.finditer(sample.rstrip("\r"))}  # a break the sample cut
    return breaks == {"\r\r\n"}


def _read_text(path: Path, nrows: int | None, header_row: int | None = None) -> pd.DataFrame:
    """Read from the open file, not from its whole text: a 500-row preview of a 200 MB upload stays small."""
    with open(path, "rb") as handle:
        if handle.read(4) == b"PK\x03\x04":
            raise _zipped_as_text(path)
    with open_text_table(path) as handle:
        sample = handle.read(SAMPLE_CHARS + 1)  # one more, so the sniffer knows the last row may be cut
        handle.seek(0)
        with table_errors(path.name):
            options = csv_options(sample, path.suffix.lower(), header_row)
            _refuse_repeated_text_names(sample, options, f"'{path.name}'")
            return pd.read_csv(handle, nrows=nrows, **options)


def uses_decimal_comma(path: Path) -> bool:
    """A text table delimited by semicolons: Excel writes those where the comma is the decimal mark (Germany, France
    and most of Europe), so "1.234" there is a thousand and more, not one and a bit."""
    return file_kind(path) == "text" and _text_options(path)["sep"] == ";"


def _text_options(path: Path, header_row: int | None = None) -> dict:
    with open_text_table(path) as handle:
        sample = handle.read(SAMPLE_CHARS + 1)
    with table_errors(path.name):
        return csv_options(sample, path.suffix.lower(), header_row)


def read_header_row(path: Path, sheet: str | None, header_row: int | None = None) -> int:
    """The row the reader takes the column names from, numbered from 1 as row_naming numbers them."""
    if file_kind(path) == "excel":
        return header_row_number(path, sheet, header_row)
    return _text_options(path, header_row)["skiprows"] + 1


def _zipped_as_text(path: Path) -> InputFileError:
    """A zip file named as a text table: a workbook renamed, or another zipped document (Word's .docx, a .zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        workbook = False
    if workbook:
        return InputFileError(f"'{path.name}' is an Excel workbook with a text file's name. Rename it to .xlsx.")
    return InputFileError(f"'{path.name}' is not a spreadsheet: it is a zipped file (such as a Word document or a .zip "
                          "archive). Save your table from Excel as .xlsx or .csv and upload that.")


def csv_options(sample: str, suffix: str, header_row: int | None = None) -> dict:
    """How pandas reads every text table: all cells as text, the delimiter found in the sample."""
    _allow_long_cells()
    said = SEP_LINE.match(sample)  # Excel's "sep=;" first line names the delimiter; the header is the line after it
    sample = sample[said.end():] if said else sample  # Excel shows no "sep=" line: row 1 is the line after it
    lines = sample.splitlines(keepends=True)
    # Blank lines above the header (or a report's title) are no rows: empty lines are rows below the header only.
    blank = 0 if header_row else next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    above = header_row - 1 if header_row else blank if said else blank + _title_lines("".join(lines[blank:]), suffix)
    sample = "".join(lines[above:])
    _check_header_line(sample, header_row)
    delimiter = said[1] if said else sniff_delimiter(sample, suffix)
    return {"sep": delimiter, "dtype": str, "keep_default_na": False, "engine": "python",
            "skiprows": (1 if said else 0) + above,
            "on_bad_lines": "error",
            # Without index_col=False, rows longer than the header silently turn their first cells into an index.
            "index_col": False,
            # An empty line is a row, as Excel shows it: pandas skipped it, so every answer after it sat a row above
            # its text once pasted back beside the file's rows in Excel (and a one-column file lost a row without a
            # word, "Done: 23 rows"). It fails as empty; blank lines the table ends with are no rows (without_blank_end).
            "skip_blank_lines": False}


def _title_lines(sample: str, suffix: str) -> int:
    """The lines of a report's title above a text table, to skip: lines without any delimiter, then blank lines, then
    a header of two or more columns ("Ticket export 2024-03" / blank / "ID,Body"; the file was read as one column of
    whole lines). None where the lines under the blank ones are one column too (a one-column file with a gap)."""
    lines = sample.splitlines()
    titles = next((n for n, line in enumerate(lines[:TITLE_ROWS + 1]) if not line.strip() or
                   any(d in line for d in _DELIMITERS)), 0)
    table = next((n for n in range(titles, len(lines)) if lines[n].strip()), titles)
    if titles == 0 or table == titles:
        return 0
    rest = "\n".join(lines[table:])
    return table if _header_width(rest, sniff_delimiter(rest, suffix)) > 1 else 0


def _check_header_line(sample: str, header_row: int | None) -> None:
    """A header row chosen by number must be there and name something."""
    if header_row and not sample.strip("\r\n"):
        raise InputFileError(f"The file has no row {header_row:,}: choose the row that holds the column names.")
    if header_row and not sample.splitlines()[0].strip(_DELIMITERS + " \"'"):
        raise InputFileError(f"Row {header_row:,} is empty: choose the row that holds the column names.")


SEP_LINE = re.compile(r"\ufeff?sep=([^\r\n])\r?\n")


def _header_width(sample: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader(io.StringIO(sample), delimiter=delimiter), []))
    except csv.Error:
        return 0  # pandas then says what is wrong with the file


@contextmanager
def table_errors(filename: str):
    """pandas' and csv's parse errors, as a message saying what to fix in the file."""
    try:
        with warnings.catch_warnings():
            # pandas only warns when a row has more cells than the header, and drops them: refuse instead.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            yield
    except pd.errors.EmptyDataError:
        raise InputFileError(f"'{filename}' has no columns. The first line must name the columns.") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, csv.Error) as exc:
        raise TableShapeError(
            f"'{filename}' could not be read as a table: {_problem(exc)}. "
            "Check that every row has the same number of columns and that quotes are closed."
        ) from None


def _allow_long_cells() -> None:
    """Python's csv module stops at 128 KB per cell; long cells are the row checks' business, not a read error."""
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def open_workbook(path: Path):
    _check_unzipped_size(path, Settings().max_unzipped_mb)
    try:
        # data_only: formula cells give the value Excel last computed, never the formula; macros are never run.
        return load_workbook(path, read_only=True, data_only=True)
    except DAMAGED_WORKBOOK:
        raise _damaged(path) from None


def _check_unzipped_size(path: Path, limit_mb: int) -> None:
    """Refuse a workbook that would unpack to more than the limit, before anything unpacks it."""
    try:
        with zipfile.ZipFile(path) as archive:
            # zipfile never inflates a member past its declared size, so the declared sizes bound the work.
            members = archive.infolist()
    except DAMAGED_WORKBOOK:
        raise _damaged(path) from None
    unpacked = sum(member.file_size for member in members)
    if any(_is_bomb_member(member) for member in members):
        raise InputFileError(
            f"'{path.name}' is packed in a way real spreadsheets never are (a part of it would grow more than "
            f"{MAX_COMPRESSION_RATIO}-fold when unpacked), so it was not opened. Open it in Excel and save it again."
        )
    if unpacked > limit_mb * 1_000_000:
        raise InputFileError(
            f"'{path.name}' would unpack to {unpacked / 1e6:,.0f} MB, more than the {limit_mb:,} MB allowed. "
            "Save the sheet you need as CSV, or raise WORKBENCH_MAX_UNZIPPED_MB if the file is genuine."
        )


def _is_bomb_member(member: zipfile.ZipInfo) -> bool:
    """A part packed far tighter than spreadsheets ever are; small parts may pack well, harmlessly."""
    return member.file_size > BOMB_MIN_BYTES and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)


def _damaged(path: Path) -> InputFileError:
    return InputFileError(f"'{path.name}' is not a valid Excel workbook. Open it in Excel and save it again as .xlsx.")


def _read_excel(path: Path, sheet: str | None, nrows: int | None, header_row: int | None) -> pd.DataFrame:
    workbook = open_workbook(path)
    try:
        with workbook_errors(path):
            header, rows = sheet_rows(workbook, sheet, header_row)
            return sheet_frame(header, list(islice(rows, nrows)), start=0)
    finally:
        workbook.close()


@contextmanager
def workbook_errors(path: Path):
    try:
        yield
    except DAMAGED_WORKBOOK:
        # openpyxl reads the sheet's XML lazily, so a damaged part surfaces only while rows are read.
        raise _damaged(path) from None


def sheet_frame(header: tuple, body: list[tuple], start: int) -> pd.DataFrame:
    """Rows of a sheet as text cells; the index numbers the rows from `start`."""
    cells = [[_cell_text(v) for v in _fitted(row, len(header), start + number)] for number, row in enumerate(body)]
    return pd.DataFrame(cells, columns=[_cell_text(h) for h in header], index=range(start, start + len(body)), dtype=str)


def _fitted(row: tuple, width: int, data_row: int) -> tuple:
    """A row as wide as the header. Rows come at their own width when the sheet declares no (or a wrong) size."""
    if any(_cell_text(value).strip() for value in row[width:]):
        raise TableShapeError(
            f"Data row {data_row + 1:,} has cells to the right of the last column named in the header row. "
            "Give those columns a name in the header row (or delete the stray cells) and upload the file again."
        )
    return tuple(row[:width]) + (None,) * (width - len(row))  # openpyxl gives a list for a missing row


def sheet_rows(workbook, sheet: str | None, header_row: int | None = None) -> tuple[tuple, Iterator[tuple]]:
    """The header row and an iterator over the data rows below it."""
    names = cell_sheets(workbook)
    if sheet and sheet not in names:
        raise InputFileError(f"The workbook has no sheet named '{sheet}'. Its sheets are: {', '.join(names)}.")
    worksheet = workbook[sheet or names[0]]
    if worksheet.max_column and worksheet.max_column > Settings().max_columns:
        # The sheet's declared size can be wrong (found with hand-made files); openpyxl would pad every row to it
        # and the limit would refuse a narrow sheet. Without it, each row comes with its own cells only.
        worksheet.reset_dimensions()
    found = _header(worksheet, header_row)
    if found is None:
        raise InputFileError(f"The sheet '{sheet or names[0]}' is empty. Choose the sheet that holds your data.")
    return found.row, found.rest


class Header(NamedTuple):
    number: int  # the header's row number, from 1
    row: tuple
    rest: Iterator[tuple]  # the rows below it


# How far down a header under a report's title rows is looked for.
TITLE_ROWS = 10


def _header_in(rows: Iterator[tuple]) -> Header | None:
    """The header row: the first row with anything in it, as the values Excel last computed show it (sheets often
    start with a blank row or two, or a formula that shows nothing), unless a report's title stands above the table:
    rows of one cell each in column A, then a blank row, then a row of two or more names with a row of two or more
    cells under it ("Support tickets – March export" / "Exported 3 April" / blank / "ID, Body" / "T-1, refund"), whose
    title was read as the header and every other line as a ticket. Otherwise the first row stays the header (a header
    with unnamed columns, a sheet of one column)."""
    first, seen = 0, []  # the first row with anything in it, and the rows from it on, blank ones too
    for number, row in enumerate(rows, start=1):
        filled = _filled(row)
        if not filled and not seen:
            continue
        if len(filled) > 1 and not seen:
            return Header(number, row, rows)
        if len(filled) > 1 and _under_a_title(seen, filled):
            below = _next_filled(rows)
            if len(_filled(below[-1] if below else ())) > 1:
                return Header(number, row, chain(below, rows))
            seen += [row, *below]
            break
        first = first or number
        seen.append(row)
        if len(filled) > 1 or len(seen) == TITLE_ROWS:
            break
    return Header(first, seen[0], chain(seen[1:], rows)) if seen else None


def _filled(row: tuple) -> list:
    return [value for value in row if _cell_text(value).strip()]


def _next_filled(rows: Iterator[tuple]) -> list[tuple]:
    """The rows up to and with the next one with anything in it (all that is left, if none)."""
    taken = []
    for row in rows:
        taken.append(row)
        if _filled(row):
            break
    return taken


def _under_a_title(above: list[tuple], names: list) -> bool:
    """Whether a row of `names` is a table's header under a title: text names, after rows of one cell each in column
    A and then a blank row."""
    titled = all(_cell_text(row[0]).strip() and not _filled(row[1:]) for row in above if _filled(row))
    return not _filled(above[-1]) and titled and all(isinstance(name, str) for name in names)


def _header(worksheet, header_row: int | None) -> Header | None:
    """The header the user chose by its row number, or else the one _header_in finds."""
    rows = _within_excel_rows(_shown_rows(worksheet, header_row or 1), first=header_row or 1)
    if not header_row:
        return _header_in(rows)
    row = next(rows, None)
    if row is None:
        raise InputFileError(f"The sheet '{worksheet.title}' has no row {header_row:,}: choose the row that holds "
                             "the column names.")
    if not _filled(row):
        raise InputFileError(f"Row {header_row:,} of the sheet '{worksheet.title}' is empty: choose the row that holds "
                             "the column names.")
    return Header(header_row, row, rows)


def _shown_rows(worksheet, first: int) -> Iterator[tuple]:
    """The sheet's rows from row `first`, a number as its format shows it where shown_number renders that format
    ("00123", "15%"), anything else as stored: the model reads what the user sees, and a CSV download holds it."""
    for row in worksheet.iter_rows(min_row=first):
        yield tuple(_shown(cell) for cell in row)


def _shown(cell):
    value = cell.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        code = cell.number_format
        return value if code == "General" else shown_number(value, code)
    return value


def header_row_number(path: Path, sheet: str | None, header_row: int | None = None) -> int:
    """The row number of the sheet's header as the reader takes it, for writing results beside the rows it read: a
    download that found the header by the cells' formulas put every result one row up under a banner row whose
    formula showed nothing."""
    if header_row:
        return header_row
    workbook = open_workbook(path)
    try:
        worksheet = workbook[sheet or cell_sheets(workbook)[0]]
        found = _header_in(_within_excel_rows(worksheet.iter_rows(values_only=True)))
        return found.number if found else 1
    finally:
        workbook.close()


def row_naming(path: Path, sheet: str | None, names: list[str]) -> int | None:
    """The first of the top rows (numbered from 1, as a spreadsheet numbers them) holding every one of `names`: where
    a job's columns are, when the header found is another row."""
    wanted = {name.strip() for name in names}
    found = [number for rows in _top_rows(Path(path), sheet) for number, row in enumerate(rows, start=1)
             if wanted <= {_cell_text(value).strip() for value in row}]
    return min(found, default=None)


def _top_rows(path: Path, sheet: str | None) -> list[list[tuple]]:
    """The sheet's top rows; a text file's split at each delimiter (a title line above the header misleads the
    sniffer)."""
    if file_kind(path) == "excel":
        workbook = open_workbook(path)
        try:
            with workbook_errors(path):
                worksheet = workbook[sheet or cell_sheets(workbook)[0]]
                return [list(islice(worksheet.iter_rows(values_only=True), MAX_HEADER_ROW))]
        finally:
            workbook.close()
    with open_text_table(path) as handle:
        sample = handle.read(SAMPLE_CHARS)
    said = SEP_LINE.match(sample)
    lines = sample[said.end():].splitlines() if said else sample.splitlines()
    return [[tuple(next(csv.reader([line], delimiter=d), [])) for line in lines[:MAX_HEADER_ROW]] for d in _DELIMITERS]


def _within_excel_rows(rows: Iterator[tuple], first: int = 1) -> Iterator[tuple]:
    """openpyxl fills the gap before any row number it reads; a forged r="999999999" would keep it filling for hours."""
    for number, row in enumerate(rows, start=first):
        if number > EXCEL_MAX_ROWS:
            raise InputFileError(
                f"The sheet has rows numbered beyond {EXCEL_MAX_ROWS:,}, the last row Excel allows, so it was not "
                "saved by Excel or is damaged. Open it in Excel and save it again, or save the sheet as CSV."
            )
        yield row


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it, not Python's "True"
    if isinstance(value, float):
        # 15 significant digits, as Excel shows a number: 0.1 + 0.2 is "0.3", not "0.30000000000000004"
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, timedelta):  # a duration, as Excel's [h]:mm:ss shows it: "25:30:00", not "1 day, 1:30:00"
        return _duration_text(value)
    if isinstance(value, datetime) and value.time() == time():  # a date cell: 2024-03-01, not "2024-03-01 00:00:00"
        return value.date().isoformat()
    if isinstance(value, str):
        return _EXCEL_ESCAPE.sub(lambda found: chr(int(found[1], 16)), value)
    return str(value)


def _duration_text(value: timedelta) -> str:
    seconds = round(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# Excel writes a character XML cannot hold as _xHHHH_ (the carriage return of a line break typed with Alt+Enter on
# Windows: "_x000D_"), and "_" of a literal "_x…_" as _x005F_; openpyxl leaves both as they are, so the model read
# "Where is my parcel?_x000D_\nOrdered…". One pass, left to right, undoes both.
_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def clean_headers(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank headers get a name the user can pick; pandas' 'Unnamed: 3' is renamed too."""
    names = []
    for position, name in enumerate(frame.columns, start=1):
        name = str(name).strip()
        blank = not name or name.startswith("Unnamed: ")
        names.append(f"column_{position}" if blank else name)
    frame.columns = names
    return frame


def _check_table(frame: pd.DataFrame, filename: str, limits: Settings) -> pd.DataFrame:
    """`filename`: how messages name the table ("'tickets.xlsx'", "The sheet 'May' of 'tickets.xlsx'")."""
    if len(frame.columns) > limits.max_columns:
        raise InputFileError(
            f"{filename} has {len(frame.columns):,} columns; the limit is {limits.max_columns:,}. "
            "Keep only the columns you need, or raise WORKBENCH_MAX_COLUMNS."
        )
    _refuse_repeated(frame.columns, filename)
    if frame.empty:
        raise InputFileError(f"{filename} has a header row but no data rows. Add the rows to process, or choose the "
                             "sheet that has them.")
    return frame.fillna("")


def _refuse_repeated(names, filename: str) -> None:
    """Two columns of one name: which one a setting means is anyone's guess."""
    repeated = sorted(name for name, count in Counter(names).items() if count > 1 and name)
    if repeated:
        raise TableShapeError(f"{filename} has more than one column named {', '.join(map(repr, repeated))}. Give every "
                              "column its own name in the header row and upload it again.")


def _refuse_repeated_text_names(sample: str, options: dict, filename: str) -> None:
    """A text table's header as written: pandas renames a repeated 'Body' to 'Body.1', so a file with a genuine
    'Body.1' beside 'Body' was refused as repeating 'Body'."""
    lines = sample.splitlines(keepends=True)[options["skiprows"]:]
    header = next(csv.reader(io.StringIO("".join(lines[:MAX_HEADER_ROW])), delimiter=options["sep"]), [])
    _refuse_repeated([cell.strip() for cell in header], filename)


def _problem(exc: Exception) -> str:
    if isinstance(exc, pd.errors.ParserWarning):
        return "some rows have more cells than the header row has column names"
    return _first_line(exc)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
