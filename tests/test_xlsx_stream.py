"""The streamed one-sheet workbook: what a spreadsheet program reads back from it."""

import zipfile
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from workbench.io.writers import write_xlsx_chunks
from workbench.io.xlsx_stream import column_letters, sheet_title, write_workbook


def _read(path, read_only=False):
    return [list(row) for row in load_workbook(path, read_only=read_only).active.iter_rows(values_only=True)]


@pytest.mark.parametrize("read_only", [False, True])
def test_each_value_comes_back_as_what_it_is(tmp_path, read_only):
    rows = [["n", "x", "flag", "day", "when", "text"],
            [1, 2.5, True, date(2026, 2, 28), datetime(2026, 2, 28, 13, 45, 30), "=1+1"],
            [np.int64(7), np.float64(0.125), np.bool_(False), date(1900, 3, 1), datetime(2000, 1, 1), "  spaced \r\n"],
            [-3, 1e-7, False, date(2099, 12, 31), datetime(2026, 11, 30, 23, 59, 59), "<b>&amp; \"q\" 'a'</b> ünï €"]]
    path = write_workbook(rows, tmp_path / "out.xlsx")
    read = _read(path, read_only)
    as_read = [[datetime(v.year, v.month, v.day) if type(v) is date else v for v in row] for row in rows]  # noqa: E721
    assert read == as_read  # a spreadsheet's dates are days with a time of 0:00
    assert isinstance(read[2][0], int) and isinstance(read[1][2], bool)
    if not read_only:
        formats = [load_workbook(path).active.cell(2, column).number_format for column in (4, 5)]
        assert formats == ["yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"]


def test_a_formula_is_written_as_text(tmp_path):
    path = write_workbook([["=SUM(A1:A2)"], ["=1+1"]], tmp_path / "out.xlsx")
    sheet = load_workbook(path).active
    assert [sheet["A1"].data_type, sheet["A2"].data_type] == ["s", "s"]
    assert sheet["A2"].value == "=1+1"


def test_empty_cells_keep_the_others_in_their_columns(tmp_path):
    rows = [["a", "b", "c"], [None, "", "z"], [], ["x", None, None]]
    path = write_workbook(rows, tmp_path / "out.xlsx")
    sheet = load_workbook(path).active
    assert sheet["C2"].value == "z" and sheet["A2"].value is None and sheet["A4"].value == "x"  # the empty row kept


def test_wide_rows_reach_columns_past_z(tmp_path):
    header = [f"c{i}" for i in range(60)]
    path = write_workbook([header, list(range(60))], tmp_path / "out.xlsx")
    sheet = load_workbook(path).active
    assert sheet["AA1"].value == "c26" and sheet["BH2"].value == 59


def test_column_letters():
    assert [column_letters(i) for i in (0, 25, 26, 51, 52, 701, 702, 16_383)] == \
        ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]


def test_characters_xml_cannot_hold_are_dropped_and_infinity_is_said(tmp_path):
    path = write_workbook([["bell\x07 and \ud800 half", float("inf"), float("nan"), "\x01"]], tmp_path / "out.xlsx")
    assert _read(path) == [["bell and  half", "inf"]]  # the empty cells at the end are not written


def test_the_sheet_is_named_as_excel_allows(tmp_path):
    assert sheet_title("results") == "results"
    assert sheet_title("a/b:c*d?[e]\\" + "x" * 40) == ("a_b_c_d__e__" + "x" * 40)[:31]
    assert sheet_title("") == "results"
    path = write_workbook([["a"]], tmp_path / "out.xlsx", sheet_name="Q3 <north> & 'south'")
    assert load_workbook(path).sheetnames == ["Q3 <north> & 'south"]


def test_a_long_table_streams_in_pieces(tmp_path):
    frame = pd.DataFrame({"row": range(1, 1_203), "text": [f"row {i}" for i in range(1, 1_203)]})
    path = write_xlsx_chunks([frame.iloc[:700], frame.iloc[700:]], tmp_path / "out.xlsx")
    read = pd.read_excel(path)
    pd.testing.assert_frame_equal(read, frame)


def test_the_written_table_reads_back_as_the_frame(tmp_path):
    frame = pd.DataFrame({"ticket": ["007", "12"], "amount": ["20.5", "abc"], "due": ["2026-02-03", "2026-02-30"],
                          "score": [0.5, np.nan], 2026: ["x", None]})
    path = write_xlsx_chunks([frame], tmp_path / "out.xlsx")
    assert _read(path) == [["ticket", "amount", "due", "score", "2026"],
                           ["007", 20.5, datetime(2026, 2, 3), 0.5, "x"],
                           [12, "abc", "2026-02-30", None, None]]


def test_several_sheets_in_order_with_formulas_and_times(tmp_path):
    from datetime import time

    from workbench.io.xlsx_stream import Formula, write_sheets

    path = write_sheets([("Data", [["n"], [2], [3]]), ("Totals", [[Formula("SUM(Data!A2:A3)"), time(9, 30, 15)]])],
                        tmp_path / "out.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Data", "Totals"]
    assert book["Totals"]["A1"].value == "=SUM(Data!A2:A3)" and book["Totals"]["A1"].data_type == "f"
    assert book["Totals"]["B1"].value == time(9, 30, 15) and book["Totals"]["B1"].number_format == "hh:mm:ss"
    assert _read(path) == [["n"], [2], [3]]


def test_durations_errors_array_formulas_and_early_dates_are_written_as_excel_holds_them(tmp_path):
    import re
    from datetime import timedelta

    from workbench.io.xlsx_stream import CellError, Formula

    row = [timedelta(hours=26, minutes=15), CellError("#N/A"), Formula("SUM(A2:A3*B2:B3)", {"t": "array", "ref": "C1"}),
           date(1900, 2, 14), datetime(1900, 3, 1)]
    path = write_workbook([row], tmp_path / "out.xlsx")
    sheet = load_workbook(path).active
    assert sheet["A1"].value == timedelta(hours=26, minutes=15) and sheet["A1"].number_format == "[h]:mm:ss"
    assert sheet["B1"].value == "#N/A" and sheet["B1"].data_type == "e"
    assert sheet["C1"].value.ref == "C1" and sheet["C1"].value.text == "=SUM(A2:A3*B2:B3)"
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    # Excel counts a 29 February 1900 that never was: 14 February 1900 is day 45, 1 March 1900 day 61.
    assert re.findall(r'<c r="[DE]1" s="\d"><v>([\d.]+)</v>', xml) == ["45.0", "61.0"]


def test_sheets_whose_names_meet_once_cut_get_names_of_their_own(tmp_path):
    from workbench.io.xlsx_stream import write_sheets

    long = "Quarterly figures for the north region"
    path = write_sheets([(long + " A", [["a"]]), (long + " B", [["b"]]), ("x[1]", [["c"]]), ("x_1_", [["d"]])],
                        tmp_path / "out.xlsx")
    names = load_workbook(path).sheetnames
    assert names == [long[:31], long[:27] + " (2)", "x_1_", "x_1_ (2)"] and all(len(name) <= 31 for name in names)


def test_each_sheet_declares_its_size(tmp_path):
    from workbench.io.xlsx_stream import write_sheets

    path = write_sheets([("a", [["h1", "h2"], [1, 2, None], [3]]), ("empty", [])], tmp_path / "out.xlsx")
    book = load_workbook(path, read_only=True)
    assert [(sheet.max_row, sheet.max_column) for sheet in book.worksheets] == [(3, 3), (1, 1)]
    assert b'<dimension ref="A1:C3"/>' in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
