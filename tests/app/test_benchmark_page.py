"""The Benchmark page: a comparison set up on a labelled sheet, its progress, then the models side by side."""

from __future__ import annotations

import pytest

from tests.app.test_pages import fresh_app, page  # noqa: F401 (fresh_app: each test its own settings, no worker)
from tests.test_compare import _run_queue
from tests.test_jobs import EMAILS, ZERO_SHOT
from workbench.jobs import compare
from workbench.ui import benchmark
from workbench.ui.trade_off_chart import PLOT_HEIGHT, quality_range, trade_off_chart

LABELS = "billing\ntechnical_support\naccount_access\nshipping\nreturns\nfeedback"


def _form_on_sample(labels: str = LABELS):
    app = page("benchmark.py").run()
    assert not app.exception, app.exception
    return _fill_form(app, labels)


def _fill_form(app, labels: str = LABELS):
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
    assert not any(b.label == "Compare" for b in app.button)  # the page now shows the comparison started
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
    assert (table["rows/s"] > 0).all() and (table["memory MB"] > 0).all()
    assert any(w.value.startswith("Scored on 10 rows only") for w in app.warning)  # too few to trust
    here = table[compare.LOCAL_COST].tolist()
    next(n for n in app.number_input if n.label == "This machine, $ / hour").set_value(0.5).run()
    ten_times = app.dataframe[0].value[compare.LOCAL_COST].tolist()
    assert ten_times == pytest.approx([10 * c for c in here], rel=0.01)  # the machine's price typed in, the costs follow
    app.switch_page("app_pages/jobs.py").run()
    app.switch_page("app_pages/benchmark.py").run()  # the price typed in is kept for the session
    assert next(n for n in app.number_input if n.label == "This machine, $ / hour").value == 0.5


def test_a_model_of_the_other_kind_is_not_offered(settings, two_models):
    app = _form_on_sample()
    next(s for s in app.selectbox if s.label == "Task").set_value("summarize").run()
    models = next(m for m in app.multiselect if m.label.startswith("Models to compare"))
    assert not set(two_models) & set(models.options)


def test_right_answers_outside_the_labels_are_pointed_out_before_comparing(settings, two_models):
    app = _form_on_sample("billing\ntechnical_support\naccount_access\nshipping\nreturns")  # no 'feedback'
    warning = " ".join(w.value for w in app.warning)
    assert "are not among the labels, so no model can give them: 'feedback' (" in warning


def test_the_right_answers_offered_first_suit_the_task(settings, two_models):
    app = _form_on_sample()
    next(s for s in app.selectbox if s.label == "Task").set_value("summarize").run()
    next(m for m in app.multiselect if m.label.startswith("Text column")).set_value(["Body"]).run()
    assert next(s for s in app.selectbox if s.label == "Column with the right answers").value == "Subject"


def test_a_comparisons_job_says_so_and_is_scored_against_its_answers_on_job_results(settings, two_models):
    comparison_id = compare.start_comparison(settings, ZERO_SHOT, compare.Sheet(EMAILS, "category", rows=8), two_models)
    _run_queue(settings)
    job_id = compare.comparison_jobs(settings, comparison_id)[0].id
    app = page("job_results.py", job=str(job_id)).run()
    assert not app.exception, app.exception
    assert any(f"one model of comparison #{comparison_id}" in c.value for c in app.caption)
    assert next(s for s in app.selectbox if s.label.startswith("Column of right answers")).value == "category"
    assert any(m.label == "Accuracy" for m in app.metric)


def test_the_form_says_how_long_each_model_took_before(settings, two_models):
    compare.start_comparison(settings, ZERO_SHOT, compare.Sheet(EMAILS, "category", rows=compare.MIN_PACE_ROWS), two_models[:1])
    _run_queue(settings)
    app = page("benchmark.py").run()
    app.get("button_group")[0].set_value(benchmark.NEW).run()
    app = _fill_form(app)
    guide = next(c.value for c in app.caption if c.value.startswith("Time each model will take"))
    assert ("tiny-a about" in guide or "tiny-a under a second" in guide) and "tiny-b" not in guide  # tiny-b never ran here: no guess


def test_the_jobs_page_says_why_a_job_waits_behind_a_comparison(settings, two_models):
    from workbench.jobs import service

    compare.start_comparison(settings, ZERO_SHOT, compare.Sheet(EMAILS, "category", rows=8), two_models[:1])
    service.create_job(settings, ZERO_SHOT, EMAILS, limit=3)
    app = page("jobs.py").run()
    assert not app.exception, app.exception
    waiting = [c.value for c in app.caption if c.value.startswith("Waiting: a comparison")]
    assert len(waiting) == 1  # the job queued after it; the comparison's own job waits for nothing


def test_a_comparison_can_be_removed_from_the_list_and_its_jobs_stay(settings, two_models):
    from workbench.jobs import service

    comparison_id = compare.start_comparison(settings, ZERO_SHOT, compare.Sheet(EMAILS, "category", rows=8), two_models)
    _run_queue(settings)
    app = page("benchmark.py").run()
    assert next(b for b in app.button if b.label == "Remove").disabled
    next(c for c in app.checkbox if c.label.startswith(f"Yes, remove comparison #{comparison_id}")).check().run()
    next(b for b in app.button if b.label == "Remove").click().run()
    assert not app.exception, app.exception
    assert compare.list_comparisons(settings) == [] and len(service.list_jobs(settings)) == 2
    assert app.success[0].value.startswith(f"Comparison #{comparison_id} is off the list")
    assert "Upload a CSV or Excel file with a column of right answers" in app.info[0].value  # back to a new one


def test_models_with_the_same_figures_share_one_point_and_one_number():
    """Drawn one on top of the other, the last model hid the others."""
    import pandas as pd

    table = pd.DataFrame({"model": ["a", "a-none", "b"], "accuracy": [0.9, 0.9, 0.7], "rows/s": [50.0, 50.0, 80.0]})
    chart = trade_off_chart(table, "accuracy")
    assert chart.data.to_dict(orient="records") == [
        {"accuracy": 0.9, "rows/s": 50.0, "model": "a = a-none", "number": "1", "key": "1 · a = a-none"},
        {"accuracy": 0.7, "rows/s": 80.0, "model": "b", "number": "2", "key": "2 · b"}]
    assert [layer.mark.type for layer in chart.layer] == ["circle", "text"]
    assert chart.to_dict()["layer"][0]["encoding"]["color"]["sort"] == ["1 · a = a-none", "2 · b"]  # the table's order
    assert chart.height == PLOT_HEIGHT and chart.autosize.type == "fit-x"  # many models' legend no longer squeezes it
    assert quality_range(pd.Series([0.62, 0.66])) == (0.5, 0.8) and quality_range(pd.Series([0.98, 1.0])) == (0.9, 1.0)


def test_a_sheet_without_a_column_of_right_answers_says_what_to_add(settings):
    app = page("benchmark.py").run()
    app.file_uploader[0].upload("texts.csv", b"Body\nI was charged twice\nWhere is my parcel?\n").run()
    next(t for t in app.text_area if t.label.startswith("Labels")).input("billing\nshipping").run()
    assert not app.exception
    assert any("needs a column of right answers beside the text: this sheet has none. Add one" in info.value
               for info in app.info), [info.value for info in app.info]


def test_labels_the_first_rows_never_have_as_right_answer_are_pointed_out_before_comparing(settings, two_models):
    app = _form_on_sample(LABELS + "\nlegal")  # no email of the sample is about legal matters
    rows = next(n for n in app.number_input if n.label.startswith("Rows to compare on"))
    warnings = [w.value for w in app.warning]
    assert f"No row of the first {rows.value} has 'legal' as its right answer" in " ".join(warnings)
    rows.set_value(1).run()  # one row's right answer names one label of the seven
    never = next(w.value for w in app.warning if w.value.startswith("No row of the first 1 has"))
    assert never.count("'") == 2 * 6 and "' or '" in never


def test_each_comparison_chosen_is_shown_at_the_first_choice(settings, two_models):
    """Unkeyed, the box became a new widget after each change and dropped the next choice."""
    ids = [compare.start_comparison(settings, ZERO_SHOT, compare.Sheet(EMAILS, "category", rows=rows), two_models[:1])
           for rows in (4, 6)]
    app = page("benchmark.py").run()
    box = lambda: next(s for s in app.selectbox if s.label == "Comparison")  # noqa: E731
    assert box().value == ids[1]  # the newest
    for chosen in (ids[0], ids[1], ids[0]):
        box().set_value(chosen).run()
        assert not app.exception and box().value == chosen
        assert any(f"job #{job.id}" in c.value for job in compare.comparison_jobs(settings, chosen) for c in app.caption)
