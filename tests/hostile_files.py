"""A corpus of broken and hostile spreadsheets, built at test time (nothing large is committed).

Each entry is a file name, a function writing the file, and what a user must get: either the table
(None) or a message containing the given words.
"""

from __future__ import annotations

import codecs
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

EMAILS = "Subject,Body\r\nCafé order,Où est ma commande ?\r\nInvoice,\"Charged twice, 49,99 €\"\r\n"


def _workbook(rows: list[list], **sheets: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    for name, extra in sheets.items():
        sheet = book.create_sheet(name)
        for row in extra:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A valid-looking workbook whose sheet unpacks to about 100 MB from a ~100 KB file (tests lower the limit under that)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook([["Body"], ["hi"]]))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for member in source.infolist():
            if member.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(member, source.read(member))
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b"<!-- padding -->" * 65536  # 1 MB of nothing, compressed 1000:1
            for _ in range(100):
                sheet.write(block)
    return buffer.getvalue()


def xlsm_with_macro() -> bytes:
    """A macro-enabled workbook: its VBA project must be ignored, its data read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_workbook([["Body"], ["please refund"]]))) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for member in source.infolist():
            book.writestr(member, source.read(member))
        book.writestr("xl/vbaProject.bin", b"Attribute VB_Name = \"Module1\"\nSub AutoOpen()\nShell \"calc\"\nEnd Sub")
    return buffer.getvalue()


def formulas() -> bytes:
    return _workbook([["Body", "Total"], ["=HYPERLINK(\"http://evil\",\"click\")", "=1+1"], ["plain text", 3]])


def wide_csv(columns: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    return (header + "\n" + ",".join("x" for _ in range(columns)) + "\n").encode()


CORPUS: dict[str, tuple[Callable[[], bytes], str | None]] = {
    "cp1252.csv": (lambda: EMAILS.encode("cp1252"), None),
    "latin1.csv": (lambda: EMAILS.replace("€", "EUR").encode("latin-1"), None),
    "utf8_bom.csv": (lambda: codecs.BOM_UTF8 + EMAILS.encode(), None),
    "utf16le.csv": (lambda: codecs.BOM_UTF16_LE + EMAILS.encode("utf-16-le"), None),
    "utf16be.csv": (lambda: codecs.BOM_UTF16_BE + EMAILS.encode("utf-16-be"), None),
    "empty.csv": (lambda: b"", "is empty"),
    "blank_lines.csv": (lambda: b"\n\n\n", "no columns"),
    "header_only.csv": (lambda: b"Subject,Body\n", "no data rows"),
    "duplicate_headers.csv": (lambda: b"Body,Body\na,b\n", "more than one column named 'Body'"),
    "blank_headers.csv": (lambda: b",Body,\na,b,c\n", None),
    "huge_cell.csv": (lambda: b"Body\n" + b"x" * 1_000_000 + b"\nshort\n", None),
    "ten_thousand_columns.csv": (lambda: wide_csv(10_000), "10,000 columns"),
    "unclosed_quote.csv": (lambda: b'Subject,Body\n"open,never closed\nnext,row\n', "could not be read"),
    "ragged.csv": (lambda: b"a,b\n1,2,3,4\n", "could not be read"),
    "garbage.csv": (lambda: os.urandom(4096), "binary data"),
    "nul_bytes.csv": (lambda: b"Body\nhello\x00world\n", "binary data"),
    "xlsx_named.csv": (lambda: _workbook([["Body"], ["x"]]), "Rename it to .xlsx"),
    "injection.csv": (lambda: b'Body\n=cmd|\' /C calc\'!A0\n+1+1\n@SUM(A1)\n-2+3\n', None),
    "not_a_zip.xlsx": (lambda: b"this is not a workbook", "not a valid Excel workbook"),
    "truncated.xlsx": (lambda: _workbook([["Body"], ["x"]])[:300], "not a valid Excel workbook"),
    "zip_bomb.xlsx": (zip_bomb, "would unpack to"),
    "macros.xlsm": (xlsm_with_macro, None),
    "formulas.xlsx": (formulas, None),
    "empty_sheet.xlsx": (lambda: _workbook([]), "is empty"),
    "old_format.xls": (lambda: b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "Old .xls files are not supported"),
    "unknown.pdf": (lambda: b"%PDF-1.4", "is not a CSV, TSV or XLSX file"),
}


def build(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(CORPUS[name][0]())
    return path
