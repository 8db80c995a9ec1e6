"""The Benchmark page: a comparison set up on a labelled sheet, its progress, then the models side by side."""

from __future__ import annotations

import pytest

from tests.app.test_pages import fresh_app, page  # noqa: F401 (fresh_app: each test its own settings, no worker)
from tests.test_compare import _run_queue
from workbench.jobs import compare


def _form_on_sample(labels: str = "billing\ntechnical_support\naccount_access\nshipping\nreturns\nfeedback"):
    app = page("benchmark.py").run()
    assert not app.exception, app.exception
    next(r for r in app.radio if r.label == "Data").set_value("Use a sample file").run()
    next(s for s in app.selectbox if s.label == "Sample file").set_value("support_emails.csv").run()
    next(m for m in app.multiselect if m.label.startswith("Text column")).set_value(["Subject", "Body"]).run()
    next(t for t in app.text_area if t.label.startswith("Labels")).input(labels).run()
    assert not app.exception, app.exception
    return app


def test_an_empty_benchmark_page_opens_on_a_new_comparison(settings):
    app = page("benchmark.py").run()
    assert not app.exception
    assert "Upload a CSV or Excel file with a column of right answers" in app.info[0].value


def test_a_comparison_set_up_on_the_page_queues_a_job_per_model_then_shows_their_figures(settings, two_models):
    app = _form_on_sample()
    assert next(s for s in app.selectbox if s.label == "Column with the right answers").value == "category"
    assert next(m for m in app.multiselect if m.label.startswith("Models to compare")).value == two_models
    next(n for n in app.number_input if n.label.startswith("Rows to compare on")).set_value(10).run()
    next(b for b in app.button if b.label == "Compare").click().run()
    assert not app.exception, app.exception
    [comparison] = compare.list_comparisons(settings)
    jobs = compare.comparison_jobs(settings, comparison.id)
    assert [(j.spec["model"], j.row_limit, j.status) for j in jobs] == [(m, 10, "queued") for m in two_models]
    assert comparison.answers_column == "category"
    assert any("tiny-a (job #" in c.value and "queued" in c.value for c in app.caption)

    _run_queue(settings)
    app = page("benchmark.py").run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert list(table["model"]) == two_models and table["accuracy"].between(0, 1).all()
    assert (table["rows/s"] > 0).all() and (table["peak memory (MB)"] > 0).all()
    here = table["$ per 1,000 rows here"].tolist()
    next(n for n in app.number_input if n.label == "This machine, $ per hour").set_value(0.5).run()
    ten_times = app.dataframe[0].value["$ per 1,000 rows here"].tolist()
    assert ten_times == pytest.approx([10 * c for c in here])  # the machine's price typed in, the costs follow


def test_a_model_of_the_other_kind_is_not_offered(settings, two_models):
    app = _form_on_sample()
    next(s for s in app.selectbox if s.label == "Task").set_value("summarize").run()
    models = next(m for m in app.multiselect if m.label.startswith("Models to compare"))
    assert not set(two_models) & set(models.options)
