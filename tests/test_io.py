import codecs

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import SAMPLE_DIR
from workbench.errors import InputFileError, TableShapeError
from workbench.io import list_sheets, read_table, write_table
from workbench.io.rows import examples_from_table, row_texts
from workbench.io.stream import count_rows, iter_frames

ROWS = [["Subject", "Body"], ["Café order", "Où est ma commande ?"], ["Invoice", "Charged twice, 49,99 €"]]


def _csv(rows, delimiter=","):
    return "\r\n".join(delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in rows) + "\r\n"


@pytest.mark.parametrize(
    "encoding,prefix",
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16", b""), ("cp1252", b"")],
)
def test_text_files_in_any_common_encoding(tmp_path, encoding, prefix):
    path = tmp_path / "emails.csv"
    path.write_bytes(prefix + _csv(ROWS).encode(encoding))
    frame = read_table(path)
    assert list(frame.columns) == ["Subject", "Body"]
    assert frame.loc[0, "Body"] == "Où est ma commande ?"


@pytest.mark.parametrize("delimiter,suffix", [(";", ".csv"), ("\t", ".tsv"), ("\t", ".csv"), ("|", ".txt")])
def test_delimiter_is_detected(tmp_path, delimiter, suffix):
    path = tmp_path / f"emails{suffix}"
    path.write_text(_csv(ROWS, delimiter), encoding="utf-8")
    assert read_table(path).loc[1, "Body"] == "Charged twice, 49,99 €"


def test_xlsx_sheets_can_be_listed_and_chosen(tmp_path):
    workbook = Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["note"])
    workbook.active.append(["see other sheet"])
    data = workbook.create_sheet("Emails")
    for row in ROWS:
        data.append(row)
    data.append(["Numbers", 42])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    assert list_sheets(path) == ["Notes", "Emails"]
    frame = read_table(path, sheet="Emails")
    assert frame["Body"].tolist()[-1] == "42"
    with pytest.raises(InputFileError, match="no sheet named 'Nope'.*Notes, Emails"):
        read_table(path, sheet="Nope")


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "is empty"),
        (b"Subject,Body\r\n", "no data rows"),
        (b"Body,Body\nhello,there\n", "more than one column named 'Body'"),
        (b"\x00\x01\x02\xff\xfe\x00garbage" * 50, "not a text spreadsheet"),
        (b'A,B\n"unclosed,1\n2,3\n', "could not be read"),
    ],
)
def test_broken_text_files_say_what_to_fix(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_table(path)


def test_blank_headers_get_names(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text(",Body\n1,hello\n")
    assert list(read_table(path).columns) == ["column_1", "Body"]


def test_unsupported_and_fake_excel_files(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    with pytest.raises(InputFileError, match="not a valid Excel workbook"):
        read_table(fake)
    with pytest.raises(InputFileError, match="Old .xls"):
        read_table(tmp_path / "old.xls")


def test_csv_export_neutralises_formulas(tmp_path):
    payloads = ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "+44 20 7946 0958",
                " =1+1", "\n@SUM(A1)"]  # a spreadsheet that trims cells on import runs the last two
    frame = pd.DataFrame({"=HYPERLINK(\"http://h\")": [*payloads, "plain", "-5", "+3.25", " -5"]})
    path = write_table(frame, tmp_path / "out.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(back.columns) == ["'=HYPERLINK(\"http://h\")"]  # the header is a cell too
    assert back.iloc[:, 0].tolist() == ["'" + p for p in payloads] + ["plain", "-5", "+3.25", " -5"]


def test_csv_export_writes_each_number_as_the_job_answered_it(tmp_path):
    # An extracted number column holding whole numbers and a decimal: order numbers came out as "88231.0".
    frame = pd.DataFrame({"order_no": [88231, 1.799, 1234567890123456789], "note": ["", "=1", "x"]}, dtype=object)
    path = write_table(frame, tmp_path / "out.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["order_no,note", "88231,", "1.799,'=1",
                                                                 "1234567890123456789,x"]


def test_xlsx_export_writes_values_never_formulas(tmp_path):
    frame = pd.DataFrame({"text": ["=1+1", "bell\x07char"], "n": [1, 2], "=SUM(B2:B3)": ["", ""]})
    path = write_table(frame, tmp_path / "out.xlsx")
    sheet = load_workbook(path).active
    assert sheet["C1"].value == "=SUM(B2:B3)" and sheet["C1"].data_type == "s"  # a header that looks like a formula
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "bellchar"
    assert sheet["B2"].value == 1


def test_row_texts_join_columns_with_names_and_enforce_cell_limit():
    frame = pd.DataFrame({"Subject": ["Hi", "x"], "Body": ["Card lost", "y" * 50]})
    rows = row_texts(frame, ["Subject", "Body"], max_chars=40)
    assert rows[0].text == "Subject: Hi\nBody: Card lost"
    assert rows[1].error and "limit is 40" in rows[1].error


def test_cells_that_stand_for_no_text_are_not_read():
    """Given "N/A" or "-", the generator summarised a text it made up; an emoji alone is a review's whole say."""
    frame = pd.DataFrame({"Subject": ["N/A", "#N/A", "Late", "", "x"], "Body": ["Parcel late", " - ", "...", "\U0001F44D", ""]})
    rows = row_texts(frame, ["Subject", "Body"], max_chars=100)
    assert rows[0].text == "Body: Parcel late" and rows[0].text.cells == {"Subject": "", "Body": "Parcel late"}
    assert rows[1].error == "The row is empty in Subject, Body: there is nothing to read (only '#N/A', '-')."
    assert rows[2].text == "Subject: Late" and rows[3].text == "Body: \U0001F44D" and rows[4].text == "Subject: x"
    assert [row.error for row in row_texts(frame, ["Body"], max_chars=100)][1:3] == [
        "The row is empty in Body: there is nothing to read (only '-').",
        "The row is empty in Body: there is nothing to read (only '...').",
    ]


def test_examples_skip_rows_without_a_label():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "label": ["x", "", "y"]})
    assert examples_from_table(frame, ["text"], "label") == [{"text": "a", "label": "x"}, {"text": "c", "label": "y"}]


def test_xlsx_export_of_a_csv_writes_plain_numbers_and_iso_dates_as_such_and_codes_as_text(tmp_path):
    import datetime

    frame = pd.DataFrame({"id": ["1", "007", "1234567890123456"], "amount": ["20.5", "-3", "1,234"],
                          "date": ["2026-01-02", "2026-02-30", "02/01/2026"]})
    sheet = load_workbook(write_table(frame, tmp_path / "out.xlsx")).active
    assert [c.value for c in sheet["A"][1:]] == [1, "007", "1234567890123456"]  # a code keeps its zeros and digits
    assert [c.value for c in sheet["B"][1:]] == [20.5, -3, "1,234"]
    assert sheet["C2"].value == datetime.datetime(2026, 1, 2) and sheet["C2"].number_format == "yyyy-mm-dd"
    assert [c.value for c in sheet["C"][2:]] == ["2026-02-30", "02/01/2026"]  # not a date, or not plainly one
    assert read_table(tmp_path / "out.xlsx")["amount"].tolist() == ["20.5", "-3", "1,234"]  # and read back alike


def test_a_cell_longer_than_excel_holds_says_where_it_was_cut(tmp_path):
    from workbench.io.writers import XLSX_CELL_CHARS

    frame = pd.DataFrame({"text": ["x" * 50_000, "short"]})
    sheet = load_workbook(write_table(frame, tmp_path / "out.xlsx")).active
    assert len(sheet["A2"].value) == XLSX_CELL_CHARS and sheet["A2"].value.endswith("the CSV download has it whole]")
    assert sheet["A3"].value == "short"


def test_result_columns_never_share_a_name_with_each_other_or_an_input_column():
    from workbench.io.result_columns import with_results

    inputs = pd.DataFrame({"text": ["a"], "amount": ["5"]})
    outputs = pd.DataFrame({"amount": ["5.00 EUR"], "amount_result": ["x"]})  # two fields, one named as the other's
    combined = with_results(inputs, outputs)
    assert len(set(combined.columns)) == 4
    assert combined.attrs["result_names"] == {"amount": "amount_result_2", "amount_result": "amount_result"}


FRENCH = ["Livraison rapide, mais la lampe est arrivée cassée et le service client ne répond pas.",
          "Très déçu par la qualité du canapé, les coutures se défont après une semaine d'utilisation.",
          "Produit conforme à la description, je recommande ce vendeur sans hésiter pour sa réactivité."] * 4


def test_texts_in_another_language_are_told_apart_from_english():
    from workbench.io.language import looks_english

    english = pd.read_csv(SAMPLE_DIR / "support_emails.csv")["Body"].tolist()
    assert looks_english(english) and looks_english(pd.read_csv(SAMPLE_DIR / "product_reviews.csv")["review"])
    assert not looks_english(FRENCH)
    assert looks_english(["Ana Lopez", "Ørsted A/S"])  # too few words to tell: no warning


def test_the_new_job_page_warns_when_the_rows_do_not_look_english(settings, monkeypatch):
    from tests.app.test_pages import page
    from workbench.ui.context import app_settings

    monkeypatch.setattr("workbench.ui.context.ensure_worker", lambda _settings: None)
    app_settings.clear()
    app = page("new_job.py").run()
    rows = "\n".join(f'"{text}"' for text in FRENCH)
    app.file_uploader[0].upload("avis.csv", f"avis\n{rows}\n".encode()).run()
    assert any("do not look like English" in warning.value for warning in app.warning)


def test_sixteen_significant_digits_stay_text_in_a_workbook():
    from workbench.io.writers import as_spreadsheet_value

    assert as_spreadsheet_value("1234567890.123456") == "1234567890.123456"  # Excel would keep 15 of the 16 digits
    assert as_spreadsheet_value("12345678901.2345") == 12345678901.2345


@pytest.mark.parametrize("typed", [
    "491512345678", "123456789012345", "12345678901234.5",  # 12 digits or more before any point: 4.91512E+11
    "007", "-0", "-0.0", "1,234", "1e5", "0001-01-01", "1899-12-31", "2026-02-30",
    "4.12345670",  # seven places, the last a 0: no format of that many
])
def test_text_a_workbook_would_show_otherwise_stays_text(typed):
    from workbench.io.writers import as_spreadsheet_value

    assert as_spreadsheet_value(typed) == typed


def test_numbers_keep_the_places_they_were_typed_with():
    from workbench.io.writers import as_spreadsheet_value

    assert [(value, getattr(value, "places", None)) for value in map(as_spreadsheet_value, ["4.10", "4.1", "12.50", "2.0"])] \
        == [(4.1, 2), (4.1, None), (12.5, 2), (2.0, 1)]
    assert as_spreadsheet_value("99999999999") == 99999999999 and as_spreadsheet_value("1900-01-01").year == 1900


def test_a_semicolon_tables_numbers_with_a_point_stay_as_typed_in_its_workbook(settings, tiny_loader, tmp_path):
    """A German CSV: "2.500" is two thousand five hundred; read the English way it became 2.5 (and "1.234" 1.234)."""
    import csv

    from workbench.jobs.results import export_job
    from workbench.jobs.runner import run_job

    source = tmp_path / "bestellungen.csv"
    source.write_text("Text;Menge;Betrag\nBitte Rechnung;2.500;1.234,56\nDanke;12;0,5\n", encoding="utf-8")
    task = tmp_path / "task.yaml"
    task.write_text("task: classify\ntext: Text\nlabels: [billing, other]\n", encoding="utf-8")
    job_id = _queued_and_run(settings, task, source, tiny_loader, run_job)
    sheet = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx")).active
    assert [[cell.value for cell in row[1:3]] for row in sheet.iter_rows(min_row=2)] == [["2.500", "1.234,56"], [12, "0,5"]]
    assert sheet["D1"].value == "label" and isinstance(sheet["E2"].value, float)  # the answers' numbers are numbers
    written = tmp_path / "out.csv"
    export_job(settings, job_id, written)
    assert list(csv.reader(written.open(encoding="utf-8-sig", newline="")))[1][:3] == ["Bitte Rechnung", "2.500", "1.234,56"]


def _queued_and_run(settings, task, source, loader, run_job) -> int:
    from workbench.db import repo
    from workbench.db.session import session_scope
    from workbench.jobs import service

    job_id = service.create_job_from_task_file(settings, task, source)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, runner_pid=0)
    assert run_job(settings, job_id, encoder_loader=loader) == "completed"
    return job_id


def test_a_cell_holding_a_lone_carriage_return_keeps_its_row_in_the_csv(tmp_path):
    from workbench.io.writers import write_table

    written = write_table(pd.DataFrame({"ID": ["001", "002"], "Note": ["cr\ronly", "fine"]}), tmp_path / "out.csv")
    assert pd.read_csv(written, dtype=str, encoding="utf-8-sig").to_dict("list") == {"ID": ["001", "002"],
                                                                                      "Note": ["cr\ronly", "fine"]}


def test_a_workbook_whose_sheet_declares_no_size_opens_without_reading_the_sheet_through(tmp_path):
    """openpyxl read such a sheet through at every read-only open (io/sheet_size.py). Here the sheet's end is
    damaged: opening it and reading its first rows must not reach it; reading every row says the file is damaged."""
    import zipfile

    book = Workbook(write_only=True)  # writes no <dimension>
    sheet = book.create_sheet("tickets")
    sheet.append(["Body"])
    for number in range(3000):
        sheet.append([f"ticket {number}"])
    book.save(tmp_path / "whole.xlsx")
    with zipfile.ZipFile(tmp_path / "whole.xlsx") as whole, zipfile.ZipFile(tmp_path / "cut.xlsx", "w") as cut:
        for member in whole.infolist():
            data = whole.read(member)
            cut.writestr(member, data[: len(data) - 5000] if member.filename.endswith("sheet1.xml") else data)
    assert b"<dimension" not in zipfile.ZipFile(tmp_path / "whole.xlsx").read("xl/worksheets/sheet1.xml")
    assert list_sheets(tmp_path / "cut.xlsx") == ["tickets"]
    assert read_table(tmp_path / "cut.xlsx", nrows=5)["Body"].tolist()[:2] == ["ticket 0", "ticket 1"]
    with pytest.raises(InputFileError):
        read_table(tmp_path / "cut.xlsx")


@pytest.mark.parametrize("empty_cell", ['""', ""])  # as pandas and Python's csv write it, and as a blank line
def test_an_empty_cell_of_a_one_column_table_is_a_row(tmp_path, empty_cell):
    path = tmp_path / "texts.csv"
    path.write_text(f"text\nhello\n{empty_cell}\nworld\n\n\n")  # the blank lines it ends with are no rows
    assert read_table(path)["text"].tolist() == ["hello", "", "world"]
    assert count_rows(path) == 3


def test_a_blank_line_inside_a_table_is_a_row_as_excel_shows_it(tmp_path):
    """Skipped, every answer after it sat a row above its text once pasted back beside the file in Excel."""
    path = tmp_path / "tickets.csv"
    path.write_text("\n\nSubject,Body\nrefund,charged twice\n\nparcel,where is it\n\n")  # blank lines above: none
    frame = read_table(path)
    assert frame.columns.tolist() == ["Subject", "Body"]
    assert frame["Body"].tolist() == ["charged twice", "", "where is it"] and count_rows(path) == 3
    assert pd.concat(iter_frames(path, chunk_rows=1))["Body"].tolist() == frame["Body"].tolist()  # streamed alike


def test_a_workbook_starts_at_the_sheet_it_opens_on_and_lists_no_chart_sheet(tmp_path):
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    from workbench.io.readers import opening_sheet

    book = Workbook()
    lookup = book.active
    lookup.title = "Lookup"
    lookup.append(["code", "queue"])
    lookup.sheet_state = "hidden"  # a hidden helper sheet first in the file
    tickets = book.create_sheet("Tickets")
    tickets.append(["Body"])
    tickets.append(["refund"])
    chart = BarChart()
    chart.add_data(Reference(tickets, min_col=1, min_row=1, max_row=2))
    book.create_chartsheet("Overview").add_chart(chart)
    book.active = 1
    book.save(tmp_path / "book.xlsx")
    assert list_sheets(tmp_path / "book.xlsx") == ["Lookup", "Tickets"]  # a chart sheet has no rows to read
    assert opening_sheet(tmp_path / "book.xlsx") == "Tickets"
    book.active = 0  # opened on a hidden sheet: the first shown one
    book.save(tmp_path / "book.xlsx")
    assert opening_sheet(tmp_path / "book.xlsx") == "Tickets"
    assert opening_sheet(SAMPLE_DIR / "support_emails.csv") is None


def test_cells_read_as_the_spreadsheet_shows_them(tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Body", "Received", "Note"])
    # Excel stores the carriage return of an Alt+Enter line break as _x000D_, and a typed "_x0041_" as _x005F_x0041_.
    book.active.append(["Where is my parcel?_x000D_\nOrdered in May", datetime(2024, 3, 1), "code _x005F_x0041_"])
    book.active.append(["Refund", datetime(2024, 3, 1, 9, 30), ""])
    book.save(tmp_path / "cells.xlsx")
    frame = read_table(tmp_path / "cells.xlsx")
    assert frame["Body"].tolist() == ["Where is my parcel?\r\nOrdered in May", "Refund"]
    assert frame["Received"].tolist() == ["2024-03-01", "2024-03-01 09:30:00"]  # a date without midnight's time
    assert frame["Note"].tolist()[0] == "code _x0041_"


def test_a_csv_that_names_its_delimiter_on_its_first_line_is_read_with_it(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b'sep=;\r\nID;Body\r\n1;"Invoice wrong; please fix"\r\n2;hello\r\n')  # as Excel can write it
    assert read_table(path).to_dict("list") == {"ID": ["1", "2"], "Body": ["Invoice wrong; please fix", "hello"]}
    assert count_rows(path) == 2


def test_a_csv_reports_title_lines_above_its_table_are_skipped(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b'Ticket export 2024-03\r\nHelpdesk\r\n\r\nID,Body\r\n1,"Invoice wrong, please fix"\r\n2,hello\r\n')
    assert read_table(path).to_dict("list") == {"ID": ["1", "2"], "Body": ["Invoice wrong, please fix", "hello"]}
    assert count_rows(path) == 2
    one_column = tmp_path / "texts.csv"
    one_column.write_text("Body\nhello\n\nworld\n")  # a gap in a one-column file: no title
    assert read_table(one_column)["Body"].tolist() == ["hello", "", "world"]


def _titled_workbook(path):
    """A report whose title sits right above its header (no blank row): the reader cannot tell it from a header."""
    book = Workbook()
    for row in (["Support tickets – March"], ["ID", "Body"], ["T-1", "refund"], ["T-2", "parcel"], ["T-3", "login"]):
        book.active.append(row)
    book.save(path)
    return path


def test_a_header_row_chosen_by_number_names_the_columns(tmp_path):
    workbook = _titled_workbook(tmp_path / "report.xlsx")
    assert list(read_table(workbook).columns) != ["ID", "Body"]  # found by itself: the title is taken for the header
    text = tmp_path / "report.csv"
    text.write_bytes(b"sep=,\r\nSupport tickets \xe2\x80\x93 March\r\nID,Body\r\nT-1,refund\r\nT-2,parcel\r\nT-3,login\r\n")
    for path in (workbook, text):  # Excel shows no "sep=" line: the header is its row 2 in both
        expected = {"ID": ["T-1", "T-2", "T-3"], "Body": ["refund", "parcel", "login"]}
        assert read_table(path, header_row=2).to_dict("list") == expected
        chunks = list(iter_frames(path, chunk_rows=2, header_row=2))
        assert pd.concat(chunks).to_dict("list") == expected and [len(c) for c in chunks] == [2, 1]
        assert count_rows(path, header_row=2) == 3
        assert list(read_table(path, header_row=3).columns) == ["T-1", "refund"]  # the user's choice, as asked


@pytest.mark.parametrize("header_row,message", [
    (9, "has no row 9: choose the row that holds the column names"),
    (0, "must be a row number from 1 to 100"),
    (101, "must be a row number from 1 to 100"),
])
@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_a_header_row_beyond_the_table_or_out_of_range_is_a_message(tmp_path, header_row, message, suffix):
    path = _titled_workbook(tmp_path / "report.xlsx")
    if suffix == "csv":
        path = tmp_path / "report.csv"
        path.write_text("Support tickets\nID,Body\nT-1,refund\n")
    with pytest.raises(InputFileError, match=message):
        read_table(path, header_row=header_row)


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_an_empty_header_row_is_a_message(tmp_path, suffix):
    path = tmp_path / f"gap.{suffix}"
    if suffix == "csv":
        path.write_text("Support tickets\n,,\nID,Body\nT-1,refund\n")
    else:
        book = Workbook()
        for row in (["Support tickets"], [], ["ID", "Body"], ["T-1", "refund"]):
            book.active.append(row)
        book.save(path)
    with pytest.raises(InputFileError, match="Row 2 .*is empty: choose the row that holds the column names"):
        read_table(path, header_row=2)


def test_a_zipped_file_named_as_a_csv_is_told_apart_from_a_renamed_workbook(tmp_path):
    import zipfile

    book = Workbook()
    book.active.append(["Body"])
    book.save(tmp_path / "book.xlsx")
    (tmp_path / "book.csv").write_bytes((tmp_path / "book.xlsx").read_bytes())
    with pytest.raises(InputFileError, match="'book.csv' is an Excel workbook with a text file's name. Rename it"):
        read_table(tmp_path / "book.csv")
    with zipfile.ZipFile(tmp_path / "letter.csv", "w") as letter:  # a Word document's parts
        letter.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(InputFileError, match="'letter.csv' is not a spreadsheet: it is a zipped file"):
        read_table(tmp_path / "letter.csv")


def test_a_workbooks_numbers_are_read_as_the_sheet_shows_them(tmp_path):
    """The model and the CSV download had the stored values: 123 for an ID shown 00123, 0.15 for 15%."""
    from datetime import timedelta

    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Share", "Price", "Sum", "Flag", "Took", "Refund"])
    sheet.append([123, 0.15, 1234.5, 0.1 + 0.2, True, timedelta(days=1, minutes=90), -5])
    for column, code in zip("ABCG", ["00000", "0%", '"$"#,##0.00', '_($* #,##0.00_);_($* (#,##0.00);_($* "-"??_);_(@_)'],
                            strict=True):
        sheet[f"{column}2"].number_format = code
    sheet["F2"].number_format = "[h]:mm:ss"
    book.save(tmp_path / "formats.xlsx")
    row = read_table(tmp_path / "formats.xlsx").iloc[0].tolist()
    assert row == ["00123", "15%", "1234.5", "0.3", "TRUE", "25:30:00", "-5"]  # other formats: the stored value


@pytest.mark.parametrize(("value", "code", "shown"), [
    (123, "00000", "00123"), (0.15, "0%", "15%"), (0.125, "0%", "13%"), (0.155, "0.0%", "15.5%"), (-0.001, "0%", "0%"),
    # halves away from zero, as Excel shows them (Python's own rounding gave 12%)
    # not rendered: the stored number, never a wrong text
    (1234.5, "#,##0", 1234.5), (2.5, "$#,##0", 2.5), (1.5, "00", 1.5), (5, "general", 5), (1, "0.0", 1),
    (0, '[=1]"Yes";[=0]"No"', 0), (1234567, '0.0,,"M"', 1234567), (1.5, "# ?/?", 1.5), (45000, "dd/mm/yyyy", 45000),
])
def test_number_formats_are_shown_as_excel_shows_them(value, code, shown):
    from workbench.io.shown_numbers import shown_number

    assert shown_number(value, code) == shown


def test_a_csv_whose_every_line_ends_with_two_carriage_returns_has_no_blank_rows(tmp_path):
    """Python's csv writer on Windows, with the file opened without newline="": each row read as two, one empty."""
    path = tmp_path / "windows.csv"
    path.write_bytes(b"ID,Body\r\r\n1,refund\r\r\n2,parcel\r\r\n")
    assert read_table(path).values.tolist() == [["1", "refund"], ["2", "parcel"]] and count_rows(path) == 2
    assert pd.concat(iter_frames(path, chunk_rows=1)).values.tolist() == [["1", "refund"], ["2", "parcel"]]


def test_blank_lines_above_a_reports_title_are_skipped_with_it(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("\n\nTicket export\n\nID,Body\n1,a\n")
    assert read_table(path).to_dict(orient="list") == {"ID": ["1"], "Body": ["a"]}


def test_a_genuine_column_named_like_pandas_renames_a_repeat_is_read(tmp_path):
    """pandas reads "Body,Body" as Body and Body.1: a file whose columns really are Body and Body.1 was refused."""
    (tmp_path / "two.csv").write_text("Body,Body.1\nfirst,second\n")
    assert read_table(tmp_path / "two.csv").columns.tolist() == ["Body", "Body.1"]
    (tmp_path / "same.csv").write_text("Body, Body \nfirst,second\n")
    with pytest.raises(TableShapeError, match="more than one column named 'Body'"):
        read_table(tmp_path / "same.csv")
