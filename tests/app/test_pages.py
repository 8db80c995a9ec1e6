"""Every page, run headless with Streamlit's AppTest against a fresh data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from tests import generative_fixtures
from tests.conftest import SAMPLE_DIR
from tests.generative_fixtures import run_through_service
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.jobs import service
from workbench.jobs.results import reading_spec, results_frame
from workbench.jobs.runner import run_job
from workbench.models.registry import load_encoder
from workbench.tasks.spec import spec_from_dict
from workbench.ui.widgets import _FAILED_DOWNLOADS

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
TIMEOUT = 60


@pytest.fixture(autouse=True)
def fresh_app(monkeypatch):
    """The pages cache their settings per process; each test has its own data folder and no worker."""
    from workbench.ui.context import app_settings

    monkeypatch.setattr("workbench.ui.context.ensure_worker", lambda _settings: None)
    app_settings.clear()
    yield
    app_settings.clear()
    _FAILED_DOWNLOADS.clear()  # kept by the server process, by job number: each test's job 1 is another job


def page(name: str, **query) -> AppTest:
    """The app through its entry point (so page switches work), opened on one page."""
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    app.query_params.update(query)
    return app.run().switch_page(f"app_pages/{name}")


tiny_generator = generative_fixtures.tiny_generator


def demo_job(settings) -> int:
    return service.create_job_from_task_file(settings, SAMPLES / "support_emails.task.yaml", SAMPLES / "support_emails.csv")


def run_now(settings, job_id: int, loader) -> None:
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, runner_pid=0)
    assert run_job(settings, job_id, encoder_loader=loader) == "completed"


def test_home_is_the_default_page(settings):
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT).run()
    assert not app.exception
    assert app.title[0].value.endswith("SLM Workbench")


def test_home_demo_button_creates_a_queued_job(settings):
    app = page("home.py").run()
    assert not app.exception
    app.button[0].click().run()
    assert not app.exception
    jobs = service.list_jobs(settings)
    assert [job.status for job in jobs] == ["queued"]
    assert jobs[0].total_rows == 64
    assert app.title[0].value == "Job results"  # the user lands on the new job


def test_home_offers_the_demo_job_already_made_before_another(settings):
    page("home.py").run().button[0].click().run()
    again = page("home.py").run()
    assert [b.label for b in again.button] == ["Open the demo job (#1, queued)", "▶ Run the demo again"]
    again.button[0].click().run()
    assert not again.exception and len(service.list_jobs(settings)) == 1
    assert again.title[0].value == "Job results"


def test_jobs_page_shows_an_empty_state_then_the_jobs(settings, tiny_loader):
    app = page("jobs.py").run()
    assert "No jobs yet" in app.info[0].value
    run_now(settings, demo_job(settings), tiny_loader)
    demo_job(settings)
    app = page("jobs.py").run()
    assert not app.exception
    headers = [h.value for h in app.subheader]  # the queued job above the finished one
    assert headers == ["⏳ Job #2: Support email triage", "Finished and stopped jobs", "✅ Job #1: Support email triage"]
    assert any("64 / 64" in bar.proto.text for bar in app.get("progress"))


def test_the_jobs_page_marks_a_job_started_from_the_command_line(settings):
    service.create_job_from_task_file(settings, SAMPLES / "support_emails.task.yaml", SAMPLES / "support_emails.csv",
                                      source="cli", runner_pid=os.getpid())
    demo_job(settings)
    captions = [c.value for c in page("jobs.py").run().caption if c.value.startswith("Task:")]
    assert ["started from the command line" in c for c in captions] == [False, True]  # newest first


def test_jobs_page_cancels_and_resumes_a_job(settings):
    job_id = demo_job(settings)
    app = page("jobs.py").run()
    next(b for b in app.button if b.label == "Cancel job").click().run()
    assert not app.exception
    assert service.get_job(settings, job_id).status == "cancelled"
    next(b for b in app.button if b.label == "Resume").click().run()
    assert service.get_job(settings, job_id).status == "queued"


def test_a_job_paused_as_its_last_batch_was_saved_can_still_be_completed(settings, tiny_loader):
    job_id = demo_job(settings)
    run_now(settings, job_id, tiny_loader)
    with session_scope(settings) as session:
        repo.get_job(session, job_id).status = "paused"  # paused as its last batch was being saved
    app = page("jobs.py").run()
    next(b for b in app.button if b.label == "Resume").click().run()
    assert not app.exception and service.get_job(settings, job_id).status == "queued"  # the worker completes it


def test_the_confidence_histogram_counts_rows_per_tenth():
    from workbench.io.result_columns import with_results
    from workbench.ui.widgets import confidence_counts

    frame = with_results(pd.DataFrame(index=range(5)), pd.DataFrame({"confidence": [0.05, 0.95, 1.0, "", 0.5]}))
    counts = confidence_counts(frame)
    assert (counts["0.0–0.1"], counts["0.5–0.6"], counts["0.9–1.0"], counts.sum()) == (1, 1, 2, 4)


def test_a_job_shows_when_it_was_created_in_local_time(monkeypatch):
    import time
    from datetime import datetime

    from workbench.ui.widgets import local_time

    monkeypatch.setenv("TZ", "XYZ-1")  # a POSIX rule, one hour east of UTC: no time zone database needed
    time.tzset()
    try:
        assert local_time(datetime(2026, 11, 29, 12, 0)) == "29 Nov 2026, 13:00"  # stored in UTC, shown an hour later
    finally:
        monkeypatch.delenv("TZ")  # the machine's own zone again (TZ unset on every machine this runs on)
        time.tzset()


def test_job_results_shows_table_chart_and_downloads(real_settings):
    settings = real_settings
    job_id = demo_job(settings)
    run_now(settings, job_id, lambda name: load_encoder(settings, name))
    app = page("job_results.py", job=str(job_id)).run()
    assert not app.exception
    table = app.dataframe[0].value
    assert len(table) == 64 and list(table.columns[:3]) == ["label", "confidence", "needs_review"]
    labels = {"billing", "technical_support", "account_access", "shipping", "returns", "feedback"}
    assert set(table["label"]) <= labels
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Rows answered, of 64"] == "64" and metrics["Failed rows"] == "0"
    to_review = int(metrics["Need review"])
    assert 0 < to_review < 64  # the real model is unsure of a few sample emails, so the filter has work
    downloads = [b.proto.label for b in app.get("download_button")]
    assert downloads == ["Download CSV", "Download XLSX", "Download as a task file"]
    app.toggle[0].set_value(True).run()
    assert len(app.dataframe[0].value) == to_review


def test_job_results_counts_rows_per_queue_for_a_route_job(settings, tiny_loader):
    job_id = service.create_job_from_task_file(settings, SAMPLES / "support_emails.route.task.yaml",
                                               SAMPLES / "support_emails.csv", limit=8)
    run_now(settings, job_id, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    assert not app.exception
    assert "Rows per queue" in [h.value for h in app.subheader]
    # The settings it ran with, descriptions and fallback too: the page showed the task and model alone.
    shown = spec_from_dict(yaml.safe_load(next(c.value for c in app.code if "task: route" in c.value)))
    assert shown.pinned().to_dict() == service.get_job(settings, job_id).spec
    assert "Download as a task file" in [b.proto.label for b in app.get("download_button")]


def test_the_label_chart_counts_every_label_even_one_no_row_got():
    from workbench.ui.widgets import label_counts

    frame = pd.DataFrame({"queue": ["billing", "Other", "billing", ""]})
    frame.attrs["spec"] = reading_spec({"labels": [{"name": "shipping"}, {"name": "billing"}]})
    assert label_counts(frame, "queue").to_dict() == {"shipping": 0, "billing": 2, "Other": 1}
    routed = pd.DataFrame({"queue": ["billing", "billing"]})  # every row routed: the fallback queue is shown at 0
    routed.attrs["spec"] = reading_spec({"labels": [{"name": "billing"}], "fallback": "Triage"})
    assert label_counts(routed, "queue").to_dict() == {"billing": 2, "Triage": 0}


def test_new_job_with_a_sample_file_tries_five_rows_and_runs(real_settings):
    app = page("new_job.py").run()
    app.radio[0].set_value("Use a sample file").run()
    sample = next(s for s in app.selectbox if s.label == "Sample file")
    sample.set_value("support_emails.csv").run()
    assert not app.exception
    app.multiselect[0].set_value(["Subject", "Body"]).run()
    app.text_area[0].input("billing: invoices and charges\nshipping: parcels and delivery\nreturns").run()
    next(b for b in app.button if b.label == "Try on 5 rows").click().run()
    assert not app.exception, app.exception
    tried = app.dataframe[-1].value
    assert len(tried) == 5 and set(tried["label"]) <= {"billing", "shipping", "returns"}
    next(b for b in app.button if b.label == "Run on all rows").click().run()
    job = service.list_jobs(real_settings)[0]
    assert job.status == "queued" and job.total_rows == 64 and job.spec["text"] == ["Subject", "Body"]


def test_new_job_offers_only_models_of_the_kind_the_template_runs_on(settings, tiny_encoder_folder, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MODELS_DIR", str(tiny_encoder_folder.parent))  # holds one prepared encoder
    app = page("new_job.py").run()
    app.radio[0].set_value("Use a sample file").run()
    next(s for s in app.selectbox if s.label == "Sample file").set_value("support_emails.csv").run()
    app.multiselect[0].set_value(["Body"]).run()
    model = next(s for s in app.selectbox if s.label == "Model")
    assert model.options == ["default", "tiny-encoder (int8-per-channel)"]  # classify runs on encoders
    next(s for s in app.selectbox if s.label == "Task").set_value("summarize").run()
    model = next(s for s in app.selectbox if s.label == "Model")
    assert model.options == ["default"] and "comes with the app (SmolLM2-135M-Instruct)" in model.help
    next(s for s in app.selectbox if s.label == "Task").set_value("extract").run()
    app.text_area[0].input("person (names): names of people").run()  # filled by the encoder alone
    assert next(s for s in app.selectbox if s.label == "Model").options == ["default", "tiny-encoder (int8-per-channel)"]
    app.text_area[0].input("person (names): names of people\namount (money)").run()
    model = next(s for s in app.selectbox if s.label == "Model")
    assert model.options == ["default"] and "names fields are filled by the bundled encoder" in model.help
    assert not app.exception


def test_job_results_counts_the_rows_of_a_job_without_confidence(settings, tiny_generator, tmp_path):
    frame = pd.read_csv(SAMPLES / "support_emails.csv").head(6)
    frame["error"] = "its own column"  # the file's own `error` column is not the job's failures
    frame.to_csv(tmp_path / "emails.csv", index=False)
    spec = {"task": "custom", "text": ["Body"], "instruction": "Say thanks for: {Body}", "max_words": 3}
    run_through_service(settings, tiny_generator, spec, tmp_path / "emails.csv", limit=None)
    app = page("job_results.py", job="1").run()
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Rows answered, of 6"], metrics["Failed rows"], metrics["Average confidence"]) == ("6", "0", "–")


def _review_job(settings, loader) -> int:
    job_id = service.create_job_from_task_file(settings, SAMPLES / "support_emails.route.task.yaml",
                                               SAMPLES / "support_emails.csv", limit=8)
    run_now(settings, job_id, loader)
    return job_id


def test_the_review_queue_saves_a_corrected_answer_and_can_take_it_back(settings, tiny_loader):
    from workbench.jobs import review

    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    app.toggle(key=f"review-all-{job_id}").set_value(True).run()  # the tiny model flags rows at random
    assert not app.exception and "Review" in [h.value for h in app.subheader]
    queue_box = next(s for s in app.selectbox if s.label == "queue")
    model_answer = queue_box.value
    corrected = next(option for option in queue_box.options if option != model_answer)
    queue_box.set_value(corrected)
    next(b for b in app.button if b.label == "Save answer").click().run()
    assert not app.exception
    reviews = review.job_reviews(settings, job_id)
    assert list(reviews.values()) == [{"queue": corrected}]
    row = next(iter(reviews))
    table = app.dataframe[0].value
    assert table["queue"].iloc[row] == corrected and bool(table["reviewed"].iloc[row])
    changed = app.dataframe[1].value["changed"].tolist()  # the Reviewed rows table
    assert changed == [f"queue: {model_answer} → {corrected}"]
    assert "Reviewed rows (1): the model's answers confirmed on 0 of 1 (0%)" in [e.label for e in app.expander]
    assert next(s for s in app.selectbox if s.label == "queue").value is not None  # the next row is up
    app.selectbox(key=f"take-back-row-{job_id}").set_value(row)
    next(b for b in app.button if b.label == "Take back this review").click().run()
    assert review.job_reviews(settings, job_id) == {}
    assert "reviewed" not in app.dataframe[0].value.columns
    # Back in the queue, the row's box offers the model's answer again, not the correction taken back.
    assert f"review-answer-{job_id}-{row}-queue" not in app.session_state


def test_job_results_scores_the_model_on_the_reviewed_rows(settings, tiny_loader):
    from workbench.jobs import review
    from workbench.jobs.review import RowReview

    job_id = _review_job(settings, tiny_loader)
    queues = results_frame(settings, job_id)["queue"]
    other = next(q for q in ("billing", "shipping") if q != queues[1])
    review.save_reviews(settings, job_id, [RowReview(0, {"queue": queues[0]}), RowReview(1, {"queue": other})])
    app = page("job_results.py", job=str(job_id)).run()
    next(s for s in app.selectbox if s.label.startswith("Column of right answers")).set_value(
        "The rows you reviewed").run()
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Accuracy"], metrics["Rows scored"]) == ("50.0%", "2")
    assert any("your answers taken as the right ones" in c.value for c in app.caption)


def test_the_reviewed_rows_are_offered_as_answers_before_the_first_review(settings, tiny_loader):
    """The choices must not change with a review: the review section reruns alone, and a box whose options had changed
    dropped the user's next choice of column (browser audit)."""
    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    box = next(s for s in app.selectbox if s.label.startswith("Column of right answers"))
    assert "The rows you reviewed" in box.options
    box.set_value("The rows you reviewed").run()
    assert not app.exception, app.exception
    assert any("No row of this job is reviewed yet" in e.value for e in app.info) and not app.error  # no mistake


def test_a_review_saved_on_the_page_is_among_the_reviewed_rows_scored(settings, tiny_loader):
    """Saving a review reruns the review section alone: the scores read the reviews when they are drawn."""
    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    app.toggle(key=f"review-all-{job_id}").set_value(True).run()
    next(b for b in app.button if b.label == "Save answer").click().run()  # the model's answer, confirmed
    next(s for s in app.selectbox if s.label.startswith("Column of right answers")).set_value(
        "The rows you reviewed").run()
    assert not app.exception and any("Scored on the 1 row you reviewed" in c.value for c in app.caption)


def test_a_link_to_a_job_that_is_not_there_says_so(settings, tiny_loader):
    """job=999 showed the newest job without a word: a user following an old link took it for theirs."""
    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job="999").run()
    assert any("There is no job #999" in w.value for w in app.warning)
    assert app.selectbox[0].value == job_id and "route" in app.selectbox[0].format_func(job_id)  # told apart by task


def test_job_results_shows_what_the_template_found_on_the_jobs_rows(settings, tiny_loader):
    from workbench.db import repo
    from workbench.db.session import session_scope

    job_id = _review_job(settings, tiny_loader)
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        job.measurements = {**job.measurements, "notes": ["On 200 of the job's rows the text generator agreed."]}
    app = page("job_results.py", job=str(job_id)).run()
    assert "On 200 of the job's rows the text generator agreed." in [c.value for c in app.caption]


def test_an_extract_jobs_review_starts_with_the_rows_that_have_errors(settings):
    from tests.test_review import _stored_job

    spec = {"task": "extract", "text": ["Subject", "Body"], "fields": [{"name": "order", "type": "number"}]}
    job_id = _stored_job(settings, spec, [{"order": 5531, "extraction_errors": ""},
                                          {"order": None, "extraction_errors": "order: 'abc' is not a number"}])
    app = page("job_results.py", job=str(job_id)).run()
    assert not app.exception, app.exception
    assert any("rows with extraction errors first" in c.value for c in app.caption)
    assert [m.value for m in app.markdown if m.value.startswith("**Row ")][0].startswith("**Row 2**")
    assert [w.value for w in app.warning] == ["Values dropped: order: 'abc' is not a number"]  # why it came first


def test_a_review_that_cannot_be_saved_says_why_and_keeps_the_row_on_screen(settings):
    from tests.test_review import _stored_job
    from workbench.jobs import review

    spec = {"task": "summarize", "text": ["Subject", "Body"], "summary": {"style": "one_sentence"}}
    job_id = _stored_job(settings, spec, [{"summary": "A refund is asked for."}])
    app = page("job_results.py", job=str(job_id)).run()
    app.text_area(key="review-answer-1-0-summary").set_value("")
    next(b for b in app.button if b.label == "Save answer").click().run()
    assert not app.exception, app.exception
    assert any("The summary is empty" in e.value for e in app.error), [e.value for e in app.error]
    assert review.job_reviews(settings, job_id) == {}
    assert [m.value for m in app.markdown if m.value.startswith("**Row ")][0].startswith("**Row 1**")


def test_skipping_a_row_shows_the_next_one(settings, tiny_loader):
    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    app.toggle(key=f"review-all-{job_id}").set_value(True).run()
    shown = [m.value for m in app.markdown if m.value.startswith("**Row ")]
    next(b for b in app.button if b.label == "Skip for now").click().run()
    after = [m.value for m in app.markdown if m.value.startswith("**Row ")]
    assert shown and after and shown != after


def test_skipping_goes_round_the_queue_again_and_again(settings, tiny_loader):
    """Skipping every row starts another round; it stuck on the queue's first row for good."""
    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    app.toggle(key=f"review-all-{job_id}").set_value(True).run()
    seen = []
    for _ in range(8 * 2 + 1):  # the job's 8 rows, twice round and one more
        seen.append(next(m.value for m in app.markdown if m.value.startswith("**Row ")).split("**")[1])
        next(b for b in app.button if b.label == "Skip for now").click().run()
    assert len(set(seen)) == 8 and seen[:8] == seen[8:16] and seen[16] == seen[0]


def test_a_reviewed_job_runs_again_learning_from_its_reviews(settings, tiny_loader):
    from workbench.jobs import review
    from workbench.jobs.review import RowReview

    job_id = _review_job(settings, tiny_loader)
    review.save_reviews(settings, job_id, [RowReview(0, {"queue": "billing"})])
    app = page("job_results.py", job=str(job_id)).run()
    next(b for b in app.button if b.label == "Run again, learning from the reviewed row").click().run()
    assert not app.exception
    newest = service.list_jobs(settings)[0]
    before = service.get_job(settings, job_id).spec["examples"]
    assert newest.id != job_id and newest.status == "queued" and newest.spec["examples"][:-1] == before
    assert newest.spec["examples"][-1]["label"] == "billing"
    assert app.query_params["job"] == str(newest.id)


def test_a_review_typed_while_the_job_answers_more_rows_is_saved_for_the_row_on_screen(settings, tiny_loader):
    from workbench.jobs import review

    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    app.toggle(key=f"review-all-{job_id}").set_value(True).run()
    on_screen = int(next(m.value for m in app.markdown if m.value.startswith("**Row ")).split()[1].rstrip("*")) - 1
    with session_scope(settings) as session:  # meanwhile a less sure row comes first in the queue
        result = next(r for r in repo.job_results(session, job_id) if r.row_index != on_screen)
        result.confidence, result.outputs = 0.0001, {**result.outputs, "confidence": 0.0001}
    box = next(s for s in app.selectbox if s.label == "queue")
    box.set_value(next(option for option in box.options if option != box.value))
    next(b for b in app.button if b.label == "Save answer").click().run()
    assert list(review.job_reviews(settings, job_id)) == [on_screen]


def test_a_running_jobs_page_reads_its_input_once_and_its_answers_each_time_more_are_saved(settings, tiny_loader,
                                                                                          monkeypatch):
    from workbench.jobs.results import input_rows
    from workbench.ui import context

    reads = []
    monkeypatch.setattr(context, "input_rows", lambda job: reads.append(job.id) or input_rows(job))
    context._job_answers.clear()
    context._input_rows.clear()
    job_id = demo_job(settings)
    before = context.job_answers(service.get_job(settings, job_id))
    run_now(settings, job_id, tiny_loader)
    after = context.job_answers(service.get_job(settings, job_id))
    assert reads == [job_id]
    assert (before["label"] == "").all() and (after["label"] != "").all()
    pd.testing.assert_frame_equal(after, results_frame(settings, job_id, reviewed=False))


def _wait_until_written(settings, job_id: int):
    import time

    from workbench.jobs import prepared

    for _ in range(600):
        state = prepared.preparing(settings, job_id, "xlsx")
        if state is not None and state.finished:
            return state
        time.sleep(0.1)
    raise AssertionError("the XLSX was not written within a minute")


def _answer_downloads(app):
    """The answers' download buttons, not the settings' task file offered beside them."""
    return [b.proto.label for b in app.get("download_button") if b.proto.label != "Download as a task file"]


def test_a_large_jobs_xlsx_is_written_first_then_downloaded(settings, tiny_loader, monkeypatch):
    from workbench.io import read_table
    from workbench.jobs import prepared

    monkeypatch.setattr(prepared, "PREPARED_XLSX_CELLS", 8 * 8)  # the 8-row job (4 columns, 4 answers) counts as large
    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    assert _answer_downloads(app) == ["Download CSV"]  # the CSV is quick at any size
    next(b for b in app.button if b.label == "Prepare the XLSX").click().run()
    assert _wait_until_written(settings, job_id).error is None
    app.run()
    assert not app.exception
    assert _answer_downloads(app) == ["Download CSV", "Download XLSX"]
    written = read_table(prepared.prepared_path(settings, job_id, "xlsx"))
    assert written["queue"].tolist() == results_frame(settings, job_id)["queue"].tolist()
    assert any(b.label == "Write the XLSX again" for b in app.button)


@pytest.mark.parametrize(("streamed_over", "said"), [(0, True), (1_000_000, False)])
def test_a_large_workbooks_download_says_it_keeps_values_not_formatting(settings, tiny_loader, monkeypatch,
                                                                       streamed_over, said):
    from workbench.io import workbook_export

    monkeypatch.setattr(workbook_export, "STREAMED_OVER_CELLS", streamed_over)
    job_id = service.create_job_from_task_file(settings, SAMPLES / "support_emails.route.task.yaml",
                                               SAMPLES / "support_emails.xlsx", limit=4)
    run_now(settings, job_id, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    assert not app.exception
    assert any("not its other formatting" in c.value for c in app.caption) == said


def test_a_large_jobs_xlsx_that_cannot_be_written_says_why(settings, tiny_loader, monkeypatch):
    from workbench.errors import InputFileError
    from workbench.jobs import prepared

    def damaged(*_args):
        raise InputFileError("A sheet of 'in.xlsx' is damaged. Download CSV instead.")

    monkeypatch.setattr(prepared, "PREPARED_XLSX_CELLS", 1)
    monkeypatch.setattr(prepared, "export_job", damaged)
    job_id = _review_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    next(b for b in app.button if b.label == "Prepare the XLSX").click().run()
    assert "damaged" in _wait_until_written(settings, job_id).error
    app.run()
    assert any("is damaged. Download CSV instead" in e.value for e in app.error)
    assert _answer_downloads(app) == ["Download CSV"]
    assert not list(settings.exports_dir.glob(f"job_{job_id}.*"))  # nothing half-written is left


def test_a_download_that_failed_in_the_browser_is_explained_on_the_jobs_page(settings, tiny_loader, monkeypatch):
    from workbench.errors import InputFileError
    from workbench.ui import widgets

    def damaged(*_args):
        raise InputFileError("A sheet of 'in.xlsx' is damaged. Download CSV instead.")

    job_id = _review_job(settings, tiny_loader)
    export = widgets._exporter(job_id, "xlsx")  # what the Download XLSX button runs when clicked
    with monkeypatch.context() as patched:
        patched.setattr(widgets, "export_job", damaged)
        with pytest.raises(InputFileError):
            export()  # the browser says only "Failed to generate file for download"
    app = page("job_results.py", job=str(job_id)).run()
    assert any("The XLSX download failed: A sheet of 'in.xlsx' is damaged" in e.value for e in app.error)
    assert export()[:2] == b"PK"  # it works again (a workbook): the page no longer says it failed
    assert not any("download failed" in e.value for e in app.run().error)


def test_the_review_says_when_no_row_is_answered_yet(settings):
    job_id = service.create_job_from_task_file(settings, SAMPLES / "support_emails.route.task.yaml",
                                               SAMPLES / "support_emails.csv", limit=8)
    app = page("job_results.py", job=str(job_id)).run()
    assert any("No rows are answered yet" in s.value for s in app.success)


def test_the_results_table_draws_flags_and_numbers_as_such_beside_rows_without_answers():
    import pyarrow as pa

    from workbench.ui.widgets import typed_answers

    # A failed row's answers are "" in the results, kept so for the download.
    frame = pd.DataFrame({"label": ["billing", ""], "confidence": [0.9, ""], "needs_review": [True, ""],
                          "error": ["", "The text is too long"], "Body": ["x", "y"]}, dtype=object)
    typed = typed_answers(frame, ["label", "confidence", "needs_review", "error"])
    schema = pa.Schema.from_pandas(typed)  # what the table is drawn from: it raised ArrowInvalid on "" among numbers
    assert str(schema.field("confidence").type) == "double" and str(schema.field("needs_review").type) == "bool"
    assert typed["needs_review"].isna().tolist() == [False, True] and frame.at[1, "confidence"] == ""


@pytest.mark.parametrize(("errors", "columns"), [
    (["", ""], ["label", "confidence", "Body"]),  # no row has a problem: no wide empty column before the texts
    (["", "The text is too long"], ["label", "confidence", "Body", "error"]),
])
def test_the_results_table_shows_the_rows_problems_last_and_only_where_there_are_some(monkeypatch, errors, columns):
    from workbench.ui import widgets

    drawn = {}
    monkeypatch.setattr(widgets.st, "dataframe", lambda table, **_: drawn.setdefault("columns", list(table.columns)))
    frame = pd.DataFrame({"label": ["billing", "shipping"], "confidence": [0.9, 0.8], "error": errors,
                          "Body": ["x", "y"]}, dtype=object)
    frame.attrs["result_columns"] = ["label", "confidence", "error"]
    frame.attrs["result_names"] = {name: name for name in frame.attrs["result_columns"]}
    widgets.results_table(frame)
    assert drawn["columns"] == columns


def test_another_file_gets_its_own_text_column_not_an_empty_choice(settings):
    app = page("new_job.py").run()
    app.radio[0].set_value("Use a sample file").run()
    sample = next(s for s in app.selectbox if s.label == "Sample file")
    sample.set_value("support_emails.csv").run()
    app.multiselect[0].set_value(["Subject", "Body"]).run()
    next(s for s in app.selectbox if s.label == "Sample file").set_value("product_reviews.csv").run()
    assert not app.exception
    assert app.multiselect[0].value == ["review"]  # the longest column of the new file, as on a first choice


def test_a_label_columns_examples_come_from_the_whole_sheet_each_labels_first_ones(tmp_path):
    from workbench.io.rows import EXAMPLES_PER_LABEL
    from workbench.ui.new_job import examples_note, sheet_examples

    # Sorted by label, as BANKING77's file is: the preview's first 500 rows held 4 of its 77 labels.
    rows = [(f"message {n} about {label}", label) for label in ("a", "b", "c") for n in range(400)]
    pd.DataFrame(rows, columns=["text", "category"]).to_csv(tmp_path / "sorted.csv", index=False)
    examples = sheet_examples(str(tmp_path / "sorted.csv"), None, None, ("text",), "category")
    assert [e["label"] for e in examples] == ["a"] * EXAMPLES_PER_LABEL + ["b"] * EXAMPLES_PER_LABEL + ["c"] * EXAMPLES_PER_LABEL
    assert examples[0] == {"text": "message 0 about a", "label": "a"}
    assert examples_note(examples).startswith("75 labelled examples of 3 labels from the whole sheet")


def test_an_examples_workbook_offers_its_sheets_and_starts_on_its_label_column(tmp_path):
    with pd.ExcelWriter(tmp_path / "examples.xlsx") as book:
        pd.DataFrame({"note": ["x"]}).to_excel(book, sheet_name="Read me", index=False)
        pd.DataFrame({"message": ["refund please", "where is my parcel", "charged twice"],
                      "team": ["billing", "shipping", "billing"]}).to_excel(book, sheet_name="Examples", index=False)

    def choose(path: str) -> None:
        import streamlit as st

        from workbench.ui.new_job import examples_from_file

        st.session_state["found"] = examples_from_file(path)

    app = AppTest.from_function(choose, args=(str(tmp_path / "examples.xlsx"),)).run()
    next(s for s in app.selectbox if s.label == "Examples: sheet").set_value("Examples").run()
    assert not app.exception
    assert next(s for s in app.selectbox if s.label == "Examples: label column").value == "team"
    assert [e["label"] for e in app.session_state["found"]] == ["billing", "shipping", "billing"]


def test_a_file_that_has_label_and_label_result_gets_the_answers_in_a_third_column(settings, tiny_loader, tmp_path):
    rerun = pd.read_csv(SAMPLES / "support_emails.csv").head(6).assign(label="old", label_result="x")
    rerun.to_csv(tmp_path / "downloaded_twice.csv", index=False)
    job_id = service.create_job_from_task_file(settings, SAMPLES / "support_emails.task.yaml",
                                               tmp_path / "downloaded_twice.csv")
    run_now(settings, job_id, tiny_loader)
    frame = results_frame(settings, job_id)
    assert frame.columns.is_unique and (frame["label"] == "old").all() and (frame["label_result"] == "x").all()
    labels = {label["name"] for label in service.get_job(settings, job_id).spec["labels"]}
    assert frame["label_result_2"].isin(labels).all()
    app = page("job_results.py", job=str(job_id)).run()
    assert not app.exception, app.exception


def test_a_stopped_job_is_deleted_from_its_results_page(settings, tiny_loader):
    job_id = demo_job(settings)
    assert not any(b.label.startswith("Delete job") for b in page("job_results.py", job=str(job_id)).run().button)
    run_now(settings, job_id, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    next(b for b in app.button if b.label == f"Delete job #{job_id}").click().run()
    assert not app.exception, app.exception
    assert service.list_jobs(settings) == []
    assert app.success[0].value == f"Deleted job #{job_id} with its answers and reviews."  # on the Jobs page


def test_a_job_whose_input_copy_is_gone_still_offers_its_answers(settings, tiny_loader):
    import shutil

    job_id = demo_job(settings)
    run_now(settings, job_id, tiny_loader)
    shutil.rmtree(Path(service.get_job(settings, job_id).input_path).parent)
    app = page("job_results.py", job=str(job_id)).run()
    assert not app.exception, app.exception
    assert "is gone from the app's data folder" in app.error[0].value
    assert _answer_downloads(app) == ["Download CSV", "Download XLSX"] and any(b.label == f"Delete job #{job_id}" for b in app.button)


def test_a_setting_that_is_not_a_number_is_said_on_the_page(settings, monkeypatch):
    from workbench.ui.context import app_settings

    monkeypatch.setenv("WORKBENCH_MAX_ROWS", "lots")
    app_settings.clear()
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT).run()
    assert not app.exception, app.exception
    assert any("WORKBENCH_MAX_ROWS must be a whole number" in error.value for error in app.error)
    monkeypatch.delenv("WORKBENCH_MAX_ROWS")
    app_settings.clear()


def test_the_average_confidence_is_the_models_whatever_the_reviews(settings):
    """A corrected row has no confidence with the reviews applied, and the tile moved with every review (audit)."""
    from tests.test_review import _stored_job
    from workbench.jobs import review
    from workbench.jobs.review import RowReview

    spec = {"task": "route", "text": ["Subject", "Body"], "labels": ["billing", "shipping"]}
    job_id = _stored_job(settings, spec, [{"queue": "billing", "confidence": 0.9, "needs_review": False},
                                          {"queue": "shipping", "confidence": 0.3, "needs_review": True}])
    review.save_reviews(settings, job_id, [RowReview(0, {"queue": "shipping"})])  # corrected: no confidence of its own
    app = page("job_results.py", job=str(job_id)).run()
    assert next(m.value for m in app.metric if m.label == "Average confidence") == "0.60"  # not 0.30


def test_new_job_reads_a_files_sheets_and_preview_once_not_at_every_redraw(settings, monkeypatch):
    """A 100,000-row workbook's sheets, preview and notes took 3 s of every click on New job (5-7 s on a busy
    machine)."""
    from workbench.ui import new_job

    reads = []
    original = new_job.read_table
    monkeypatch.setattr(new_job, "read_table", lambda *a, **k: reads.append(a) or original(*a, **k))
    new_job._preview.clear()
    chosen = new_job.ChosenInput(SAMPLE_DIR / "support_emails.csv", "support_emails.csv", None)
    table = new_job.TablePlace(None)
    first = new_job.preview(chosen, table)
    again = new_job.preview(chosen, table)
    assert len(reads) == 1 and first.equals(again) and again.attrs["read_from"] == (str(chosen.path), None, None)


@pytest.mark.parametrize("name", ["home.py", "jobs.py", "job_results.py", "templates.py"])
def test_a_damaged_database_is_a_message_on_every_page(data_dir, name):
    from workbench.db.session import engine_for

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "workbench.db").write_bytes(bytes(range(256)) * 40)
    engine_for.cache_clear()
    app = page(name).run()
    assert not app.exception, app.exception
    assert any("The app's database file" in error.value and "is damaged, or was made by another program" in error.value
               for error in app.error), [error.value for error in app.error]


def test_the_confusion_charts_counts_are_white_on_its_dark_cells():
    """Black on dark blue read at 2.4:1, in either theme."""
    from workbench.ui.evaluation import confusion_chart

    text_layer = confusion_chart(pd.DataFrame([[11, 1], [0, 9]], index=["a", "b"], columns=["a", "b"])).to_dict()["layer"][1]
    colour = text_layer["encoding"]["color"]
    assert colour["condition"]["value"] == "white" and colour["value"] == "black"
    assert "5.5" in colour["condition"]["test"]  # half the largest count


def test_figures_read_with_a_running_jobs_rows_say_how_many_rows_they_count(monkeypatch):
    """"Rows answered 14,720" beside "Need review 0" and an empty chart looked wrong, not late."""
    from types import SimpleNamespace

    from workbench.ui import results_page

    said = []
    monkeypatch.setattr(results_page.st, "caption", said.append)
    job = SimpleNamespace(status="running", done_rows=14_720, failed_rows=0, total_rows=44_800)
    results_page._read_when(job, answered_at_load=3_200)
    assert said == ["Need review, average confidence, the charts and the table count the 3,200 rows answered when "
                    "they were last read; they are read again about every 45 s while the job runs."]
    results_page._read_when(job, answered_at_load=14_720)  # caught up: nothing to say
    results_page._read_when(SimpleNamespace(**{**vars(job), "status": "completed"}), answered_at_load=3_200)
    assert len(said) == 1
