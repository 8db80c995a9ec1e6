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


def _with_blank_rows(path, kind: str):
    rows = [["Body", "id"], ["refund", "1"], ["", ""], ["late parcel", "3"], *[["", " "]] * 12]  # a blank in the middle
    if kind == "csv":
        path.write_text("\n".join(",".join(row) for row in rows) + "\n")
        return path
    book = Workbook()
    for row in rows:
        book.active.append([cell or None for cell in row])
    book.save(path)
    return path


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_blank_rows_a_table_ends_with_are_no_rows(tmp_path, kind):
    # ",," lines at a CSV's end or a sheet's formatted empty rows failed as empty rows: "2 rows, 15 failed".
    path = _with_blank_rows(tmp_path / f"trail.{kind}", kind)
    assert count_rows(path) == 3  # the blank row between two rows stays: row numbers match the file's
    assert read_table(path)["Body"].tolist() == ["refund", "", "late parcel"]
    for chunk_rows in (1, 2, 7):
        assert pd.concat(list(iter_frames(path, chunk_rows=chunk_rows)))["Body"].tolist() == ["refund", "", "late parcel"]


def test_a_table_of_only_blank_rows_makes_no_job(settings, tmp_path):
    from workbench.jobs import service
    from workbench.tasks.spec import spec_from_dict

    path = tmp_path / "blank.csv"
    path.write_text("Body,id\n,\n , \n")
    with pytest.raises(InputFileError, match="only empty rows"):
        service.create_job(settings, spec_from_dict({"task": "classify", "text": "Body", "labels": ["a", "b"]}), path)
