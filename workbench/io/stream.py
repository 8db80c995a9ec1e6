"""Read a table in chunks of rows, so a job over 100,000 rows holds only a chunk at a time.

Each chunk is a DataFrame like read_table's (text cells, clean headers) whose index is the row's
number in the file, so results from any chunk line up with the whole table.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pandas as pd

from workbench.io.readers import (
    clean_headers,
    csv_options,
    file_kind,
    open_text_table,
    open_workbook,
    read_table,
    sheet_frame,
    sheet_rows,
    table_errors,
    without_blank_end,
    workbook_errors,
)

CHUNK_ROWS = 2048
SAMPLE_CHARS = 65536


def iter_frames(path: Path, sheet: str | None = None, nrows: int | None = None, chunk_rows: int = CHUNK_ROWS,
                header_row: int | None = None) -> Iterator[pd.DataFrame]:
    """The table's rows, `chunk_rows` at a time, after the same checks (and messages) as read_table."""
    path = Path(path)
    read_table(path, sheet=sheet, nrows=1, header_row=header_row)
    if file_kind(path) == "excel":
        chunks = _excel_chunks(path, sheet, chunk_rows, header_row)
    else:
        chunks = _text_chunks(path, chunk_rows, header_row)
    for chunk in _first_rows(_without_blank_end(chunks), nrows):
        yield clean_headers(chunk).fillna("")


def count_rows(path: Path, sheet: str | None = None, nrows: int | None = None, header_row: int | None = None) -> int:
    return sum(len(chunk) for chunk in iter_frames(path, sheet, nrows, header_row=header_row))


def _first_rows(chunks: Iterator[pd.DataFrame], nrows: int | None) -> Iterator[pd.DataFrame]:
    left = nrows
    for chunk in chunks:
        if left is not None:
            chunk = chunk.head(left)
            left -= len(chunk)
        if len(chunk):
            yield chunk
        if left == 0:
            return


def _without_blank_end(chunks: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The chunks without the blank rows the table ends with (readers.without_blank_end): blank rows are held back
    until a row with something in it shows they are not the end."""
    held: list[pd.DataFrame] = []
    for chunk in chunks:
        trimmed = without_blank_end(chunk)
        if len(trimmed):
            yield from held
            held = []
            yield trimmed
        if len(trimmed) < len(chunk):
            held.append(chunk.iloc[len(trimmed):])


def _text_chunks(path: Path, chunk_rows: int, header_row: int | None) -> Iterator[pd.DataFrame]:
    with open_text_table(path) as handle:
        sample = handle.read(SAMPLE_CHARS + 1)  # as read_table: the sniffer then knows the last row may be cut
        handle.seek(0)
        with table_errors(path.name):
            reader = pd.read_csv(handle, chunksize=chunk_rows, **csv_options(sample, path.suffix.lower(), header_row))
        while True:
            # Errors are translated per chunk: a generator must not hold a warnings filter across its yields.
            with table_errors(path.name):
                chunk = next(reader, None)
            if chunk is None:
                return
            yield chunk


def _excel_chunks(path: Path, sheet: str | None, chunk_rows: int, header_row: int | None) -> Iterator[pd.DataFrame]:
    workbook = open_workbook(path)  # read-only: openpyxl streams the sheet's XML
    try:
        with workbook_errors(path):
            header, rows = sheet_rows(workbook, sheet, header_row)
        start = 0
        while True:
            with workbook_errors(path):
                body = list(islice(rows, chunk_rows))
            if not body:
                return
            yield sheet_frame(header, body, start)
            start += len(body)
    finally:
        workbook.close()
