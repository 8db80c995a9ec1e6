"""The XLSX export of a workbook input is the user's workbook, with the result columns added."""

from __future__ import annotations

import os
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from tests.conftest import SAMPLE_DIR
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.io import read_table
from workbench.jobs import service
from workbench.jobs.results import export_job, results_frame
from workbench.jobs.runner import run_job
from workbench.tasks.spec import spec_from_dict

SPEC = spec_from_dict({"task": "classify", "text": ["Body"], "labels": ["billing", "shipping", "returns"]})


def three_sheet_workbook(path):
    emails = read_table(SAMPLE_DIR / "support_emails.csv").head(6)
    book = Workbook()
    cover = book.active
    cover.title = "Cover"
    cover["A1"] = "Support export, March"
    cover["A1"].font = Font(bold=True)
    data = book.create_sheet("Tickets")
    data.append([])  # a blank first row, as exported reports often have
    data.append(["Ticket", "Body"])
    for number, body in enumerate(emails["Body"], start=1):
        data.append([number, body])
    totals = book.create_sheet("Totals")
    totals["A1"] = "=COUNTA(Tickets!B3:B8)"
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=2, max_row=8), titles_from_data=True)
    totals.add_chart(chart, "C1")
    book.save(path)
    return emails


def run(settings, tiny_loader, path, **options) -> int:
    job_id = service.create_job(settings, SPEC, path, **options)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    return job_id


def test_results_are_added_to_the_processed_sheet_and_every_other_sheet_is_kept(settings, tiny_loader, tmp_path):
    emails = three_sheet_workbook(tmp_path / "in.xlsx")
    job_id = run(settings, tiny_loader, tmp_path / "in.xlsx", sheet="Tickets")
    book = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx"))

    assert book.sheetnames == ["Cover", "Tickets", "Totals"]
    assert book["Cover"]["A1"].value == "Support export, March" and book["Cover"]["A1"].font.bold
    assert book["Totals"]["A1"].value == "=COUNTA(Tickets!B3:B8)"  # the user's formula, kept as a formula
    assert len(book["Totals"]._charts) == 1
    rows = list(book["Tickets"].iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("Ticket", "Body", "label", "confidence", "needs_review")
    assert [row[1] for row in rows[1:]] == emails["Body"].tolist()
    expected = results_frame(settings, job_id)
    assert [row[2] for row in rows[1:]] == expected["label"].tolist()
    assert all(row[2] in {"billing", "shipping", "returns"} for row in rows[1:])


def test_rows_beyond_the_row_limit_keep_blank_results(settings, tiny_loader, tmp_path):
    three_sheet_workbook(tmp_path / "in.xlsx")
    job_id = run(settings, tiny_loader, tmp_path / "in.xlsx", sheet="Tickets", limit=4)
    sheet = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx"))["Tickets"]
    labels = [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert all(labels[:4]) and labels[4:] == [None, None]


def test_a_csv_input_still_exports_a_plain_table(settings, tiny_loader, tmp_path):
    job_id = run(settings, tiny_loader, SAMPLE_DIR / "support_emails.csv", limit=3)
    book = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx"))
    assert book.sheetnames == ["results"]


def test_each_result_sits_beside_its_own_row_across_blank_rows(settings, tiny_loader, tmp_path):
    emails = read_table(SAMPLE_DIR / "support_emails.csv").head(5)
    book = Workbook()
    book.active.append(["Body"])
    for number, body in enumerate(emails["Body"]):
        book.active.append([body] if number != 2 else [])  # a blank row inside the data
    book.active.append([emails["Body"].iloc[2]])
    book.save(tmp_path / "gaps.xlsx")
    job_id = run(settings, tiny_loader, tmp_path / "gaps.xlsx")
    sheet = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx")).active
    exported = [(body or "", label or "") for body, label, *_ in sheet.iter_rows(min_row=2, values_only=True)]
    expected = results_frame(settings, job_id)
    assert exported == list(zip(expected["Body"], expected["label"], strict=True))
    assert exported[-1][1] in {"billing", "shipping", "returns"}


def test_a_macro_workbook_comes_back_as_a_plain_workbook_with_its_sheets(settings, tiny_loader, tmp_path):
    three_sheet_workbook(tmp_path / "book.xlsx")
    with zipfile.ZipFile(tmp_path / "book.xlsx") as source, zipfile.ZipFile(tmp_path / "in.xlsm", "w") as target:
        for member in source.infolist():
            target.writestr(member, source.read(member))
        target.writestr("xl/vbaProject.bin", b"Sub AutoOpen()\nShell \"calc\"\nEnd Sub")
    job_id = run(settings, tiny_loader, tmp_path / "in.xlsm", sheet="Tickets")
    out = export_job(settings, job_id, tmp_path / "out.xlsx")
    with zipfile.ZipFile(out) as archive:
        assert not any("vba" in name.lower() for name in archive.namelist())
        assert b"macroEnabled" not in archive.read("[Content_Types].xml")
    book = load_workbook(out)
    assert book.sheetnames == ["Cover", "Tickets", "Totals"]
    assert book["Tickets"]["C2"].value == "label" and book["Tickets"]["C3"].value in {"billing", "shipping", "returns"}


def test_a_large_workbook_is_copied_a_row_at_a_time_with_its_values_formulas_and_sheets(settings, tiny_loader, tmp_path,
                                                                                         monkeypatch):
    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", 0)  # every workbook counts as large
    emails = three_sheet_workbook(tmp_path / "in.xlsx")
    job_id = run(settings, tiny_loader, tmp_path / "in.xlsx", sheet="Tickets")
    book = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx"))
    assert book.sheetnames == ["Cover", "Tickets", "Totals"]
    assert book["Cover"]["A1"].value == "Support export, March"
    assert book["Totals"]["A1"].value == "=COUNTA(Tickets!B3:B8)"  # the user's formula, still a formula
    tickets = book["Tickets"]
    assert [c.value for c in tickets[2]] == ["Ticket", "Body", "label", "confidence", "needs_review"]
    assert [tickets.cell(row=r, column=2).value for r in range(3, 9)] == emails["Body"].tolist()
    assert [tickets.cell(row=r, column=3).value for r in range(3, 9)] == results_frame(settings, job_id)["label"].tolist()


@pytest.mark.parametrize("dimension", [None, "A1"])
def test_a_workbook_that_declares_no_size_or_too_small_a_one_counts_by_its_rows(tmp_path, monkeypatch, dimension):
    """openpyxl's write-only mode writes no size: a 100,000-row workbook was then loaded whole (+515 MB)."""
    import re

    import pandas as pd

    from workbench.io import workbook_export

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    for row in [["Body"], *([f"text {i}"] for i in range(5))]:
        sheet.append(row)
    book.save(tmp_path / "in.xlsx")
    with zipfile.ZipFile(tmp_path / "in.xlsx") as source, zipfile.ZipFile(tmp_path / "odd.xlsx", "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename.endswith("sheet1.xml"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
                if dimension:
                    data = data.replace(b"<sheetData", f'<dimension ref="{dimension}"/><sheetData'.encode(), 1)
            target.writestr(member, data)
    assert workbook_export.declared_cells(tmp_path / "odd.xlsx") == (
        workbook_export.STREAMED_OVER_CELLS + 1 if dimension is None else 1)
    copied, original = [], workbook_export._copied_a_row_at_a_time
    monkeypatch.setattr(workbook_export, "_copied_a_row_at_a_time", lambda *args: copied.append(1) or original(*args))
    rows = workbook_export.STREAMED_OVER_CELLS // 2 + 1  # with its result column: over the limit
    results = pd.DataFrame({"label": ["a"] * 5 + [""] * (rows - 5)})
    workbook_export.add_result_columns(tmp_path / "odd.xlsx", "Data", results, tmp_path / "out.xlsx")
    assert copied == [1]
    assert [c.value for c in load_workbook(tmp_path / "out.xlsx")["Data"]["B"]][:3] == ["label", "a", "a"]


def test_the_streamed_copy_keeps_each_cells_type_and_puts_the_results_right_of_the_widest_row(settings, tiny_loader,
                                                                                               tmp_path, monkeypatch):
    from datetime import datetime, time

    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", 0)
    book = Workbook()
    sheet = book.active
    sheet.append(["Body", "Received", "At", "Urgent", "Amount"])
    sheet.append(["I want a refund", datetime(2026, 3, 1, 9, 30), time(9, 30), True, 12.5])
    sheet.append(["Where is my parcel?", datetime(2026, 3, 2), None, False, "=E2*2"])
    sheet["G3"] = "a note beyond the header"
    book.save(tmp_path / "in.xlsx")
    job_id = run(settings, tiny_loader, tmp_path / "in.xlsx")
    copy = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx"))["Sheet"]
    labels = results_frame(settings, job_id)["label"].tolist()
    assert [c.value for c in copy[1]] == ["Body", "Received", "At", "Urgent", "Amount", None, None, "label",
                                          "confidence", "needs_review"]
    assert [c.value for c in copy[2]][:5] == ["I want a refund", datetime(2026, 3, 1, 9, 30), time(9, 30), True, 12.5]
    assert copy["G3"].value == "a note beyond the header" and [copy["H2"].value, copy["H3"].value] == labels[:2]
    assert copy["E3"].value == "=E2*2"
    assert copy["B2"].number_format == sheet["B2"].number_format and copy["D3"].value is False


def test_the_streamed_copy_keeps_each_cells_number_format(settings, tiny_loader, tmp_path, monkeypatch):
    """A large workbook's copy showed an ID formatted 00000 as 123, a share as 0.15, a date with its midnight."""
    from datetime import date

    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", 0)
    book = Workbook()
    sheet = book.active
    sheet.append(["Body", "ID", "Share", "Price", "Due", "Twice"])
    sheet.append(["I want a refund", 123, 0.15, 1234.5, date(2026, 3, 1), "=D2*2"])
    codes = {"B2": "00000", "C2": "0%", "D2": '"$"#,##0.00', "E2": "dd/mm/yyyy", "F2": '"$"#,##0.00'}
    for place, code in codes.items():
        sheet[place].number_format = code
    book.save(tmp_path / "in.xlsx")
    job_id = run(settings, tiny_loader, tmp_path / "in.xlsx")
    copy = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx"))["Sheet"]
    assert {place: copy[place].number_format for place in codes} == codes
    assert [copy[place].value for place in ("B2", "C2", "D2", "F2")] == [123, 0.15, 1234.5, "=D2*2"]
    assert copy["A2"].number_format == "General" and copy["G1"].value == "label"


def test_the_workbooks_result_columns_are_those_of_the_csv_download_reviews_and_all(settings, tiny_loader, tmp_path,
                                                                                     monkeypatch):
    """The workbook's result columns are made without reading its rows again: row n's results, chunk by chunk."""
    from workbench.jobs import results, review

    monkeypatch.setattr(results, "CHUNK_ROWS", 4)  # the six rows in two chunks, a review in each
    three_sheet_workbook(tmp_path / "in.xlsx")
    job_id = run(settings, tiny_loader, tmp_path / "in.xlsx", sheet="Tickets")
    shown = results_frame(settings, job_id)
    changed = {row: next(label for label in ("billing", "shipping") if label != shown.at[row, "label"]) for row in (1, 5)}
    review.save_reviews(settings, job_id, [review.RowReview(row, {"label": label}) for row, label in changed.items()])
    sheet = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx"))["Tickets"]
    table = read_table(export_job(settings, job_id, tmp_path / "out.csv"))
    header = [cell.value for cell in sheet[2]]
    assert header[2:] == ["label", "confidence", "needs_review", "model_label", "reviewed"]
    for column in ("label", "model_label", "reviewed"):
        written = [sheet.cell(row, header.index(column) + 1).value for row in range(3, 9)]
        assert [str(value) if value is not None else "" for value in written] == table[column].tolist(), column
    assert [sheet.cell(row, 3).value for row in (4, 8)] == list(changed.values())


def test_the_streamed_copy_keeps_durations_error_values_and_array_formulas(tmp_path, monkeypatch):
    from datetime import timedelta

    import pandas as pd
    from openpyxl.worksheet.formula import ArrayFormula

    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", 0)
    book = Workbook()
    sheet = book.active
    sheet.append(["Body", "handled in", "lookup", "a", "b"])
    sheet.append(["refund", timedelta(hours=26, minutes=15), "#N/A", 2, 3])
    sheet.append(["parcel", timedelta(hours=1), 5, 4, 5])
    sheet["B2"].number_format = sheet["B3"].number_format = "[h]:mm"
    sheet["H1"] = ArrayFormula("H1", "=SUM(D2:D3*E2:E3)")
    book.save(tmp_path / "in.xlsx")
    workbook_export.add_result_columns(tmp_path / "in.xlsx", None, pd.DataFrame({"label": ["billing", "shipping"]}),
                                       tmp_path / "out.xlsx")
    copy = load_workbook(tmp_path / "out.xlsx").active
    assert copy["B2"].value == timedelta(hours=26, minutes=15)  # a duration still sums, not the text "1 day, 2:15:00"
    assert copy["C2"].data_type == "e"  # ISNA still sees it
    assert copy["H1"].value.text == "=SUM(D2:D3*E2:E3)" and copy["H1"].value.ref == "H1"
    assert [copy["I1"].value, copy["I2"].value, copy["I3"].value] == ["label", "billing", "shipping"]


@pytest.mark.parametrize("streamed_over", [0, 1_000_000])  # copied a row at a time, and kept whole
def test_a_workbooks_text_that_starts_with_an_equals_sign_stays_text(tmp_path, monkeypatch, streamed_over):
    import pandas as pd

    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", streamed_over)
    book = Workbook()
    sheet = book.active
    sheet.append(["Body", "n"])
    sheet.append(["=HYPERLINK(\"http://x.test\",\"click\")", 2])
    sheet["A2"].data_type = "s"  # the user's text, as a ticket's body may be: not a formula in their workbook
    sheet["B3"] = "=B2*2"  # and a formula of theirs
    book.save(tmp_path / "in.xlsx")
    workbook_export.add_result_columns(tmp_path / "in.xlsx", None, pd.DataFrame({"label": ["a", "b"]}),
                                       tmp_path / "out.xlsx")
    copy = load_workbook(tmp_path / "out.xlsx").active
    assert copy["A2"].data_type == "s" and copy["A2"].value == "=HYPERLINK(\"http://x.test\",\"click\")"
    assert copy["B3"].data_type == "f" and copy["B3"].value == "=B2*2"


@pytest.mark.parametrize("streamed_over", [0, 1_000_000])
def test_a_damaged_other_sheet_says_so_when_the_workbook_is_downloaded(tmp_path, monkeypatch, streamed_over):
    """The job reads its own sheet only, and a sheet's damage shows once its rows are read (io/sheet_size.py)."""
    import io

    import pandas as pd

    from workbench.errors import InputFileError
    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", streamed_over)
    book = Workbook()
    book.active.append(["Body"])
    book.active.append(["hi"])
    book.create_sheet("Other")
    packed = io.BytesIO()
    book.save(packed)
    broken = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
              b'<c r="A1"><<v>1</v></c></row></sheetData></worksheet>')
    with zipfile.ZipFile(packed) as whole, zipfile.ZipFile(tmp_path / "in.xlsx", "w") as damaged:
        for member in whole.infolist():
            damaged.writestr(member.filename, broken if member.filename.endswith("sheet2.xml") else whole.read(member))
    assert read_table(tmp_path / "in.xlsx")["Body"].tolist() == ["hi"]  # the job's own sheet reads
    with pytest.raises(InputFileError, match="A sheet of 'in.xlsx' is damaged.*Download CSV instead"):
        workbook_export.add_result_columns(tmp_path / "in.xlsx", None, pd.DataFrame({"label": ["a"]}),
                                           tmp_path / "out.xlsx")


@pytest.mark.parametrize("streamed_over", [0, 1_000_000])  # copied a row at a time, and kept whole
def test_results_sit_beside_their_rows_under_a_banner_whose_formula_shows_nothing(tmp_path, monkeypatch, streamed_over):
    import pandas as pd

    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", streamed_over)
    book = Workbook()
    sheet = book.active
    sheet["A1"] = '=IF(COUNTBLANK(B3:B4)>0,"Some tickets have no body","")'  # shows nothing: no header, for the reader
    sheet.append(["ID", "Body"])
    sheet.append(["T-1", "refund"])
    sheet.append(["T-2", "parcel"])
    book.save(tmp_path / "in.xlsx")
    assert read_table(tmp_path / "in.xlsx")["Body"].tolist() == ["refund", "parcel"]
    workbook_export.add_result_columns(tmp_path / "in.xlsx", None, pd.DataFrame({"label": ["billing", "shipping"]}),
                                       tmp_path / "out.xlsx")
    rows = list(load_workbook(tmp_path / "out.xlsx").active.iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[2]) for row in rows] == [("ID", "label"), ("T-1", "billing"), ("T-2", "shipping")]


def test_the_streamed_copy_keeps_hidden_sheets_hidden_and_the_names_formulas_use(tmp_path, monkeypatch):
    import pandas as pd
    from openpyxl.workbook.defined_name import DefinedName

    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", 0)
    book = Workbook()
    book.active.title = "Tickets"
    book.active.append(["Body", "share"])
    book.active.append(["refund", 0.4])
    salaries = book.create_sheet("Salaries")
    salaries["A1"] = 52_000
    salaries.sheet_state = "hidden"  # a copy once showed it
    book.defined_names["Shares"] = DefinedName("Shares", attr_text="Tickets!$B$2:$B$2")
    book.active["C1"] = "=SUM(Shares)"
    book.save(tmp_path / "in.xlsx")
    workbook_export.add_result_columns(tmp_path / "in.xlsx", "Tickets", pd.DataFrame({"label": ["billing"]}),
                                       tmp_path / "out.xlsx")
    copy = load_workbook(tmp_path / "out.xlsx")
    assert [(sheet.title, sheet.sheet_state) for sheet in copy.worksheets] == [("Tickets", "visible"),
                                                                                ("Salaries", "hidden")]
    assert copy.defined_names["Shares"].attr_text == "Tickets!$B$2:$B$2"
    assert copy.active.title == "Tickets"


@pytest.mark.parametrize("streamed_over", [0, 1_000_000])
def test_a_reports_title_above_its_table_is_no_header_and_results_sit_beside_their_rows(tmp_path, monkeypatch,
                                                                                      streamed_over):
    import pandas as pd

    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", streamed_over)
    book = Workbook()
    for row in (["Support tickets – March export"], ["Exported 3 April by the helpdesk"], [], ["ID", "Body"],
                ["T-1", "refund"], ["T-2", "parcel"]):
        book.active.append(row)
    book.save(tmp_path / "report.xlsx")
    assert read_table(tmp_path / "report.xlsx").to_dict("list") == {"ID": ["T-1", "T-2"], "Body": ["refund", "parcel"]}
    workbook_export.add_result_columns(tmp_path / "report.xlsx", None, pd.DataFrame({"label": ["billing", "shipping"]}),
                                       tmp_path / "out.xlsx")
    rows = list(load_workbook(tmp_path / "out.xlsx").active.iter_rows(values_only=True))
    assert rows[0][0] == "Support tickets – March export"  # the title stays where it was
    assert [(row[0], row[2]) for row in rows[3:]] == [("ID", "label"), ("T-1", "billing"), ("T-2", "shipping")]


@pytest.mark.parametrize("rows", [
    [["Body"], ["hi"], [], ["there", "again"]],  # no table under the wider row
    [["Body"], ["hi"], ["there", "again"], ["and", "more"]],  # no blank row between
    [[None, "Body"], [], ["a", "b"], ["c", "d"]],  # a header whose first column has no name
])
def test_without_a_title_block_the_first_row_stays_the_header(tmp_path, rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / "plain.xlsx")
    assert "Body" in read_table(tmp_path / "plain.xlsx").columns


def test_a_cells_bold_and_coloured_words_are_kept_in_the_workbooks_copy(tmp_path):
    import pandas as pd
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from workbench.io.workbook_export import add_result_columns

    book = Workbook()
    book.active.append(["Body"])
    book.active.append([CellRichText(["Refund ", TextBlock(InlineFont(b=True, color="FF0000"), "now"), " please"])])
    book.save(tmp_path / "rich.xlsx")
    add_result_columns(tmp_path / "rich.xlsx", None, pd.DataFrame({"label": ["billing"]}), tmp_path / "out.xlsx")
    copied = load_workbook(tmp_path / "out.xlsx", rich_text=True).active
    assert isinstance(copied["A2"].value, CellRichText) and str(copied["A2"].value) == "Refund now please"
    assert copied["A2"].value[1].font.b and copied["B2"].value == "billing"


def test_the_workbooks_copy_keeps_the_values_its_formulas_last_computed(tmp_path):
    """openpyxl writes formulas without their values: a previewer, pandas, or a next job on the download saw blanks."""
    import zipfile
    from datetime import datetime

    import pandas as pd

    from workbench.io.workbook_export import add_result_columns

    book = Workbook()
    book.active.append(["Body", "Amount", "Twice", "Note", "Big"])
    book.active.append(["refund", 21, "=B2*2", '="Order "&B2', "=B2>20"])
    book.active["F2"] = "=DATE(2026,3,1)"
    book.active["F2"].number_format = "yyyy-mm-dd"
    book.create_sheet("Other").append([5, "=A1+1", "=1/0"])
    book.save(tmp_path / "in.xlsx")
    _with_saved_values(tmp_path / "in.xlsx", {"sheet1.xml": {"C2": ("", "42"), "D2": (' t="str"', "Order 21"),
                                                             "E2": (' t="b"', "1"), "F2": ("", "46082")},
                                              "sheet2.xml": {"B1": ("", "6"), "C1": (' t="e"', "#DIV/0!")}})
    add_result_columns(tmp_path / "in.xlsx", None, pd.DataFrame({"label": ["billing"]}), tmp_path / "out.xlsx")
    computed = load_workbook(tmp_path / "out.xlsx", data_only=True)
    assert [c.value for c in computed["Sheet"][2]] == ["refund", 21, 42, "Order 21", True, datetime(2026, 3, 1),
                                                       "billing"]
    assert [c.value for c in computed["Other"][1]] == [5, 6, "#DIV/0!"]
    formulas = load_workbook(tmp_path / "out.xlsx")
    assert formulas["Sheet"]["C2"].value == "=B2*2" and formulas["Other"]["B1"].value == "=A1+1"
    assert zipfile.ZipFile(tmp_path / "out.xlsx").testzip() is None


def _with_saved_values(path, values: dict) -> None:
    """The workbook as Excel saves it: each formula with the value it computed (openpyxl's own save writes none)."""
    import re
    import zipfile

    members = {}
    with zipfile.ZipFile(path) as source:
        for info in source.infolist():
            data = source.read(info)
            for place, (kind, text) in values.get(info.filename.rsplit("/", 1)[-1], {}).items():
                data = re.sub(rf'<c r="{place}"([^>]*)><f>(.*?)</f><v\s*/></c>'.encode(),
                              lambda found, kind=kind, text=text, place=place:
                              f'<c r="{place}"{found[1].decode()}{kind}><f>{found[2].decode()}</f><v>{text}</v></c>'
                              .encode(), data)
            members[info.filename] = data
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
