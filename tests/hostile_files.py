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
    """A valid-looking workbook whose sheet unpacks to about 100 MB from a ~100 KB file (a thousand-fold)."""
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


def large_unzipped() -> bytes:
    """A genuine-looking workbook (random texts pack only about 2-fold) that unpacks to about 3 MB."""
    return _workbook([["Body"], *([os.urandom(16).hex()] for _ in range(30_000))])


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


def calculated_formulas() -> bytes:
    """As Excel saves them: each formula with the value it last calculated (openpyxl writes no values)."""
    saved = {b'<c r="A2"><f>HYPERLINK("http://evil","click")</f><v />':
             b'<c r="A2" t="str"><f>HYPERLINK("http://evil","click")</f><v>click</v>',
             b"<f>1+1</f><v />": b"<f>1+1</f><v>2</v>"}
    return _rewrite_member(formulas(), "xl/worksheets/sheet1.xml", saved)


def _rewrite_member(book: bytes, name: str, replacements: dict[bytes, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            for old, new in replacements.items() if member.filename == name else ():
                assert old in data, old  # the corpus must break loudly if openpyxl changes how it writes
                data = data.replace(old, new)
            target.writestr(member, data)
    return buffer.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def declared_size(ref: bytes | None, rows: list[list]) -> bytes:
    """A sheet whose <dimension> says `ref` (None: no dimension at all, as some generators write)."""
    book = _workbook(rows)
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        old = next(part for part in archive.read(SHEET).split(b"<") if part.startswith(b"dimension "))
    return _rewrite_member(book, SHEET, {b"<" + old: b"<dimension ref=\"" + ref + b"\" />" if ref else b""})


def row_number_bomb() -> bytes:
    """A 2 KB file whose second row claims to be row 100,000,000: without a cap, hours of empty rows."""
    book = declared_size(None, [["Body"], ["hi"]])
    return _rewrite_member(book, SHEET, {b'<row r="2">': b'<row r="100000000">', b'r="A2"': b'r="A100000000"'})


INJECTIONS = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3"]


def injection_workbook() -> bytes:
    """Formula-looking texts stored as text cells, as a user may legitimately have them."""
    book = Workbook()
    book.active.append(["Body"])
    for row, payload in enumerate(INJECTIONS, start=2):
        book.active.cell(row=row, column=1, value=payload).data_type = "s"  # openpyxl would make "=..." a formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def wide_csv(columns: int) -> bytes:
    header = ",".join(f"c{i}" for i in range(columns))
    return (header + "\n" + ",".join("x" for _ in range(columns)) + "\n").encode()


CORPUS: dict[str, tuple[Callable[[], bytes], str | None]] = {
    "cp1252.csv": (lambda: EMAILS.encode("cp1252"), None),
    "latin1.csv": (lambda: EMAILS.replace("€", "EUR").encode("latin-1"), None),
    "utf8_bom.csv": (lambda: codecs.BOM_UTF8 + EMAILS.encode(), None),
    "utf16le.csv": (lambda: codecs.BOM_UTF16_LE + EMAILS.encode("utf-16-le"), None),
    "utf16be.csv": (lambda: codecs.BOM_UTF16_BE + EMAILS.encode("utf-16-be"), None),
    "utf16_cut_short.csv": (lambda: codecs.BOM_UTF16_LE + EMAILS.encode("utf-16-le")[:-1], "damaged or was cut short"),
    "utf8_bom_then_cp1252.csv": (lambda: codecs.BOM_UTF8 + EMAILS.encode() + "Reçu,déjà\r\n".encode("cp1252"),
                                 "damaged or was cut short"),
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
    "injection.csv": (lambda: ("Body\n" + "\n".join(INJECTIONS) + "\n").encode(), None),
    "not_a_zip.xlsx": (lambda: b"this is not a workbook", "not a valid Excel workbook"),
    "truncated.xlsx": (lambda: _workbook([["Body"], ["x"]])[:300], "not a valid Excel workbook"),
    "zip_bomb.xlsx": (zip_bomb, "grow more than 200-fold"),
    "large_unzipped.xlsx": (large_unzipped, "MB, more than the 1 MB allowed"),
    "macros.xlsm": (xlsm_with_macro, None),
    "formulas.xlsx": (formulas, None),
    "formulas_calculated.xlsx": (calculated_formulas, None),
    "empty_sheet.xlsx": (lambda: _workbook([]), "is empty"),
    "wrong_dimension.xlsx": (lambda: declared_size(b"A1:XFD1048576", [["Body"], ["hi"], ["there"]]), None),
    "no_dimension.xlsx": (lambda: declared_size(None, [["Subject", "Body", "Notes"], ["Refund"], [], ["Late", "Where?"]]),
                          None),
    "stray_cell.xlsx": (lambda: declared_size(None, [["Body"], ["hi"], ["there", None, "stray note"]]),
                        "Data row 2 has cells to the right of the last column named"),
    "row_number_bomb.xlsx": (lambda: row_number_bomb(), "rows numbered beyond 1,048,576"),
    "header_only.xlsx": (lambda: _workbook([["Subject", "Body"]]), "no data rows"),
    "duplicate_headers.xlsx": (lambda: _workbook([["Body", "Body"], ["a", "b"]]), "more than one column named 'Body'"),
    "blank_headers.xlsx": (lambda: _workbook([[None, "Body", "  "], ["a", "b", "c"]]), None),
    "injection.xlsx": (lambda: injection_workbook(), None),
    "old_format.xls": (lambda: b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "Old .xls files are not supported"),
    "unknown.pdf": (lambda: b"%PDF-1.4", "is not a CSV, TSV or XLSX file"),
}


def build(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(CORPUS[name][0]())
    return path
