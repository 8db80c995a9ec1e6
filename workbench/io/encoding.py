"""Turn the bytes of a text spreadsheet into text, whatever encoding it was saved in."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from workbench.errors import InputFileError

_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    # UTF-16 without a BOM has many NULs too, but real text files from spreadsheet tools carry a BOM.
    return b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) * 0.1


def detect_encoding(data: bytes) -> str:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if _looks_binary(data):
        raise InputFileError(
            "This file is not a text spreadsheet (it holds binary data). "
            "Save it from Excel as CSV or XLSX and upload that file."
        )
    # Excel on Western Windows saves cp1252; detectors often mistake short samples for a
    # neighbouring code page, so cp1252 wins whenever the bytes are valid in it.
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(data[:200_000]).best()
    return best.encoding if best is not None else "latin-1"


def decode_text(data: bytes) -> str:
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return data.decode("latin-1")


HEAD_BYTES = 1 << 20


def detect_file_encoding(path) -> str:
    """detect_encoding for a file of any size, reading it in pieces (memory stays flat)."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return _checked_bom_encoding(path, name)
    if _looks_binary(head):
        detect_encoding(head)  # raises the user-facing message
    for encoding in ("utf-8", "cp1252"):
        if _whole_file_decodes(path, encoding):
            return encoding
    best = from_bytes(head[:200_000]).best()
    # The guess comes from the head only; latin-1 decodes any byte, so a later odd byte never stops a read.
    return best.encoding if best is not None and _whole_file_decodes(path, best.encoding) else "latin-1"


def _checked_bom_encoding(path, encoding: str) -> str:
    """A BOM names the encoding; bytes that then do not decode mean a damaged or cut-short file (found by fuzzing)."""
    if not _whole_file_decodes(path, encoding):
        raise InputFileError(
            f"This file says it is {'UTF-16' if encoding == 'utf-16' else 'UTF-8'} text, but part of it is not: "
            "it is damaged or was cut short. Save it again from Excel (as CSV UTF-8 or XLSX) and upload that file."
        )
    return encoding


def _whole_file_decodes(path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as handle:
            while piece := handle.read(HEAD_BYTES):
                decoder.decode(piece)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
