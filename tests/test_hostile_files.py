"""Every broken or hostile file gets the table or a clear message: never a traceback."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.hostile_files import CORPUS, build
from workbench.errors import InputFileError
from workbench.io import list_sheets, read_table, write_table
from workbench.io.rows import row_texts


@pytest.fixture(autouse=True)
def small_unzip_limit(monkeypatch):
    # The corpus's zip bomb unpacks to 100 MB (quick to build); the default limit is 1,000 MB.
    monkeypatch.setenv("WORKBENCH_MAX_UNZIPPED_MB", "50")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_file_reads_or_says_what_to_fix(tmp_path, name):
    path = build(tmp_path, name)
    expected = CORPUS[name][1]
    if expected is None:
        frame = read_table(path)
        assert len(frame) >= 1 and len(frame.columns) >= 1
        assert all(isinstance(value, str) for value in frame.iloc[0])
        return
    with pytest.raises(InputFileError, match=expected) as error:
        list_sheets(path)  # the New job page asks for sheets first
        read_table(path)
    assert "Traceback" not in str(error.value)


@pytest.mark.parametrize("name", ["cp1252.csv", "latin1.csv", "utf8_bom.csv", "utf16le.csv", "utf16be.csv"])
def test_encodings_decode_to_the_same_text(tmp_path, name):
    frame = read_table(build(tmp_path, name))
    assert list(frame.columns) == ["Subject", "Body"]
    assert frame.loc[0, "Body"] == "Où est ma commande ?"


def test_blank_headers_get_names_a_user_can_pick(tmp_path):
    assert list(read_table(build(tmp_path, "blank_headers.csv")).columns) == ["column_1", "Body", "column_3"]


def test_a_one_megabyte_cell_fails_only_its_own_row(tmp_path):
    frame = read_table(build(tmp_path, "huge_cell.csv"))
    rows = row_texts(frame, ["Body"], max_chars=100_000)
    assert "1,000,000 characters long; the limit is 100,000" in rows[0].error
    assert (rows[1].text, rows[1].error) == ("short", None)


def test_formula_cells_give_values_never_formulas(tmp_path):
    frame = read_table(build(tmp_path, "formulas.xlsx"))
    # openpyxl stores no computed values, so formula cells read blank; a formula is never passed on as text.
    assert not any(value.startswith("=") for value in frame.to_numpy().ravel())
    assert frame.loc[1].tolist() == ["plain text", "3"]


def test_macro_workbook_data_is_read_and_the_macro_ignored(tmp_path):
    assert read_table(build(tmp_path, "macros.xlsm"))["Body"].tolist() == ["please refund"]


def test_injection_payloads_stay_text_on_read_and_are_neutralised_on_export(tmp_path):
    frame = read_table(build(tmp_path, "injection.csv"))
    assert frame["Body"].tolist() == ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3"]
    exported = read_table(write_table(frame, tmp_path / "out.csv"))
    assert exported["Body"].tolist() == ["'=cmd|' /C calc'!A0", "'+1+1", "'@SUM(A1)", "'-2+3"]
    # In XLSX a cell typed as text is never run, so the text is kept as it was.
    sheet = load_workbook(write_table(frame, tmp_path / "out.xlsx")).active
    assert [(cell.value, cell.data_type) for (cell,) in sheet.iter_rows(min_row=2)] == [
        (value, "s") for value in frame["Body"]]


def test_limits_are_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_COLUMNS", "20000")
    assert len(read_table(build(tmp_path, "ten_thousand_columns.csv")).columns) == 10_000
