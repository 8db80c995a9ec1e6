"""What reading a workbook's numbers as the sheet shows them costs: a job's whole read of a 40,000-row sheet (a number
format on three of its five columns), shown against stored values, in one process.

    .venv/bin/python benchmarks/shown_numbers_read.py [--rows 40000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.io import readers  # noqa: E402
from workbench.io.stream import iter_frames  # noqa: E402


def build(path: Path, rows: int) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("tickets")
    sheet.append(["ID", "Body", "Amount", "Share", "Date"])
    for number in range(rows):
        cells = [WriteOnlyCell(sheet, number), f"Customer {number} writes that an invoice was charged twice",
                 WriteOnlyCell(sheet, random.random() * 1000), WriteOnlyCell(sheet, random.random()), date(2024, 3, 1)]
        for cell, code in zip((cells[0], cells[2], cells[3]), ("00000", '"$"#,##0.00', "0%"), strict=True):
            cell.number_format = code
        sheet.append(cells)
    book.save(path)


def stored_rows(worksheet, first: int):
    return worksheet.iter_rows(min_row=first, values_only=True)


def timed(path: Path) -> float:
    start = time.perf_counter()
    assert sum(len(chunk) for chunk in iter_frames(path)) > 0
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    shown_rows = readers._shown_rows
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tickets.xlsx"
        build(path, args.rows)
        for _ in range(args.repeats):
            readers._shown_rows = stored_rows
            stored = timed(path)
            readers._shown_rows = shown_rows
            shown = timed(path)
            print(f"stored values {stored:.2f} s, as shown {shown:.2f} s: x{shown / stored:.2f}", flush=True)


if __name__ == "__main__":
    main()
