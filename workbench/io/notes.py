"""What a user should know about a workbook that reads fine: parts of it that were left out on purpose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.functions import iterparse  # defusedxml's parser when it is installed, as openpyxl itself uses

from workbench.config import Settings
from workbench.io.language import looks_english
from workbench.io.readers import _check_unzipped_size, file_kind, workbook_errors
from workbench.io.rows import row_texts

MACROS_IGNORED = "This workbook's macros were ignored: nothing in it was run, only the values in its cells were read."
# Enough cells to see whether a sheet's formulas were ever calculated, without reading a huge sheet through.
SCANNED_CELLS = 50_000


def input_notes(path: Path, sheet: str | None = None) -> list[str]:
    """Notes to show beside the preview; empty for text files and plain workbooks."""
    path = Path(path)
    if file_kind(path) != "excel":
        return []
    _check_unzipped_size(path, Settings().max_unzipped_mb)  # before anything unpacks a part
    with workbook_errors(path), _workbook_parts(path) as (archive, sheet_parts):
        notes = [MACROS_IGNORED] if _has_macros(archive) else []
        scan = _scan_sheet(archive, sheet_parts[sheet or list(sheet_parts)[0]])
    return notes + ([_formulas_note(scan.unsaved_formulas)] if scan.unsaved_formulas else []) \
        + ([_hidden_rows_note(scan)] if scan.hidden_rows else []) + ([_merged_note(scan)] if scan.merged_down else []) \
        + ([_totals_note(scan.totals)] if scan.totals else [])


@contextmanager
def _workbook_parts(path: Path) -> Iterator[tuple]:
    """The workbook's zip and each sheet's part name, without loading its shared strings (seconds on a big file)."""
    reader = ExcelReader(path, read_only=True, data_only=True)  # openpyxl's own reader, pinned in requirements.txt
    try:
        reader.read_manifest()
        reader.read_workbook()
        yield reader.archive, {sheet.name: rel.target for sheet, rel in reader.parser.find_sheets()}
    finally:
        reader.archive.close()


def long_text_note(frame: pd.DataFrame, columns: list[str], max_chars: int) -> str | None:
    """Rows over the length limit fail alone, with that reason; say so before the job runs, not after."""
    # Measured on the whole texts: a row can fail for another reason (an empty row) and is not "too long".
    too_long = sum(len(row.text) > max_chars for row in row_texts(frame, columns, max_chars=10**15))
    if not too_long:
        return None
    return (f"{too_long:,} of the first {len(frame):,} rows {'is' if too_long == 1 else 'are'} longer than "
            f"{max_chars:,} characters, the length limit. {'That row' if too_long == 1 else 'Those rows'} will fail with "
            "that reason and the others will run. Shorten them in the file, or ask whoever runs this app to raise the "
            "limit (WORKBENCH_MAX_CELL_CHARS).")


NOT_ENGLISH = ("These rows do not look like English. The bundled models read English: on another language their answers "
               "are mostly wrong while their confidence stays high, so few rows are flagged for review. Try them on 5 "
               "rows and check, give labelled examples, or add a model that reads this language on the Models page.")


def language_note(frame: pd.DataFrame, columns: list[str]) -> str | None:
    """A warning when the preview's texts do not look English (io/language.py)."""
    texts = [row.text for row in row_texts(frame, columns, max_chars=10**15) if row.text]
    return None if looks_english(texts) else NOT_ENGLISH


def _has_macros(archive) -> bool:
    return any(name.lower().endswith("vbaproject.bin") for name in archive.namelist())


class SheetScan(NamedTuple):
    unsaved_formulas: int  # formula cells with no value saved beside them
    hidden_rows: int  # rows hidden in Excel, by hand or by a filter
    whole: bool  # whether the scan reached the sheet's end
    merged_down: int = 0  # merged cells spanning several rows (listed after the cells: counted on a whole scan only)
    totals: tuple[tuple[int, str], ...] = ()  # (sheet row, formula) of rows totalling rows above them: not a text


def _scan_sheet(archive, sheet_part: str) -> SheetScan:
    """The sheet's first SCANNED_CELLS cells, read once: formulas a program that does not calculate wrote without
    values, and hidden rows (a filtered list uploaded as it is shown is read whole)."""
    unsaved = hidden = cells = merged = rows = 0
    totals: dict[int, str] = {}  # each row's first such formula
    with archive.open(sheet_part) as xml:
        for _, element in iterparse(xml):
            tag = _local(element.tag)
            if tag == "row":
                hidden += element.get("hidden") in ("1", "true")
                rows += 1
                element.clear()
            elif tag == "c":
                if found := _total_row(element):
                    totals.setdefault(*found)
                unsaved += _unsaved_formula(element)
                cells += 1
                if cells >= SCANNED_CELLS:
                    return SheetScan(unsaved, hidden, whole=False, totals=_few(totals, rows))
            elif tag == "mergeCell":
                merged += _spans_rows(element.get("ref", ""))
    return SheetScan(unsaved, hidden, whole=True, merged_down=merged, totals=_few(totals, rows))


def _few(totals: dict[int, str], rows: int) -> tuple[tuple[int, str], ...]:
    """Rows that total rows above them, if they are few: a formula on most rows (a running number, =MAX($A$1:A5)+1)
    is a column of the table, not its totals."""
    return tuple(sorted(totals.items())) if len(totals) <= max(3, rows // 20) else ()


def _spans_rows(ref: str) -> bool:
    """Whether a merged range ("A2:A5") covers more than one row below the first: a report's title merged over rows
    1 and 2 holds no row's value."""
    rows = [int(row) for row in re.findall(r"\d+", ref)]
    return len(rows) == 2 and rows[0] >= 2 and rows[0] != rows[1]


# A total or subtotal row: one of these functions over a range that ends above the cell ("=SUM(C2:C50)" in C51).
_AGGREGATE = re.compile(r"\b(?:SUM|SUBTOTAL|AGGREGATE|AVERAGE|AVERAGEA|COUNT|COUNTA|MIN|MAX|MEDIAN)\s*\(", re.IGNORECASE)
_RANGE_END_ROW = re.compile(r"[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?(\d+)", re.IGNORECASE)


def _total_row(cell) -> tuple[int, str] | None:
    """The cell's sheet row and formula, where the formula totals (or counts, averages…) rows above it."""
    formula = next((child.text for child in cell if _local(child.tag) == "f"), None)
    row = re.search(r"\d+$", cell.get("r", ""))
    if not formula or not row or not _AGGREGATE.search(formula) or "!" in formula:  # rows of another sheet: no total
        return None
    ends = [int(end) for end in _RANGE_END_ROW.findall(formula)]
    return (int(row.group()), formula) if ends and max(ends) < int(row.group()) else None


def _unsaved_formula(cell) -> bool:
    children = {_local(child.tag): child for child in cell}
    unsaved = "f" in children and not (children.get("v") is not None and children["v"].text)
    cell.clear()  # keeps memory flat on a long sheet
    return unsaved


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _hidden_rows_note(scan: SheetScan) -> str:
    where = "" if scan.whole else " among its first rows"
    return (f"{scan.hidden_rows:,} row{'s' if scan.hidden_rows != 1 else ''} of this sheet{where} "
            f"{'are' if scan.hidden_rows != 1 else 'is'} hidden in Excel (by hand or by a filter), and will be read and "
            "answered like the others. To leave them out, delete them, or copy the rows you see to a sheet of their own.")


def _merged_note(scan: SheetScan) -> str:
    one = scan.merged_down == 1
    return (f"{scan.merged_down:,} merged cell{'' if one else 's'} of this sheet span{'s' if one else ''} several rows: "
            "Excel shows the value on each of those rows, but it is read on the first only, the others as blank. To "
            f"have it read on every row, unmerge {'it' if one else 'them'} and fill the value down.")


def _totals_note(totals: tuple[tuple[int, str], ...]) -> str:
    rows = [row for row, _ in totals]
    shown = ", ".join(f"{row:,}" for row in rows[:5]) + (f" and {len(rows) - 5:,} more" if len(rows) > 5 else "")
    one, it = len(rows) == 1, "it" if len(rows) == 1 else "them"
    return (f"Row{'' if one else 's'} {shown} of this sheet {'looks like a total' if one else 'look like totals'} "
            f"(={totals[0][1]} in row {rows[0]:,} works on the rows above): {'it' if one else 'they'} will be read and "
            f"answered like the others. To leave {it} out, delete {it} in Excel and upload the file again.")


def _formulas_note(count: int) -> str:
    return (f"Formula cells with no calculated value saved in the file: {count:,}. They read as blank. "
            "Open the workbook in Excel and save it, so their values are stored, then upload it again.")
