"""The New job page's settings for route (fallback, priority) and classify (several labels per row)."""

from __future__ import annotations

from tests.app.test_pages import fresh_app, page  # noqa: F401 (fresh_app: each test its own settings, no worker)
from workbench.jobs import service


def _sample_job_page():
    app = page("new_job.py").run()
    app.radio[0].set_value("Use a sample file").run()
    next(s for s in app.selectbox if s.label == "Sample file").set_value("support_emails.csv").run()
    app.multiselect[0].set_value(["Subject", "Body"]).run()
    return app


def _queued_spec(app, settings) -> dict:
    next(b for b in app.button if b.label == "Run on all rows").click().run()
    assert not app.exception, app.exception
    return service.list_jobs(settings)[0].spec


def test_a_route_job_gets_its_fallback_queue_and_priority_rules_from_the_page(settings):
    app = _sample_job_page()
    next(s for s in app.selectbox if s.label == "Task").set_value("route").run()
    app.text_area[0].input("billing: invoices\nshipping: parcels").run()
    next(t for t in app.text_input if t.label.startswith("Fallback queue")).input("Triage").run()
    next(t for t in app.text_area if t.label.startswith("Priority")).input("high: urgent, asap\nlow: newsletter").run()
    next(c for c in app.checkbox if c.label.startswith("Set how closely")).check().run()
    next(s for s in app.slider if s.label.startswith("Rows less similar")).set_value(0.2).run()
    spec = _queued_spec(app, settings)
    assert spec["task"] == "route" and spec["fallback"] == "Triage" and spec["min_similarity"] == 0.2
    assert spec["priority"] == {"high": ["urgent", "asap"], "low": ["newsletter"]}


def test_a_priority_line_without_its_colon_says_how_to_write_it(settings):
    """`urgent, asap` (no level) was left out without a word, and no row got a high priority."""
    app = _sample_job_page()
    next(s for s in app.selectbox if s.label == "Task").set_value("route").run()
    app.text_area[0].input("billing: invoices\nshipping: parcels").run()
    next(t for t in app.text_area if t.label.startswith("Priority")).input("urgent, asap").run()
    assert any("needs a level, a colon and its words" in e.value for e in app.error)
    assert all(b.disabled for b in app.button if b.label == "Run on all rows")


def test_a_classify_job_with_several_labels_per_row(settings):
    app = _sample_job_page()
    app.text_area[0].input("billing\nshipping\nreturns").run()
    next(c for c in app.checkbox if c.label == "Several labels per row").check().run()
    next(s for s in app.slider if s.label.startswith("Give every label")).set_value(0.2).run()
    spec = _queued_spec(app, settings)
    assert spec["multi_label"] is True and spec["label_threshold"] == 0.2


def test_labels_typed_for_classify_are_kept_when_switching_to_route(settings):
    app = _sample_job_page()
    app.text_area[0].input("billing\nshipping").run()
    next(s for s in app.selectbox if s.label == "Task").set_value("route").run()
    assert app.text_area[0].label.startswith("Queues") and app.text_area[0].value == "billing\nshipping"


def test_the_label_column_offered_first_is_the_one_that_looks_like_labels():
    import pandas as pd

    from workbench.ui.new_job import likely_label_column

    frame = pd.DataFrame({"Subject": ["a", "b", "c", "d"], "Body": ["w", "x", "y", "z"], "From": ["p", "q", "r", "s"],
                          "category": ["billing", "billing", "", "returns"], "id": ["1", "1", "1", "1"]})
    assert likely_label_column(frame, ["Subject", "Body"]) == "category"
    assert likely_label_column(frame[["Subject"]], ["Subject"]) == "Subject"  # nothing else: the first column


def test_switching_to_a_file_with_other_columns_shows_the_columns_the_job_reads(settings):
    """The box went on showing 'review' (a column of the first file) while the job read Body."""
    app = page("new_job.py").run()
    app.radio[0].set_value("Use a sample file").run()
    next(s for s in app.selectbox if s.label == "Sample file").set_value("product_reviews.csv").run()
    assert app.multiselect[0].value == ["review"]
    next(s for s in app.selectbox if s.label == "Sample file").set_value("support_emails.csv").run()
    shown = app.multiselect[0].value
    assert shown and set(shown) <= {"Subject", "Body", "From", "category"}
    app.text_area[0].input("billing\nshipping").run()
    assert _queued_spec(app, settings)["text"] == shown


def test_unfinished_settings_show_the_buttons_greyed_and_how_typed_text_is_applied(settings):
    """In a browser, labels typed but not yet applied read as missing, and the buttons were nowhere to be seen."""
    app = _sample_job_page()
    assert any("Text in a box counts once you click outside it" in note.value for note in app.info)
    waiting = [b for b in app.button if b.label in ("Try on 5 rows", "Run on all rows")]
    assert len(waiting) == 2 and all(b.disabled for b in waiting)
    app.text_area[0].input("billing\nshipping").run()
    assert not any(b.disabled for b in app.button if b.label in ("Try on 5 rows", "Run on all rows"))


def test_a_wrong_setting_is_not_told_to_click_outside_the_box(settings):
    """The hint is for words typed but not applied; two labels of one name were typed and applied."""
    app = _sample_job_page()
    app.text_area[0].input("billing\nBilling\nshipping").run()
    [note] = [n.value for n in app.info if "billing" in n.value.lower()]
    assert "Text in a box counts" not in note
