"""Broken and hostile files on the New job page: a message saying what to fix, and the page keeps serving."""

from __future__ import annotations

import pytest

from tests.app.test_pages import page
from tests.hostile_files import CORPUS, build

REFUSED = ["garbage.csv", "ragged.csv", "zip_bomb.xlsx", "truncated.xlsx", "header_only.csv", "duplicate_headers.csv"]


@pytest.fixture
def hostile_samples(tmp_path, monkeypatch):
    """The page's sample-file picker offers the hostile files, as if the user had uploaded them."""
    from workbench.ui.context import app_settings

    monkeypatch.setattr("workbench.ui.context.ensure_worker", lambda _settings: None)  # no background worker
    app_settings.clear()
    monkeypatch.setenv("WORKBENCH_MAX_UNZIPPED_MB", "1")
    files = {name: build(tmp_path, name) for name in [*REFUSED, "macros.xlsm"]}
    monkeypatch.setattr("workbench.ui.new_job.sample_files", lambda: files)
    return files


def test_each_refused_file_shows_its_message_then_a_good_file_works(settings, hostile_samples):
    app = page("new_job.py").run()
    app.radio[0].set_value("Use a sample file").run()
    for name in REFUSED:
        app.selectbox[0].set_value(name).run()
        assert not app.exception, name
        messages = [error.value for error in app.error]
        assert any(CORPUS[name][1] in message for message in messages), (name, messages)
    app.selectbox[0].set_value("macros.xlsm").run()
    assert not app.exception and not app.error
    assert any("macros were ignored" in info.value for info in app.info)
    assert app.multiselect[0].value == ["Body"]  # the preview loaded and the text column is offered


@pytest.mark.parametrize("name", ["garbage.csv", "zip_bomb.xlsx", "utf16le.csv", "macros.xlsm"])
def test_an_uploaded_hostile_file_gets_its_message_or_its_preview(settings, hostile_samples, tmp_path, name):
    app = page("new_job.py").run()
    app.file_uploader[0].upload(name, build(tmp_path, name).read_bytes()).run()
    assert not app.exception
    expected = CORPUS[name][1]
    if expected is None:
        assert not app.error and app.multiselect[0].value == ["Body"]
    else:
        assert any(expected in error.value for error in app.error), [error.value for error in app.error]


def test_an_upload_over_the_size_limit_is_refused(settings, hostile_samples, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_UPLOAD_MB", "1")
    app = page("new_job.py").run()
    app.file_uploader[0].upload("big.csv", b"Body\n" + b"a fairly long complaint\n" * 50_000).run()
    assert not app.exception
    assert any("larger than the 1 MB limit" in error.value for error in app.error), [e.value for e in app.error]


def test_a_one_megabyte_cell_is_announced_before_the_job_and_the_page_keeps_serving(settings, hostile_samples, tmp_path):
    app = page("new_job.py").run()
    app.file_uploader[0].upload("huge_cell.csv", build(tmp_path, "huge_cell.csv").read_bytes()).run()
    assert not app.exception and not app.error
    assert any("longer than 100,000 characters" in warning.value for warning in app.warning)


def test_a_file_layout_that_comes_back_gets_its_text_columns_back(settings, tmp_path, monkeypatch):
    """Next month's file, after another one: the box came back empty (its state was dropped while another file's box
    was on the page), and the job could not start."""
    from workbench.ui.context import app_settings

    monkeypatch.setattr("workbench.ui.context.ensure_worker", lambda _settings: None)
    app_settings.clear()
    app = page("new_job.py").run()
    emails = b"Subject,Body\nRefund,I was charged twice for my order\n"
    app.file_uploader[0].upload("march.csv", emails).run()
    assert app.multiselect[0].value == ["Body"]
    app.multiselect[0].set_value(["Subject", "Body"]).run()
    app.file_uploader[0].clear().run()  # removed, as a user removes a file, then another uploaded
    app.file_uploader[0].upload("reviews.csv", b"stars,review\n5,Lovely lamp and quick delivery\n").run()
    assert app.multiselect[0].value == ["review"]
    app.file_uploader[0].clear().run()
    app.file_uploader[0].upload("april.csv", emails).run()
    assert not app.exception
    assert app.multiselect[0].value == ["Subject", "Body"]  # the user's own choice for this layout


def test_a_title_above_the_header_is_pointed_out_and_a_header_row_chosen_reads_the_table(settings, tiny_encoder_folder,
                                                                                        monkeypatch):
    from workbench.jobs import service
    from workbench.ui.context import app_settings

    monkeypatch.setenv("WORKBENCH_MODELS_DIR", str(tiny_encoder_folder.parent))
    monkeypatch.setattr("workbench.ui.context.ensure_worker", lambda _settings: None)
    app_settings.clear()
    app = page("new_job.py").run()
    report = b"Ticket export, March\nSubject,Body,Agent\nRefund,I was charged twice,Ann\nParcel,Where is it?,Bo\n"
    app.file_uploader[0].upload("report.csv", report).run()
    assert any("type that row's number in 'Column names on row' above" in error.value for error in app.error)
    next(n for n in app.number_input if n.label == "Column names on row").set_value(2).run()
    assert not app.exception and not app.error
    assert app.multiselect[0].options == ["Subject", "Body", "Agent"]
    app.multiselect[0].set_value(["Subject", "Body"]).run()
    app.text_area[0].input("billing\nshipping").run()
    next(b for b in app.button if b.label == "Run on all rows").click().run()
    assert not app.exception
    job = service.list_jobs(app_settings())[0]
    assert (job.header_row, job.total_rows) == (2, 2)
