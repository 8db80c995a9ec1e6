"""Every broken or hostile file gets the table or a clear message: never a traceback."""

from __future__ import annotations

import tomllib
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from tests.hostile_files import CORPUS, build
from workbench.cli import cli
from workbench.config import Settings
from workbench.errors import InputFileError
from workbench.io import list_sheets, read_table, write_table
from workbench.io.notes import MACROS_IGNORED, input_notes, long_text_note
from workbench.io.readers import BOMB_MIN_BYTES, MAX_COMPRESSION_RATIO
from workbench.io.rows import row_texts
from workbench.io.stream import iter_frames


@pytest.fixture(autouse=True)
def small_unzip_limit(monkeypatch):
    # large_unzipped.xlsx unpacks to about 3 MB (quick to build); the default limit is 1,000 MB.
    monkeypatch.setenv("WORKBENCH_MAX_UNZIPPED_MB", "1")


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


@pytest.mark.parametrize("name", ["blank_headers.csv", "blank_headers.xlsx"])
def test_blank_headers_get_names_a_user_can_pick(tmp_path, name):
    assert list(read_table(build(tmp_path, name)).columns) == ["column_1", "Body", "column_3"]


def test_a_one_megabyte_cell_fails_only_its_own_row(tmp_path):
    frame = read_table(build(tmp_path, "huge_cell.csv"))
    rows = row_texts(frame, ["Body"], max_chars=100_000)
    assert "1,000,000 characters long; the limit is 100,000" in rows[0].error
    assert (rows[1].text, rows[1].error) == ("short", None)


def test_the_preview_warns_before_a_job_that_rows_are_too_long(tmp_path):
    frame = read_table(build(tmp_path, "huge_cell.csv"))
    assert long_text_note(frame, ["Body"], max_chars=100_000).startswith("1 of the first 2 rows is longer than 100,000")
    assert long_text_note(frame, ["Body"], max_chars=2_000_000) is None
    frame.loc[1, "Body"] = ""  # an empty row fails too, but it is not a long one
    assert long_text_note(frame, ["Body"], max_chars=100_000).startswith("1 of the first 2 rows")
    assert long_text_note(frame.iloc[1:], ["Body"], max_chars=100_000) is None


def test_a_wrong_declared_sheet_size_is_not_believed(tmp_path):
    assert read_table(build(tmp_path, "wrong_dimension.xlsx")).to_dict("list") == {"Body": ["hi", "there"]}


def test_rows_of_a_sheet_without_declared_size_are_as_wide_as_the_header(tmp_path):
    frame = read_table(build(tmp_path, "no_dimension.xlsx"))
    assert frame.to_numpy().tolist() == [["Refund", "", ""], ["", "", ""], ["Late", "Where?", ""]]


def test_formula_cells_give_values_never_formulas(tmp_path):
    frame = read_table(build(tmp_path, "formulas.xlsx"))
    # openpyxl stores no computed values, so formula cells read blank; a formula is never passed on as text.
    assert not any(value.startswith("=") for value in frame.to_numpy().ravel())
    assert frame.loc[1].tolist() == ["plain text", "3"]


def test_formula_cells_give_the_values_excel_saved(tmp_path):
    path = build(tmp_path, "formulas_calculated.xlsx")
    assert read_table(path).to_numpy().tolist() == [["click", "2"], ["plain text", "3"]]
    assert input_notes(path) == []


def test_formulas_without_saved_values_are_pointed_out(tmp_path):
    (note,) = input_notes(build(tmp_path, "formulas.xlsx"))
    assert note.startswith("Formula cells with no calculated value saved in the file: 2.") and "save it" in note


def test_formula_notes_are_about_the_chosen_sheet(tmp_path):
    book = Workbook()
    book.active.title = "Data"
    book.active.append(["Body"])
    book.active.append(["plain"])
    book.create_sheet("Calc").append(["Total", "=1+1"])
    book.save(tmp_path / "two.xlsx")
    assert input_notes(tmp_path / "two.xlsx", "Data") == input_notes(tmp_path / "two.xlsx") == []
    assert input_notes(tmp_path / "two.xlsx", "Calc")[0].startswith("Formula cells with no calculated value saved in the file: 1.")


def test_macro_workbook_data_is_read_and_the_user_told_macros_were_ignored(tmp_path):
    path = build(tmp_path, "macros.xlsm")
    assert read_table(path)["Body"].tolist() == ["please refund"]
    assert input_notes(path) == [MACROS_IGNORED]


def test_a_zip_bomb_is_refused_whatever_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_MAX_UNZIPPED_MB")
    with pytest.raises(InputFileError, match="grow more than 200-fold"):
        read_table(build(tmp_path, "zip_bomb.xlsx"))


def test_genuine_workbooks_pack_far_below_the_bomb_ratio(tmp_path, monkeypatch):
    """The ratio that refuses bombs must leave real sheets alone, even one text repeated on every row."""
    monkeypatch.delenv("WORKBENCH_MAX_UNZIPPED_MB")
    book = Workbook()
    for _ in range(60_000):  # a sheet part over BOMB_MIN_BYTES, so the ratio check looks at it
        book.active.append(["the same complaint, again and again", "billing", 1])
    book.save(tmp_path / "repetitive.xlsx")
    with zipfile.ZipFile(tmp_path / "repetitive.xlsx") as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > BOMB_MIN_BYTES and sheet.file_size < MAX_COMPRESSION_RATIO / 4 * sheet.compress_size
    assert len(read_table(tmp_path / "repetitive.xlsx")) == 59_999


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_jobs_streaming_the_file_get_the_same_table_or_message(tmp_path, name):
    path = build(tmp_path, name)
    expected = CORPUS[name][1]
    if expected is None:
        streamed = pd.concat(list(iter_frames(path, chunk_rows=1)))
        pd.testing.assert_frame_equal(streamed, read_table(path))
        return
    with pytest.raises(InputFileError, match=expected):
        list(iter_frames(path))


def test_a_preview_reads_only_the_rows_it_shows(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"Subject,Body\n" + b"Refund,I was charged twice for one order\n" * 750_000)  # 30 MB
    tracemalloc.start()
    try:
        assert len(read_table(path, nrows=500)) == 500
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000, f"{peak / 1e6:.0f} MB for a 500-row preview of a 30 MB file"


def test_an_odd_byte_deep_in_a_file_does_not_stop_the_read(tmp_path):
    """0x81 is neither UTF-8 nor cp1252; past the first megabyte the encoding guess never saw it."""
    path = tmp_path / "odd.csv"
    path.write_bytes(b"Body\n" + b"plain ascii row\n" * 80_000 + b"caf\xe9 \x81\n")
    assert read_table(path)["Body"].iloc[-1] == "café \x81"
    assert pd.concat(list(iter_frames(path)))["Body"].iloc[-1] == "café \x81"


@pytest.mark.parametrize("name", ["injection.csv", "injection.xlsx"])
def test_injection_payloads_stay_text_on_read_and_are_neutralised_on_export(tmp_path, name):
    frame = read_table(build(tmp_path, name))
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


def test_streamlit_upload_limit_agrees_with_the_setting(monkeypatch):
    monkeypatch.delenv("WORKBENCH_MAX_UPLOAD_MB", raising=False)
    config = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == Settings().max_upload_mb


def test_serve_passes_the_upload_setting_to_streamlit(monkeypatch, settings):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "7")
    commands = []
    monkeypatch.setattr("workbench.cli.ensure_worker", lambda _settings: None)
    monkeypatch.setattr("workbench.cli.subprocess.call", lambda command, cwd: commands.append(command) or 0)
    CliRunner().invoke(cli, ["serve"])
    (command,) = commands
    assert command[command.index("--server.maxUploadSize") + 1] == "7"


def test_a_cli_run_on_a_macro_workbook_says_the_macros_were_ignored(tmp_path, monkeypatch, settings, tiny_encoder):
    monkeypatch.setattr("workbench.jobs.runner.load_encoder", lambda _settings, _name=None: tiny_encoder)
    task = tmp_path / "task.yaml"
    task.write_text("task: classify\ntext: [Body]\nlabels: [billing, refunds]\n")
    result = CliRunner().invoke(cli, ["run", str(task), str(build(tmp_path, "macros.xlsm")), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 0, result.output
    assert f"Note: {MACROS_IGNORED}" in result.stderr
    assert read_table(tmp_path / "o.csv")["Body"].tolist() == ["please refund"]


def test_hidden_or_filtered_rows_are_said_to_be_read(tmp_path):
    """A filtered list uploaded as Excel shows it is read whole: the user may think only the rows they see run."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Body"])
    for n in range(6):
        sheet.append([f"ticket {n}"])
    for row in (3, 5):
        sheet.row_dimensions[row].hidden = True
    book.save(tmp_path / "filtered.xlsx")
    assert input_notes(tmp_path / "filtered.xlsx") == [
        "2 rows of this sheet are hidden in Excel (by hand or by a filter), and will be read and answered like the "
        "others. To leave them out, delete them, or copy the rows you see to a sheet of their own."]
    sheet.row_dimensions[3].hidden = sheet.row_dimensions[5].hidden = False
    book.save(tmp_path / "shown.xlsx")
    assert input_notes(tmp_path / "shown.xlsx") == []


def test_cells_merged_down_several_rows_are_said_to_be_read_once(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (["Tickets, May"], [], ["Queue", "Body", "Sent"], ["billing", "charged twice", "May 2"],
                [None, "refund please", "May 3"], [None, "invoice?", "May 3"]):
        sheet.append(row)
    sheet.merge_cells("A1:C2")  # a report's title over its first two rows: no row's value
    sheet.merge_cells("A4:A6")  # one queue for three tickets, as Excel shows it
    sheet.merge_cells("C5:C6")
    sheet.merge_cells("B3:C3")  # across one row: no row loses a value
    book.save(tmp_path / "merged.xlsx")
    assert input_notes(tmp_path / "merged.xlsx") == [
        "2 merged cells of this sheet span several rows: Excel shows the value on each of those rows, but it is read on "
        "the first only, the others as blank. To have it read on every row, unmerge them and fill the value down."]


def test_a_total_row_is_said_to_be_read_as_a_row(tmp_path):
    """A sheet of tickets ending in a total: the total would be answered like a ticket, so the preview says so."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Body", "Amount", "Share"])
    for n in range(4):
        sheet.append([f"refund {n}", n * 10, f"=B{n + 2}/B$7"])  # a formula on every row is no total
    sheet.append(["Subtotal", "=SUBTOTAL(9,$B$2:$B$5)", "=SUM(B6:C6)"])  # summing across its own row is no total
    sheet.append(["Total", "=SUM(B2:B5)", "=COUNTA(A2:A5)"])
    book.save(tmp_path / "totals.xlsx")
    notes = input_notes(tmp_path / "totals.xlsx")  # openpyxl saves no values: the first note says so
    assert notes[1:] == [
        "Rows 6, 7 of this sheet look like totals (=SUBTOTAL(9,$B$2:$B$5) in row 6 works on the rows above): they will "
        "be read and answered like the others. To leave them out, delete them in Excel and upload the file again."]
    sheet.delete_rows(6)
    book.save(tmp_path / "total.xlsx")
    assert input_notes(tmp_path / "total.xlsx")[1].startswith(
        "Row 6 of this sheet looks like a total (=SUM(B2:B5) in row 6 works on the rows above): it will be read")


def test_a_formula_on_every_row_is_no_total(tmp_path):
    """A running number (=MAX($A$1:A5)+1) or a count over another sheet on each row is a column of the table."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Body", "Share"])
    for n in range(2, 9):
        sheet.append([f"=MAX($A$1:A{n - 1})+1", f"ticket {n}", f"=COUNTIF(Lookup!A1:A1,B{n})"])
    book.create_sheet("Lookup")
    book.save(tmp_path / "ids.xlsx")
    assert not any("look like totals" in note or "looks like a total" in note for note in input_notes(tmp_path / "ids.xlsx"))
