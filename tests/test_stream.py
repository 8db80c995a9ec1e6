"""Reading in chunks gives exactly the rows, and the messages, of reading the whole table."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from tests.conftest import SAMPLE_DIR
from tests.hostile_files import CORPUS, build
from workbench.errors import InputFileError
from workbench.io import read_table
from workbench.io.stream import count_rows, iter_frames

EMAILS = SAMPLE_DIR / "support_emails.csv"


def streamed(path, **options) -> pd.DataFrame:
    return pd.concat(list(iter_frames(path, chunk_rows=7, **options)))


@pytest.mark.parametrize("nrows", [None, 1, 7, 20])
def test_csv_chunks_add_up_to_the_whole_table(nrows):
    whole = read_table(EMAILS, nrows=nrows)
    pd.testing.assert_frame_equal(streamed(EMAILS, nrows=nrows), whole)
    assert count_rows(EMAILS, nrows=nrows) == len(whole)


def test_workbook_chunks_add_up_to_the_whole_sheet(tmp_path):
    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Data")
    sheet.append([])
    sheet.append(["Subject", "Body"])
    for number in range(30):
        sheet.append([f"s{number}", f"body {number}" if number % 5 else None])
    book.save(tmp_path / "book.xlsx")
    whole = read_table(tmp_path / "book.xlsx", sheet="Data")
    pd.testing.assert_frame_equal(streamed(tmp_path / "book.xlsx", sheet="Data"), whole)
    assert streamed(tmp_path / "book.xlsx", sheet="Data", nrows=9).index.tolist() == list(range(9))


@pytest.mark.parametrize("name", ["cp1252.csv", "utf16le.csv", "utf16be.csv", "utf8_bom.csv", "huge_cell.csv"])
def test_encodings_and_long_cells_stream_like_a_whole_read(tmp_path, name):
    path = build(tmp_path, name)
    pd.testing.assert_frame_equal(streamed(path), read_table(path))


@pytest.mark.parametrize("name", ["garbage.csv", "header_only.csv", "ragged.csv", "truncated.xlsx"])
def test_broken_files_give_the_same_messages(tmp_path, name):
    with pytest.raises(InputFileError, match=CORPUS[name][1]):
        list(iter_frames(build(tmp_path, name)))


def test_a_bad_row_far_into_the_file_is_reported_when_reached(tmp_path):
    path = tmp_path / "late.csv"
    path.write_text("Body\n" + "fine\n" * 5000 + '"never closed\n')
    chunks = iter_frames(path)
    assert len(next(chunks)) == 2048  # the first rows are served before the bad one is read
    with pytest.raises(InputFileError, match="could not be read"):
        list(chunks)
