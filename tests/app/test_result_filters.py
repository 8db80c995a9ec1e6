"""The Job results table's filters (PRODUCT.md §2.7): by answer, confidence, flags and words."""

from __future__ import annotations

from tests.app.test_pages import _review_job, fresh_app, page  # noqa: F401 (fresh_app: each test its own settings)
from workbench.jobs.results import results_frame


def test_the_rows_can_be_narrowed_by_queue_confidence_and_words(settings, tiny_loader):
    job_id = _review_job(settings, tiny_loader)
    answers = results_frame(settings, job_id)
    queue = answers["queue"].value_counts().index[0]
    app = page("job_results.py", job=str(job_id)).run()
    assert len(app.dataframe[0].value) == len(answers)  # no filter set: every row
    app.multiselect(key=f"filter-answer-{job_id}").set_value([queue]).run()
    shown = app.dataframe[0].value
    assert set(shown["queue"]) == {queue} and len(shown) == (answers["queue"] == queue).sum()
    assert any(f"of {len(answers):,}" in c.value for c in app.caption)
    app.multiselect(key=f"filter-answer-{job_id}").set_value([]).run()
    word = answers["Subject"].iloc[0].split()[0]
    app.text_input(key=f"filter-words-{job_id}").input(word).run()
    expected = answers.astype(str).agg(" ".join, axis=1).str.casefold().str.contains(word.casefold(), regex=False)
    assert len(app.dataframe[0].value) == expected.sum() >= 1
    app.text_input(key=f"filter-words-{job_id}").input("").run()
    app.slider(key=f"filter-confidence-{job_id}").set_value((0.9, 1.0)).run()
    assert (app.dataframe[0].value["confidence"].astype(float) >= 0.9).all()


def test_the_rows_with_values_dropped_can_be_shown_alone(settings):
    from tests.test_review import _stored_job

    spec = {"task": "extract", "text": ["Subject", "Body"], "fields": [{"name": "order", "type": "number"}]}
    job_id = _stored_job(settings, spec, [{"order": 5531, "extraction_errors": ""},
                                          {"order": None, "extraction_errors": "order: 'abc' is not a number"},
                                          {"order": 7, "extraction_errors": ""}])
    app = page("job_results.py", job=str(job_id)).run()
    assert len(app.dataframe[0].value) == 3
    app.toggle(key=f"filter-extraction_errors-{job_id}").set_value(True).run()
    assert app.dataframe[0].value["extraction_errors"].tolist() == ["order: 'abc' is not a number"]


def test_a_reviewed_row_is_filtered_by_the_models_confidence_and_flags_are_not_words(settings, tiny_loader):
    from workbench.jobs import review
    from workbench.jobs.review import RowReview

    job_id = _review_job(settings, tiny_loader)
    answers = results_frame(settings, job_id, reviewed=False)
    row = int(answers["confidence"].astype(float).idxmin())
    other = next(q for q in ("billing", "shipping") if q != answers.at[row, "queue"])
    review.save_reviews(settings, job_id, [RowReview(row, {"queue": other})])
    app = page("job_results.py", job=str(job_id)).run()
    low = float(answers.at[row, "confidence"])
    app.slider(key=f"filter-confidence-{job_id}").set_value((0.0, min(1.0, round(low + 0.05, 2)))).run()
    assert other in app.dataframe[0].value["queue"].tolist()  # its confidence blanked by the review, still low
    app.slider(key=f"filter-confidence-{job_id}").set_value((0.0, 1.0)).run()
    app.text_input(key=f"filter-words-{job_id}").input("true").run()
    assert len(app.dataframe[0].value) == 0  # the flags' True is no word of the rows


def test_a_link_with_no_job_number_says_so(settings, tiny_loader):
    _review_job(settings, tiny_loader)
    app = page("job_results.py", job="abc").run()
    assert any("'abc' is no job number" in w.value for w in app.warning)


def test_the_rows_shown_can_be_downloaded_alone_with_the_formula_guard(settings, tiny_loader):
    import io

    import pandas as pd

    from workbench.ui.filters import _csv

    job_id = _review_job(settings, tiny_loader)
    answers = results_frame(settings, job_id)
    queue = answers["queue"].iloc[0]
    app = page("job_results.py", job=str(job_id)).run()
    app.multiselect(key=f"filter-answer-{job_id}").set_value([queue]).run()
    assert [b.proto.label for b in app.get("download_button")][0] == "Download these rows (CSV)"
    shown = answers[answers["queue"] == queue].assign(Subject=lambda f: "=" + f["Subject"])
    written = pd.read_csv(io.BytesIO(_csv(shown)))
    assert len(written) == len(shown) and written["Subject"].str.startswith("'=").all()


def test_a_row_sent_to_the_fallback_queue_says_whose_confidence_it_shows(settings):
    """"Other · 0.77" read as sure of Other: the number is the nearest queue's, which was not close enough."""
    from tests.test_review import _stored_job

    spec = {"task": "route", "text": ["Subject", "Body"], "labels": ["billing", "shipping"], "fallback": "Other"}
    job_id = _stored_job(settings, spec, [{"queue": "Other", "confidence": 0.77, "needs_review": True,
                                           "nearest_queue": "billing"},
                                          {"queue": "Other", "confidence": 0.9, "needs_review": True}])  # saved before
    app = page("job_results.py", job=str(job_id)).run()
    card = [m.value for m in app.markdown if m.value.startswith("**Row ")][0]
    assert "sent to 'Other': no queue matched well enough (the nearest one: 'billing', confidence 0.77)" in card
    assert "nearest_queue" not in app.dataframe[0].value.columns  # not an output column


def test_a_download_is_named_after_its_job():
    from types import SimpleNamespace

    from workbench.ui.widgets import download_name

    assert download_name(SimpleNamespace(id=3, name="March tickets.csv"), "xlsx") == "March_tickets_results_job3.xlsx"
    assert download_name(SimpleNamespace(id=4, name="***"), "csv") == "job_results_job4.csv"
