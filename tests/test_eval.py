import pytest

from workbench.eval.metrics import classification_report


def test_scores_match_a_hand_computed_example():
    truth = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "c", "c"]
    report = classification_report(truth, predicted)
    assert report.accuracy == pytest.approx(4 / 6)
    a, b, c = (report.per_label.loc[label] for label in "abc")
    assert (a.precision, a.recall) == (1.0, pytest.approx(2 / 3))
    assert (b.precision, b.recall) == (0.5, 0.5)
    assert (c.precision, c.recall) == (0.5, 1.0)
    assert report.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert report.confusion.loc["a", "b"] == 1 and report.confusion.to_numpy().sum() == 6


def test_an_answer_outside_the_right_answers_costs_precision_not_a_label_of_its_own():
    report = classification_report(["a", "b"], ["a", "Other"])
    assert report.accuracy == 0.5
    assert list(report.confusion.columns) == ["Other", "a", "b"]
    assert report.per_label.loc["Other", "support"] == 0
    assert report.macro_f1 == pytest.approx((1.0 + 0.0) / 2)  # only labels that have right answers count


def test_labels_are_compared_as_trimmed_text():
    assert classification_report([" billing", 1], ["billing ", "1"]).accuracy == 1.0


def _finished_job(settings, tiny_loader):
    import os

    from tests.conftest import SAMPLE_DIR
    from workbench.db import repo
    from workbench.db.session import session_scope
    from workbench.jobs import service
    from workbench.jobs.runner import run_job

    job_id = service.create_job_from_task_file(settings, SAMPLE_DIR / "support_emails.task.yaml",
                                               SAMPLE_DIR / "support_emails.csv", limit=20)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    return job_id


def test_a_job_is_scored_against_its_column_of_right_answers(settings, tiny_loader):
    from workbench.eval.job import evaluate
    from workbench.jobs import service

    frame = service.results_frame(settings, _finished_job(settings, tiny_loader))
    report = evaluate(frame, "category")
    assert report.rows == 20
    assert report.accuracy == pytest.approx((frame["label"] == frame["category"]).mean())
    assert report.confusion.to_numpy().sum() == 20
    with pytest.raises(Exception, match="no column 'answers'"):
        evaluate(frame, "answers")


def test_jobs_show_with_answers_prints_the_evaluation(settings, tiny_loader, monkeypatch):
    import json

    from click.testing import CliRunner

    from workbench.cli import cli

    job_id = _finished_job(settings, tiny_loader)
    shown = CliRunner().invoke(cli, ["jobs", "show", str(job_id), "--answers", "category"])
    assert shown.exit_code == 0, shown.output
    evaluation = json.loads(shown.stdout)["evaluation"]
    assert evaluation["rows"] == 20 and 0 <= evaluation["accuracy"] <= 1
    assert set(evaluation["per_label"]["billing"]) == {"precision", "recall", "f1", "support"}
    bad = CliRunner().invoke(cli, ["jobs", "show", str(job_id), "--answers", "nope"])
    assert bad.exit_code == 1 and "no column 'nope'" in bad.stderr


def test_the_results_page_scores_the_job_and_draws_the_confusion_matrix(settings, tiny_loader):
    from tests.app.test_pages import page
    from workbench.ui.context import app_settings

    app_settings.clear()
    job_id = _finished_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    charts_before = len(app.get("vega_lite_chart"))  # the label counts
    next(s for s in app.selectbox if s.label.startswith("Column of right answers")).set_value("category").run()
    assert not app.exception and not app.error
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Rows scored"] == "20" and metrics["Accuracy"].endswith("%")
    assert len(app.get("vega_lite_chart")) == charts_before + 1  # and the confusion matrix
    app_settings.clear()
