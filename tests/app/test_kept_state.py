"""What a user typed stays for their session, whichever page they open in between."""

from __future__ import annotations

import pytest

from tests.app.test_pages import demo_job, page
from workbench.jobs import service
from workbench.ui.context import app_settings

EMAILS = b"Subject,Body\nRefund,I was charged twice for my order\nParcel,Where is my parcel?\n"
LABELS = "billing: invoices, charges and refunds\nshipping: parcels and delivery"


@pytest.fixture
def new_job(settings, tiny_encoder_folder, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MODELS_DIR", str(tiny_encoder_folder.parent))
    monkeypatch.setattr("workbench.ui.context.ensure_worker", lambda _settings: None)
    app_settings.clear()
    app = page("new_job.py").run()
    app.file_uploader[0].upload("march.csv", EMAILS).run()
    app.multiselect[0].set_value(["Subject", "Body"]).run()
    app.text_area[0].input(LABELS).run()
    _slider(app).set_value(0.7).run()
    next(t for t in app.text_input if t.label == "Job name (optional)").input("March refunds").run()
    return app


def _slider(app):
    return next(s for s in app.slider if s.label.startswith("Flag rows for review"))


def _form(app) -> tuple:
    return (app.multiselect[0].value, app.text_area[0].value, _slider(app).value,
            next(t for t in app.text_input if t.label == "Job name (optional)").value)


def test_the_file_and_settings_stay_after_another_page(new_job):
    before = _form(new_job)
    for other in ("jobs.py", "templates.py", "models.py"):
        new_job.switch_page(f"app_pages/{other}").run()
        new_job.switch_page("app_pages/new_job.py").run()
        assert not new_job.exception
        assert _form(new_job) == before == (["Subject", "Body"], LABELS, 0.7, "March refunds")
    assert any("Working on **march.csv**, uploaded earlier" in caption.value for caption in new_job.caption)


def test_settings_stay_through_another_task_and_a_saved_template(new_job):
    task = next(s for s in new_job.selectbox if s.label == "Task")
    task.set_value("extract").run()
    new_job.text_area[0].input("amount (money): the amount charged").run()
    next(s for s in new_job.selectbox if s.label == "Task").set_value("classify").run()
    assert new_job.text_area[0].value == LABELS and _slider(new_job).value == 0.7
    next(s for s in new_job.selectbox if s.label == "Task").set_value("extract").run()
    assert new_job.text_area[0].value == "amount (money): the amount charged"


def test_removing_the_file_forgets_it_and_a_run_forgets_only_the_jobs_name(new_job):
    next(b for b in new_job.button if b.label == "Run on all rows").click().run()
    assert service.list_jobs(app_settings())[0].name == "March refunds"
    new_job.switch_page("app_pages/new_job.py").run()
    assert _form(new_job) == (["Subject", "Body"], LABELS, 0.7, "")  # ready for the next job
    next(b for b in new_job.button if b.label == "Put it away").click().run()
    assert not new_job.multiselect and not any("uploaded earlier" in c.value for c in new_job.caption)
    new_job.file_uploader[0].upload("april.csv", EMAILS).run()
    assert _form(new_job)[:3] == (["Subject", "Body"], LABELS, 0.7)  # the next month's file, the same settings
    new_job.file_uploader[0].clear().run()  # the box's x
    assert not new_job.multiselect


def test_the_job_picker_takes_every_pick(settings, tiny_loader):
    app_settings.clear()  # the page's settings are this test's, not the last page test's
    first, second = demo_job(settings), demo_job(settings)
    app = page("job_results.py", job=str(second)).run()
    for wanted in (first, second, first, second):
        next(s for s in app.selectbox if s.label == "Job").set_value(wanted).run()
        assert not app.exception
        assert app.query_params["job"] == str(wanted)
        assert next(s for s in app.selectbox if s.label == "Job").value == wanted


def test_a_reloaded_page_finds_its_form_and_file_again(new_job):
    new_job.selectbox(key="task").set_value("extract").run()
    new_job.text_area[0].input("amount (money): the amount charged\nsent (date)").run()
    new_job.selectbox(key="task").set_value("classify").run()
    draft = new_job.query_params["draft"]
    reloaded = page("new_job.py", draft=draft).run()  # a new session on the same address, as F5 makes
    assert not reloaded.exception
    assert _form(reloaded) == (["Subject", "Body"], LABELS, 0.7, "March refunds")
    assert any("Working on **march.csv**, uploaded earlier" in caption.value for caption in reloaded.caption)
    reloaded.selectbox(key="task").set_value("extract").run()
    assert reloaded.text_area[0].value == "amount (money): the amount charged\nsent (date)"
    elsewhere = page("new_job.py").run()  # another tab: a form of its own
    assert not elsewhere.text_area and elsewhere.query_params.get("draft") != draft


def test_a_form_not_complete_yet_is_named_in_the_address(settings, tiny_encoder_folder, monkeypatch):
    """The page stops early until the form is complete, and a stopped page sent the browser nothing more: the
    address named no draft, and a reload lost the file and columns picked so far."""
    monkeypatch.setenv("WORKBENCH_MODELS_DIR", str(tiny_encoder_folder.parent))
    app_settings.clear()
    app = page("new_job.py").run()
    assert app.query_params.get("draft")  # no file picked yet
    app.file_uploader[0].upload("march.csv", EMAILS).run()
    app.multiselect[0].set_value(["Subject", "Body"]).run()  # no labels typed: the page waits
    reloaded = page("new_job.py", draft=app.query_params["draft"]).run()
    assert not reloaded.exception and reloaded.multiselect[0].value == ["Subject", "Body"]


def test_a_draft_address_that_names_no_draft_starts_an_empty_form(settings):
    for draft in ("../../etc/passwd", "0" * 32):
        app = page("new_job.py", draft=draft).run()
        assert not app.exception and not app.text_area


def test_a_job_older_than_the_listed_ones_opens_from_its_link(settings, tiny_loader, monkeypatch):
    from workbench.db import repo

    app_settings.clear()
    first, _ = demo_job(settings), demo_job(settings)
    monkeypatch.setattr(repo, "LISTED_JOBS", 1)
    app = page("job_results.py", job=str(first)).run()  # it said "There is no job #1", and showed the newest
    assert not app.exception and not app.warning
    assert app.selectbox(key="results-job").value == first


def test_the_sidebars_job_results_opens_the_job_a_link_opened_not_the_newest(settings):
    app_settings.clear()
    first, _ = demo_job(settings), demo_job(settings)
    app = page("job_results.py", job=str(first)).run()  # the Jobs page's "Open" link
    app.query_params.clear()  # the sidebar's link names no job
    app = app.switch_page("app_pages/job_results.py").run()
    assert not app.exception and app.selectbox(key="results-job").value == first


def test_a_reload_of_another_page_finds_the_form_again(new_job):
    """F5 on the Jobs page, to see progress, started an empty form: the other pages' addresses name the draft too."""
    draft = new_job.query_params["draft"]
    new_job.query_params.clear()  # as a browser's address loses it on going to another page
    new_job.switch_page("app_pages/jobs.py").run()
    assert new_job.query_params.get("draft") == draft
    reloaded = page("jobs.py", draft=draft).run().switch_page("app_pages/new_job.py").run()
    assert not reloaded.exception and _form(reloaded) == (["Subject", "Body"], LABELS, 0.7, "March refunds")


def test_the_sheet_label_column_and_examples_file_stay_after_another_page(new_job):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Read me"
    book.active.append(["note", "kind"])
    book.active.append(["this sheet explains the other", "x"])
    emails = book.create_sheet("Emails")
    for row in (["Body", "queue", "sender"], ["charged twice", "billing", "a"], ["parcel lost", "shipping", "b"]):
        emails.append(row)
    import io

    data = io.BytesIO()
    book.save(data)
    new_job.file_uploader[0].upload("book.xlsx", data.getvalue()).run()
    new_job.selectbox(key=next(s.key for s in new_job.selectbox if s.label == "Sheet")).set_value("Emails").run()
    new_job.radio(key="examples-source").set_value("A label column of this sheet").run()
    label_box = next(s for s in new_job.selectbox if s.label.startswith("Column with labels"))
    label_box.set_value("sender").run()
    new_job.switch_page("app_pages/jobs.py").run()
    new_job.switch_page("app_pages/new_job.py").run()
    assert next(s for s in new_job.selectbox if s.label == "Sheet").value == "Emails"
    assert next(s for s in new_job.selectbox if s.label.startswith("Column with labels")).value == "sender"
    new_job.radio(key="examples-source").set_value("Another file").run()
    new_job.file_uploader(key="examples-file").upload("ex.csv", b"text,category\nrefund,billing\nlost,shipping\n").run()
    new_job.switch_page("app_pages/jobs.py").run()
    new_job.switch_page("app_pages/new_job.py").run()
    assert not new_job.exception
    assert any("Working on **ex.csv**, uploaded earlier" in caption.value for caption in new_job.caption)
    assert next(s for s in new_job.selectbox if s.label == "Examples: label column").value == "category"


def test_new_job_and_benchmark_keep_their_own_settings(new_job):
    """Both draw the same form: a task chosen on Benchmark became New job's task."""
    new_job.switch_page("app_pages/benchmark.py").run()
    next(r for r in new_job.radio if r.label == "Data").set_value("Use a sample file").run()
    assert new_job.text_area[0].value == ""  # Benchmark's own form, empty: not New job's labels
    new_job.selectbox(key="task").set_value("summarize").run()
    new_job.switch_page("app_pages/new_job.py").run()
    assert not new_job.exception
    assert new_job.selectbox(key="task").value == "classify" and _form(new_job) == (
        ["Subject", "Body"], LABELS, 0.7, "March refunds")
    new_job.switch_page("app_pages/benchmark.py").run()
    assert not new_job.exception and new_job.selectbox(key="task").value == "summarize"



def test_a_template_asked_for_on_new_job_waits_for_new_jobs_form(monkeypatch):
    """Asked from the Templates page before New job had a file, it opened on Benchmark's form, drawn first."""
    from types import SimpleNamespace

    from workbench.ui import kept_state, prefill

    state = {kept_state.FORM_OWNER: "benchmark", prefill.pending_key("new-job"): {"settings-source": "Use a saved template"}}
    monkeypatch.setattr(prefill, "st", SimpleNamespace(session_state=state))
    monkeypatch.setattr(kept_state, "st", SimpleNamespace(session_state=state))
    prefill.apply_pending()  # Benchmark's form: not for it
    assert "settings-source" not in state
    kept_state.own_the_form("new-job")
    prefill.apply_pending()
    assert state["settings-source"] == "Use a saved template"
