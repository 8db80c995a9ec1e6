"""Comparisons (the Benchmark page): a job per model on the same labelled rows, run alone in turn, then quality,
speed, latency, memory and cost side by side."""

import json
import os
import shutil

import pandas as pd
import pytest

from tests.test_jobs import EMAILS, ZERO_SHOT
from workbench.config import get_settings
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.errors import InputFileError, ModelNotReadyError, TaskConfigError
from workbench.eval import cost
from workbench.eval.job import evaluate, headline_scores
from workbench.jobs import compare, measure, service, worker
from workbench.jobs.compare import Sheet
from workbench.jobs.comparison_notes import comparison_notes
from workbench.jobs.results import results_frame
from workbench.jobs.runner import run_job
from workbench.tasks.spec import spec_from_dict

PRICES = cost.Prices(api_input_per_million=0.15, api_output_per_million=0.6, machine_per_hour=0.05)
ROWS = 12


def _start(settings, models, **options) -> int:
    return compare.start_comparison(settings, ZERO_SHOT, Sheet(EMAILS, "category", rows=ROWS), models, **options)


def _run_queue(settings) -> None:
    """Run queued jobs the way the worker claims them, one at a time."""
    while worker.run_next(settings):
        pass


def test_a_comparison_queues_one_job_per_model_with_the_same_settings_and_rows(settings, two_models):
    comparison_id = _start(settings, two_models + ["tiny-a"])  # a model chosen twice runs once
    jobs = compare.comparison_jobs(settings, comparison_id)
    assert [j.spec["model"] for j in jobs] == two_models
    assert {j.row_limit for j in jobs} == {ROWS} and {j.status for j in jobs} == {"queued"}
    assert {json.dumps({k: v for k, v in j.spec.items() if k not in ("model", "name")}, sort_keys=True) for j in jobs} \
        .__len__() == 1
    assert [j.name for j in jobs] == [f"support_emails.csv · {m}" for m in two_models]


def test_the_default_model_and_its_name_are_one_model(settings, two_models, monkeypatch):
    """Chosen as "default" and by its name, the bundled encoder ran twice, shown as two rows of one name."""
    from workbench.models import registry

    monkeypatch.setitem(registry.DEFAULTS, "encoder", "tiny-a")
    jobs = compare.comparison_jobs(settings, _start(settings, ["tiny-a", "default", "tiny-b"]))
    assert [j.spec["model"] for j in jobs] == two_models


def test_every_model_is_measured_side_by_side(settings, two_models):
    comparison_id = _start(settings, two_models, latency_rows=5)
    _run_queue(settings)
    table = compare.comparison_table(settings, comparison_id, PRICES).set_index("model")
    assert list(table.index) == two_models and set(table["status"]) == {"completed"}
    for _, row in table.iterrows():
        job_id = int(row["job"])
        expected = evaluate(results_frame(settings, job_id, reviewed=False), "category")
        assert row["accuracy"] == round(expected.accuracy, 4) and row["macro-F1"] == round(expected.macro_f1, 4)
        assert row["scored rows"] == expected.rows == ROWS
        assert row["rows/s"] > 0 and row["memory MB"] > 50  # a process with onnxruntime loaded
        assert row["p50 ms"] > 0 and pd.isna(row["p95 ms"]) and row[compare.TIMED_ROWS] == 5  # p95 of 5: the slowest
        assert row[compare.LOCAL_COST] == pytest.approx(1000 / row["rows/s"] / 3600 * 0.05, rel=0.01)
        assert row[compare.API_COST] > 0 and 0 <= row[compare.OTHERS_SHARE] <= 100  # other programs: whatever runs here
    assert not any(job.measurements[measure.SHARED_CORES] for job in compare.comparison_jobs(settings, comparison_id))
    assert table[compare.SAME_ANSWERS].tolist() == [1.0, 1.0]  # two copies of one model: the same answers
    latencies = compare.comparison_jobs(settings, comparison_id)[0].measurements[measure.LATENCY]
    assert len(latencies) == 5


def test_the_api_price_counts_the_rows_the_settings_and_the_answers(settings, tiny_encoder_folder, tmp_path):
    sheet = tmp_path / "two.csv"
    pd.DataFrame({"text": ["a" * 400, "b" * 400], "right": ["yes", "no"]}).to_csv(sheet, index=False)
    spec = spec_from_dict({"task": "classify", "text": ["text"], "labels": ["yes", "no"], "model": tiny_encoder_folder.name})
    shutil.copytree(tiny_encoder_folder, settings.models_dir / tiny_encoder_folder.name)
    comparison_id = compare.start_comparison(settings, spec, Sheet(sheet, "right"), [tiny_encoder_folder.name],
                                             latency_rows=0)
    _run_queue(settings)
    row = compare.comparison_table(settings, comparison_id, PRICES).iloc[0]
    job = compare.comparison_jobs(settings, comparison_id)[0]
    prompt = 400 + len("labels:\n- yes\n- no")  # the labels, not the model's name nor thresholds
    right_answers = (3 + 2) / 2  # "yes", "no": an API answers as long as the right answers, whatever the models wrote
    assert row[compare.API_COST] == pytest.approx(cost.api_cost(prompt, right_answers, PRICES), rel=0.01)
    assert pd.isna(row["p50 ms"]) and measure.LATENCY not in job.measurements


def test_comparison_jobs_run_alone_and_in_turn(settings, two_models):
    other = service.create_job(settings, ZERO_SHOT, EMAILS, limit=3)
    with session_scope(settings) as session:  # an ordinary job is running
        assert repo.claim_next_queued(session, os.getpid()).id == other
    comparison_id = _start(settings, two_models)
    later = service.create_job(settings, ZERO_SHOT, EMAILS, limit=3)
    with session_scope(settings) as session:  # the comparison waits for it, and the job queued after it waits too
        assert repo.claim_next_queued(session, os.getpid()) is None
        repo.finish_if_running(session, other, "completed")
    first, second = (j.id for j in compare.comparison_jobs(settings, comparison_id))
    with session_scope(settings) as session:  # then the comparison's first job runs, and nothing beside it
        assert repo.claim_next_queued(session, os.getpid()).id == first
        assert repo.claim_next_queued(session, os.getpid()) is None
        repo.finish_if_running(session, first, "completed")
        assert repo.claim_next_queued(session, os.getpid()).id == second
        repo.finish_if_running(session, second, "completed")
        assert repo.claim_next_queued(session, os.getpid()).id == later


def test_a_job_notes_when_another_ran_beside_it_and_records_its_peak_memory(settings, tiny_loader):
    beside = service.create_job(settings, ZERO_SHOT, EMAILS, limit=3)
    job_id = service.create_job(settings, ZERO_SHOT, EMAILS, limit=3)
    with session_scope(settings) as session:
        repo.claim_job(session, beside, os.getpid())
        repo.claim_job(session, job_id, os.getpid())
    run_job(settings, job_id, encoder_loader=tiny_loader)
    measured = service.get_job(settings, job_id).measurements
    assert measured[measure.SHARED_CORES] and measured[measure.PEAK_MEMORY] >= measure.peak_memory_mb() * 0.5
    assert measure.LATENCY not in measured  # not a comparison's job: no single rows timed
    run_job(settings, beside, encoder_loader=tiny_loader)  # alone now
    assert not service.get_job(settings, beside).measurements[measure.SHARED_CORES]


def test_a_resumed_comparison_job_keeps_its_latencies(settings, two_models, monkeypatch):
    comparison_id = _start(settings, two_models[:1], latency_rows=3)
    _run_queue(settings)
    job = compare.comparison_jobs(settings, comparison_id)[0]
    with session_scope(settings) as session:
        repo.set_status(session, repo.get_job(session, job.id), "queued")
    timed = []
    monkeypatch.setattr(measure, "single_row_latencies", lambda answer, texts: timed.append(texts) or [1.0])
    _run_queue(settings)
    assert timed == [] and len(service.get_job(settings, job.id).measurements[measure.LATENCY]) == 3


@pytest.mark.parametrize("change, message", [
    ({"models": []}, "at least one model"),
    ({"models": ["no-such-model"]}, "There is no model 'no-such-model' on this machine"),
    ({"answers": "missing"}, "no column 'missing'"),
    ({"answers": "Subject"}, "a column of their own"),
])
def test_a_comparison_that_cannot_be_scored_is_refused_before_any_job(settings, two_models, change, message):
    models, answers = change.get("models", two_models), change.get("answers", "category")
    with pytest.raises((TaskConfigError, ModelNotReadyError), match=message):
        compare.start_comparison(settings, ZERO_SHOT, Sheet(EMAILS, answers, rows=ROWS), models)
    assert service.list_jobs(settings) == [] and compare.list_comparisons(settings) == []


def test_a_sheet_without_right_answers_is_refused(settings, two_models, tmp_path):
    sheet = tmp_path / "unlabelled.csv"
    pd.DataFrame({"Subject": ["a", "b"], "Body": ["x", "y"], "category": ["", ""]}).to_csv(sheet, index=False)
    with pytest.raises(TaskConfigError, match="No row has a right answer"):
        compare.start_comparison(settings, ZERO_SHOT, Sheet(sheet, "category"), two_models)


def test_an_encoder_cannot_be_compared_on_a_generators_template(settings, two_models):
    spec = spec_from_dict({"task": "summarize", "text": ["Body"]})
    with pytest.raises(ModelNotReadyError, match="is an encoder model"):
        compare.start_comparison(settings, spec, Sheet(EMAILS, "category"), two_models)


def test_costs_are_the_machines_time_and_the_apis_tokens():
    prices = cost.Prices(api_input_per_million=1.0, api_output_per_million=4.0, machine_per_hour=3.6)
    assert cost.local_cost(10.0, prices) == pytest.approx(0.1)  # 100 s for 1,000 rows at $3.6 an hour
    assert cost.local_cost(0.0, prices) is None
    # 4,000 characters of prompt = 1,000 tokens ($0.001), 400 of answer = 100 tokens ($0.0004), a row
    assert cost.api_cost(4000, 400, prices) == pytest.approx(1.4)


def test_headline_scores_name_each_templates_measure():
    from workbench.eval.job import FieldReport, SummaryReport
    from workbench.eval.metrics import classification_report, multi_label_report

    assert headline_scores(classification_report(["a", "b"], ["a", "a"])) == {"accuracy": 0.5, "macro-F1": pytest.approx(1 / 3)}
    multi = headline_scores(multi_label_report([{"a"}, {"a", "b"}], [{"a"}, {"a"}]))
    assert multi == {"exact match": 0.5, "macro-F1": pytest.approx((1.0 + 0.0) / 2)}
    summary = SummaryReport(1, {"rouge1": 0.5, "rouge2": 0.25, "rougeL": 0.4})
    assert headline_scores(summary) == {"ROUGE-1": 0.5, "ROUGE-2": 0.25, "ROUGE-L": 0.4}
    fields = pd.DataFrame({"precision": [1.0, 0.5], "recall": [1.0, 0.25], "f1": [1.0, 1 / 3], "support": [1, 4]},
                          index=["name", "(all fields)"])
    assert headline_scores(FieldReport(4, fields)) == {"precision": 0.5, "recall": 0.25, "F1": 1 / 3}


def test_right_answers_no_model_can_give_are_counted_by_label(settings, two_models, tmp_path):
    sheet = tmp_path / "emails.csv"
    frame = pd.read_csv(EMAILS).head(ROWS)
    frame.loc[:2, "category"] = ["refunds", "refunds", "billing; spam"]
    frame.to_csv(sheet, index=False)
    # one label a row: "billing; spam" is scored as one answer, which no model of one label can give
    assert compare.answers_outside_labels(ZERO_SHOT, frame, "category") == {"refunds": 2, "billing; spam": 1}
    comparison_id = compare.start_comparison(settings, ZERO_SHOT, Sheet(sheet, "category"), two_models[:1])
    assert compare.right_answers(settings, comparison_id).outside == {"refunds": 2, "billing; spam": 1}
    route = spec_from_dict({"task": "route", "text": ["Body"], "labels": ["billing", "shipping"], "fallback": "Other"})
    answers = pd.DataFrame({"truth": ["Other", "billing", "returns", "Shipping "]})
    assert compare.answers_outside_labels(route, answers, "truth") == {"returns": 1}  # "Shipping " is shipping
    summary = spec_from_dict({"task": "summarize", "text": ["Body"]})
    assert compare.answers_outside_labels(summary, pd.DataFrame({"truth": ["any text at all"]}), "truth") == {}


def test_a_comparison_records_what_it_compares(settings, two_models):
    comparison_id = _start(settings, two_models)
    [comparison] = compare.list_comparisons(settings)
    assert (comparison.id, comparison.task, comparison.models, comparison.rows) == (comparison_id, "classify", two_models, ROWS)


def test_the_time_a_model_will_take_comes_from_its_last_job_of_the_template(settings, two_models):
    assert compare.recent_paces(settings, "classify", ["tiny-a"], "encoder") == {}  # never ran here: no guess
    compare.start_comparison(settings, ZERO_SHOT, Sheet(EMAILS, "category", rows=3), two_models[:1])
    _run_queue(settings)
    assert compare.recent_paces(settings, "classify", ["tiny-a"], "encoder") == {}  # 3 rows time the start-up, not rows
    comparison_id = compare.start_comparison(settings, ZERO_SHOT, Sheet(EMAILS, "category", rows=compare.MIN_PACE_ROWS),
                                             two_models[:1])
    _run_queue(settings)
    job = compare.comparison_jobs(settings, comparison_id)[0]
    load = job.measurements[measure.LOAD]
    assert 0 < load < job.busy_seconds
    speed = job.busy_rows / (job.busy_seconds - load)  # loading the model is the same for 10 rows as for 100,000
    assert compare.recent_paces(settings, "classify", ["tiny-a", "tiny-b"], "encoder") == {"tiny-a": (pytest.approx(speed), load)}
    assert compare.recent_paces(settings, "summarize", ["tiny-a"], "encoder") == {}
    assert compare.recent_paces(settings, "classify", ["tiny-a"], "generator") == {}  # it ran on an encoder


def test_a_job_queued_behind_a_comparison_says_it_waits(settings, two_models):
    comparison_id = _start(settings, two_models[:1])
    later = service.create_job(settings, ZERO_SHOT, EMAILS, limit=3)
    assert service.queue_note(settings, service.get_job(settings, later)) == service.QUEUE_NOTES["comparison"]
    first = compare.comparison_jobs(settings, comparison_id)[0]
    assert service.queue_note(settings, first) is None  # nothing runs: it is next
    _run_queue(settings)
    assert service.queue_note(settings, service.get_job(settings, later)) is None  # ran: not waiting


def test_a_comparisons_job_says_it_waits_for_the_running_jobs(settings, two_models):
    running = service.create_job(settings, ZERO_SHOT, EMAILS, limit=3)
    with session_scope(settings) as session:
        repo.claim_job(session, running, os.getpid())
    first = compare.comparison_jobs(settings, _start(settings, two_models[:1]))[0]
    assert service.queue_note(settings, first) == service.QUEUE_NOTES["alone"]


def test_same_answers_counts_the_rows_where_a_model_answered_otherwise(settings, two_models):
    comparison_id = _start(settings, two_models)
    _run_queue(settings)
    second = compare.comparison_jobs(settings, comparison_id)[1]
    with session_scope(settings) as session:
        for result in repo.job_results(session, second.id)[:3]:
            result.outputs = {**result.outputs, "label": "not a label of the first"}
    table = compare.comparison_table(settings, comparison_id, PRICES)
    assert table[compare.SAME_ANSWERS].tolist() == [1.0, round((ROWS - 3) / ROWS, 4)]


def test_a_comparison_whose_first_model_answered_nothing_still_shows_the_others(settings, two_models):
    comparison_id = _start(settings, two_models)
    first, second = compare.comparison_jobs(settings, comparison_id)
    service.cancel_job(settings, first.id)  # cancelled before it ran: no answers
    _run_queue(settings)
    table = compare.comparison_table(settings, comparison_id, PRICES).set_index("model")
    assert table.loc["tiny-a", "status"] == "cancelled" and pd.isna(table.loc["tiny-a", "rows/s"])
    assert table.loc["tiny-b", "accuracy"] >= 0 and table.loc["tiny-b", compare.SAME_ANSWERS] == 1.0
    assert table[compare.API_COST].notna().all()


def test_a_row_that_fails_when_timed_alone_leaves_the_job_completed(settings, two_models, monkeypatch):
    from workbench.tasks.classify import ClassifyTask

    original = ClassifyTask.run_batch
    monkeypatch.setattr(ClassifyTask, "run_batch", lambda self, texts: (
        (_ for _ in ()).throw(RuntimeError("one row")) if len(texts) == 1 and "prorated" in texts[0] else original(self, texts)))
    comparison_id = _start(settings, two_models[:1], latency_rows=4)
    _run_queue(settings)
    job = compare.comparison_jobs(settings, comparison_id)[0]
    assert job.status == "completed" and job.done_rows == ROWS
    assert len(job.measurements[measure.LATENCY]) == 3  # the row that failed alone is left out of the timing


def test_a_comparison_the_row_limit_refuses_saves_nothing(settings, two_models, monkeypatch):
    monkeypatch.setenv("WORKBENCH_MAX_ROWS", "5")
    with pytest.raises(InputFileError, match="the limit is 5"):
        compare.start_comparison(get_settings(), ZERO_SHOT, Sheet(EMAILS, "category", rows=ROWS), two_models)
    assert compare.list_comparisons(settings) == [] and service.list_jobs(settings) == []


def test_the_worker_runs_a_comparisons_models_one_after_another_each_in_a_process_measured_alone(settings, two_models):
    import signal
    import subprocess
    import sys

    from tests.test_worker import _wait_for

    comparison_id = _start(settings, two_models, latency_rows=3)
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(settings.data_dir), "WORKBENCH_MODELS_DIR": str(settings.models_dir),
           "WORKBENCH_WORKER_SLOTS": "2"}
    serving = subprocess.Popen([sys.executable, "-m", "workbench.jobs.worker"], env=env, start_new_session=True)
    try:
        _wait_for(lambda: all(j.status == "completed" for j in compare.comparison_jobs(settings, comparison_id)), 120,
                  states=lambda: [(j.id, j.status, j.error) for j in compare.comparison_jobs(settings, comparison_id)])
    finally:
        os.killpg(serving.pid, signal.SIGKILL)
    first, second = compare.comparison_jobs(settings, comparison_id)
    assert first.finished_at <= second.started_at  # two slots, yet one model at a time
    for job in (first, second):
        # The job process's own peak (MB, not KB): Python with onnxruntime and a tiny model, far from the test's.
        assert 50 < job.measurements[measure.PEAK_MEMORY] < 2000
        assert not job.measurements[measure.SHARED_CORES] and len(job.measurements[measure.LATENCY]) == 3


def test_the_command_line_compares_models_and_prints_the_table(settings, two_models, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from workbench.cli import cli

    # Each model in a process of its own: a process's peak memory is the most it ever held, so in one process a
    # model compared after a larger one was measured at the larger one's peak.
    started = []
    monkeypatch.setattr(compare, "start_job_process", lambda *args, **kwargs: started.append(args[1]) or
                        worker.start_job_process(*args, **kwargs))

    task = tmp_path / "triage.task.yaml"
    task.write_text("task: classify\ntext: [Subject, Body]\nlabels: [billing, technical_support, account_access, "
                    "shipping, returns, feedback]\n")
    args = ["compare", str(task), str(EMAILS), "--answers", "category", "--rows", "10", "--latency-rows", "2",
            "--prices", "0.15", "0.6", "3.6", "-o", str(tmp_path / "table.csv")]
    result = CliRunner().invoke(cli, [*args, *(f"--model={m}" for m in two_models)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "table.csv")
    assert table["model"].tolist() == two_models and set(table["status"]) == {"completed"}
    assert table["scored rows"].tolist() == [10, 10] and "accuracy" in result.stdout
    assert table[compare.LOCAL_COST].tolist() == pytest.approx([1 / s for s in table["rows/s"]], rel=0.01)  # 1,000 rows at $3.6/h
    assert table["machine_price_per_hour"].tolist() == [3.6, 3.6]  # the file says what its costs were worked out at
    jobs = compare.comparison_jobs(settings, compare.list_comparisons(settings)[0].id)
    assert jobs[0].finished_at <= jobs[1].started_at and all(len(j.measurements[measure.LATENCY]) == 2 for j in jobs)
    assert started == [job.id for job in jobs]


def test_the_command_line_never_writes_the_table_over_the_labelled_sheet(settings, two_models, tmp_path):
    from click.testing import CliRunner

    from workbench.cli import cli

    task, sheet = tmp_path / "t.task.yaml", tmp_path / "labelled.csv"
    task.write_text("task: classify\ntext: Body\nlabels: [billing, shipping]\n")
    sheet.write_bytes(EMAILS.read_bytes())
    result = CliRunner().invoke(cli, ["compare", str(task), str(sheet), "--answers", "category", "-o", str(sheet),
                                      *(f"--model={m}" for m in two_models)])
    assert result.exit_code == 1 and "is the input file: writing the results over it would lose your file" in result.output
    assert sheet.read_bytes() == EMAILS.read_bytes() and compare.list_comparisons(settings) == []


def test_ctrl_c_pauses_the_comparisons_unfinished_jobs(settings, two_models, tmp_path, monkeypatch):
    from click.testing import CliRunner

    import workbench.cli as cli_module

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module.compare, "run_here", interrupted)
    task = tmp_path / "t.task.yaml"
    task.write_text("task: classify\ntext: Body\nlabels: [billing, shipping]\n")
    result = CliRunner().invoke(cli_module.cli, ["compare", str(task), str(EMAILS), "--answers", "category", "--rows", "4",
                                                 *(f"--model={m}" for m in two_models)])
    assert result.exit_code == 1 and "Stopped: comparison #1's unfinished jobs are paused (#1, #2)" in result.output
    assert [job.status for job in compare.comparison_jobs(settings, 1)] == ["paused", "paused"]


def test_the_command_line_writes_the_table_as_a_workbook_too(settings, two_models, tmp_path):
    from click.testing import CliRunner

    from workbench.cli import cli

    task = tmp_path / "t.task.yaml"
    task.write_text("task: classify\ntext: Body\nlabels: [billing, shipping]\n")
    result = CliRunner().invoke(cli, ["compare", str(task), str(EMAILS), "--answers", "category", "--rows", "4",
                                      "--latency-rows", "0", "-o", str(tmp_path / "table.xlsx"), f"--model={two_models[0]}"])
    assert result.exit_code == 0, result.output
    table = pd.read_excel(tmp_path / "table.xlsx", sheet_name="comparison")
    assert table["model"].tolist() == [two_models[0]] and table[compare.LOCAL_COST].dtype == float  # numbers in a workbook
    assert "Comparison #1: 1 model\n" in result.output  # not "one after another"
    assert "Note: Scored on 4 rows only" in result.output  # the page's notes, in the terminal too


def test_the_command_line_refuses_a_model_that_is_not_there(settings, two_models, tmp_path):
    from click.testing import CliRunner

    from workbench.cli import cli

    task = tmp_path / "t.task.yaml"
    task.write_text("task: classify\ntext: Body\nlabels: [billing, shipping]\n")
    result = CliRunner().invoke(cli, ["compare", str(task), str(EMAILS), "--answers", "category", "--model", "nope"])
    assert result.exit_code == 1 and "There is no model 'nope' on this machine" in result.output


def test_a_models_process_killed_from_outside_fails_its_job_and_the_next_model_still_runs(settings, two_models,
                                                                                          monkeypatch):
    import subprocess
    import sys

    from sqlalchemy import update

    from workbench.db.schema import Job

    killed = []

    def killed_at_once(settings_, job_id, others, **popen):
        if killed:  # the second model runs as usual
            return worker.start_job_process(settings_, job_id, others, **popen)
        child = subprocess.Popen([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
        with session_scope(settings_) as session:
            session.execute(update(Job).where(Job.id == job_id).values(**repo.runner(child.pid)))
        killed.append(job_id)
        return child

    monkeypatch.setattr(compare, "start_job_process", killed_at_once)
    comparison_id = _start(settings, two_models)
    compare.run_here(settings, comparison_id, poll_seconds=0.1)  # it waited for ever for the dead job
    first, second = compare.comparison_jobs(settings, comparison_id)
    assert (first.status, second.status) == ("failed", "completed")
    assert "stopped without an error of its own" in first.error


def _stop_part_way(settings, job_id: int, answered: int, status: str = "paused") -> None:
    """As if the job had been paused after its first `answered` rows."""
    with session_scope(settings) as session:
        for result in repo.job_results(session, job_id):
            if result.row_index >= answered:
                session.delete(result)
        job = repo.get_job(session, job_id)
        job.done_rows, job.status = answered, status


def _scores_on(settings, job_id: int, rows) -> float:
    frame = results_frame(settings, job_id, reviewed=False)
    kept = frame.loc[sorted(rows)]
    kept.attrs = frame.attrs
    return round(evaluate(kept, "category").accuracy, 4)


def test_every_model_is_scored_on_the_rows_all_of_them_answered(settings, two_models):
    comparison_id = _start(settings, two_models)
    _run_queue(settings)
    first, second = compare.comparison_jobs(settings, comparison_id)
    _stop_part_way(settings, second.id, 5)
    table = compare.comparison_table(settings, comparison_id, PRICES).set_index("model")
    assert table["scored rows"].tolist() == [5, 5]  # not 12 for the first: its 7 more rows may be the hard ones
    assert table.loc["tiny-a", "accuracy"] == _scores_on(settings, first.id, range(5))
    jobs = compare.comparison_jobs(settings, comparison_id)
    notes = comparison_notes(jobs, table.reset_index(), compare.right_answers(settings, comparison_id))
    assert any(f"tiny-b answered 5 of {ROWS} rows (paused)" in note and f"job #{second.id}" in note for note in notes)
    assert any(note.startswith("Scored on 5 rows only: each row moves a score by 0.20") for note in notes)


def test_a_running_model_does_not_move_the_others_scores(settings, two_models):
    comparison_id = _start(settings, two_models)
    _run_queue(settings)
    second = compare.comparison_jobs(settings, comparison_id)[1]
    _stop_part_way(settings, second.id, 4, status="running")
    table = compare.comparison_table(settings, comparison_id, PRICES).set_index("model")
    assert table["scored rows"].tolist() == [ROWS, 4]


def test_rows_a_model_failed_are_left_out_of_every_score_and_said(settings, two_models):
    comparison_id = _start(settings, two_models)
    _run_queue(settings)
    first, second = compare.comparison_jobs(settings, comparison_id)
    with session_scope(settings) as session:
        failed = repo.job_results(session, second.id)[0]
        failed.status, failed.error, failed.outputs = "failed", "too long", {}
        job = repo.get_job(session, second.id)
        job.done_rows, job.failed_rows = ROWS - 1, 1
    table = compare.comparison_table(settings, comparison_id, PRICES).set_index("model")
    assert table["scored rows"].tolist() == [ROWS - 1, ROWS - 1] and table["failed rows"].tolist() == [0, 1]
    notes = comparison_notes(compare.comparison_jobs(settings, comparison_id), table.reset_index(),
                             compare.RightAnswers({}, []))
    assert f"tiny-b could not answer 1 row (job #{second.id} on Job results says why): they are left out of every " \
           "model's score." in notes


def test_a_failed_models_note_gives_its_reason(settings, two_models):
    comparison_id = _start(settings, two_models[:1])
    job = compare.comparison_jobs(settings, comparison_id)[0]
    with session_scope(settings) as session:
        stored = repo.get_job(session, job.id)
        stored.status, stored.error = "failed", "The model's files are damaged. Prepare it again."
    notes = comparison_notes(compare.comparison_jobs(settings, comparison_id),
                             compare.comparison_table(settings, comparison_id, PRICES), compare.RightAnswers({}, []))
    assert notes == [f"tiny-a stopped with an error (job #{job.id}): The model's files are damaged. Prepare it again."]


def test_labels_no_compared_row_names_are_pointed_out(settings, two_models, tmp_path):
    sheet = tmp_path / "sorted.csv"
    frame = pd.read_csv(EMAILS).head(ROWS)
    frame["category"] = ["billing"] * 6 + ["shipping"] * 6  # a sheet sorted by its answers
    frame.to_csv(sheet, index=False)
    comparison_id = compare.start_comparison(settings, ZERO_SHOT, Sheet(sheet, "category"), two_models[:1])
    never = compare.right_answers(settings, comparison_id).never_right
    assert never == sorted(set(ZERO_SHOT.to_dict()["labels"]) - {"billing", "shipping"})
    [note] = comparison_notes([], pd.DataFrame(), compare.RightAnswers({}, never))
    assert note.startswith(f"No compared row has '{never[0]}'") and note.count("'") == 2 * len(never)
    assert " or " in note


def test_the_api_prompt_holds_the_settings_a_prompt_would_not_the_model_or_runtime_settings():
    spec = spec_from_dict({"task": "route", "text": ["Body"], "labels": [{"name": "billing", "description": "money"},
                                                                     "shipping"], "fallback": "Other", "model": "a-long-model-name", "name": "mine"}).pinned()
    text = compare.prompt_settings_text(spec)
    assert text == "labels:\n- billing: money\n- shipping\nfallback:\nOther"
    assert compare.prompt_settings_text(spec.model_copy(update={"model": "b"})) == text  # whichever model is first


def test_p95_needs_twenty_rows_timed_alone(settings):
    many = compare._latencies({measure.LATENCY: list(range(1, 21))})
    assert many == {"p50 ms": 10.5, "p95 ms": 19.1, compare.TIMED_ROWS: 20}  # three figures
    few = pd.DataFrame([compare._latencies({measure.LATENCY: [5.0, 6.0, 90.0]})])
    assert pd.isna(few.loc[0, "p95 ms"])
    [note] = comparison_notes([], few, compare.RightAnswers({}, []))
    assert note == ("Only 3 rows were answered one at a time, so no p95 ms is given (of 3, it would be the slowest). "
                    "Compare again with 20 or more rows answered one at a time for latency.")


def test_costs_are_written_as_decimals_for_text_files():
    table = pd.DataFrame({"model": ["a", "b"], compare.LOCAL_COST: [2.45e-05, None], compare.API_COST: [0.0123, 1.5]})
    plain = compare.with_plain_costs(table)
    assert plain[compare.LOCAL_COST].tolist() == ["0.0000245", ""] and plain[compare.API_COST].tolist() == ["0.0123", "1.5"]


def test_a_resumed_jobs_speed_leaves_out_setting_up_again(settings, two_models):
    comparison_id = _start(settings, two_models[:1], latency_rows=0)
    _run_queue(settings)
    job = compare.comparison_jobs(settings, comparison_id)[0]
    once = job.measurements
    assert once[measure.RUNS] == 1 and once[measure.READAPTING] == 0.0
    again = measure.after_setup(once, loading=2.0, adapting=3.0, notes=[])  # a second run, after a pause
    assert again[measure.RUNS] == 2 and again[measure.READAPTING] == 3.0
    assert again[measure.LOAD] == pytest.approx(once[measure.LOAD] + 2.0)
    assert measure.load_seconds(again) == pytest.approx((once[measure.LOAD] + 2.0) / 2)  # a load, not two
    resumed = job.__class__(busy_rows=job.busy_rows, busy_seconds=job.busy_seconds + 5.0, measurements=again)
    assert compare.rows_per_second(resumed) == pytest.approx(compare.rows_per_second(job))  # as one run's


def test_other_programs_busy_on_the_processor_are_counted_and_said(tmp_path):
    import subprocess
    import sys

    measure.watch_processor()
    burn = "import time\nwhile time.process_time() < 0.6: pass"  # 0.6 s of processor, however busy the machine
    subprocess.run([sys.executable, "-c", burn], check=True)
    measured = measure.after_batch({}, shared_cores=False)
    # Others take at most every core the whole time watched (both are rounded to the millisecond: hence the margin).
    assert measured[measure.OTHERS_CPU] >= 0.5
    assert measured[measure.WATCHED] >= measured[measure.OTHERS_CPU] / os.cpu_count() - 0.002
    assert measure.shared_processor({measure.OTHERS_CPU: 1.0, measure.WATCHED: 1.0}) is (1.0 / os.cpu_count() > 0.25)
    assert not measure.shared_processor({measure.OTHERS_CPU: 0.01, measure.WATCHED: 10.0})
    assert measure.shared_processor({measure.SHARED_CORES: True}) and measure.others_share({}) is None
    row = {"model": "tiny-a", "shared the cores": True, compare.OTHERS_SHARE: 60.0}
    [note] = comparison_notes([], pd.DataFrame([row]), compare.RightAnswers({}, []))
    assert note.startswith("Other programs kept 60% of the processor busy while tiny-a ran")
    [note] = comparison_notes([], pd.DataFrame([{**row, compare.OTHERS_SHARE: 3.0}]), compare.RightAnswers({}, []))
    assert note.startswith("tiny-a ran while another job was running")


def test_a_cancelled_model_is_scored_on_its_own_rows_and_holds_no_one_back(settings, two_models):
    """Cancelling a slow model after a few rows left every model scored on those few."""
    comparison_id = _start(settings, two_models)
    _run_queue(settings)
    first, second = compare.comparison_jobs(settings, comparison_id)
    _stop_part_way(settings, second.id, 3, status="cancelled")
    table = compare.comparison_table(settings, comparison_id, PRICES).set_index("model")
    assert table["scored rows"].tolist() == [ROWS, 3]
    notes = comparison_notes(compare.comparison_jobs(settings, comparison_id), table.reset_index(),
                             compare.RightAnswers({}, []))
    assert any(note.startswith(f"tiny-b was cancelled after 3 of {ROWS} rows: its score is on those rows only")
               for note in notes)
    assert not any("every model is scored on the rows all of them answered" in note for note in notes)


def test_the_notes_of_a_comparison_whose_rows_are_all_examples_do_not_fail(settings, two_models, tmp_path):
    """`workbench compare -o` exited 1 without its file when the notes' reading of the answers raised."""
    sheet = tmp_path / "taught.csv"
    pd.DataFrame({"text": ["refund please", "where is my parcel"], "right": ["billing", "shipping"]}).to_csv(sheet, index=False)
    spec = spec_from_dict({"task": "classify", "text": ["text"], "labels": ["billing", "shipping"],
                           "examples": [{"text": "refund please", "label": "billing"},
                                        {"text": "where is my parcel", "label": "shipping"}]})
    comparison_id = compare.start_comparison(settings, spec, Sheet(sheet, "right"), two_models[:1], latency_rows=0)
    assert compare.right_answers(settings, comparison_id) == compare.RightAnswers({}, [])


def test_the_api_price_leaves_out_empty_rows(settings, two_models, tmp_path):
    """A CSV's blank line is a row failing as empty: it would never be sent, so it does not shorten the prompts."""
    costs = []
    for name, gap in (("clean.csv", ""), ("gaps.csv", ",\n")):
        sheet = tmp_path / name
        sheet.write_text(f"text,right\n{'a' * 400},billing\n{gap}{'b' * 400},shipping\n")
        spec = spec_from_dict({"task": "classify", "text": ["text"], "labels": ["billing", "shipping"]})
        comparison_id = compare.start_comparison(settings, spec, Sheet(sheet, "right"), two_models[:1], latency_rows=0)
        _run_queue(settings)
        costs.append(compare.comparison_table(settings, comparison_id, PRICES).iloc[0][compare.API_COST])
    assert costs[0] == costs[1]


def test_labels_missing_from_the_rows_scored_are_said_once_a_model_stopped_part_way(settings, two_models, tmp_path):
    sheet = tmp_path / "sorted.csv"
    frame = pd.read_csv(EMAILS).head(ROWS)
    frame["category"] = ["billing"] * 6 + ["shipping"] * 6
    frame.to_csv(sheet, index=False)
    comparison_id = compare.start_comparison(settings, ZERO_SHOT, Sheet(sheet, "category"), two_models)
    assert "shipping" not in compare.right_answers(settings, comparison_id).never_right
    _run_queue(settings)
    _stop_part_way(settings, compare.comparison_jobs(settings, comparison_id)[1].id, 6)
    assert "shipping" in compare.right_answers(settings, comparison_id).never_right  # scored on the 6 billing rows


def test_the_api_prompt_counts_a_summarys_settings():
    spec = spec_from_dict({"task": "summarize", "text": ["Body"], "summary": {"style": "bullets", "max_words": 40}})
    assert "bullets" in compare.prompt_settings_text(spec.pinned())


def test_a_job_set_up_by_an_older_version_and_resumed_counts_one_load():
    old = {measure.LOAD: 2.0}  # no runs counted then
    resumed = measure.after_setup(old, loading=2.0, adapting=3.0, notes=[])
    assert resumed[measure.RUNS] == 2 and measure.load_seconds(resumed) == 2.0 and resumed[measure.READAPTING] == 3.0


def test_a_job_runs_where_the_machine_does_not_tell_its_processor_time(monkeypatch):
    def refused(*_args, **_kwargs):
        raise OSError("not permitted")

    monkeypatch.setattr(measure.psutil, "cpu_times", refused)
    measure.watch_processor()
    measured = measure.after_batch({}, shared_cores=False)
    assert measure.OTHERS_CPU not in measured and measure.others_share(measured) is None


def test_rows_failed_by_a_completed_or_failed_model_are_said_without_wrong_advice(settings, two_models):
    comparison_id = _start(settings, two_models)
    _run_queue(settings)
    first, second = compare.comparison_jobs(settings, comparison_id)
    with session_scope(settings) as session:
        job = repo.get_job(session, second.id)
        job.done_rows, job.failed_rows = ROWS - 3, 3  # completed: every row ran
    notes = comparison_notes(compare.comparison_jobs(settings, comparison_id),
                             compare.comparison_table(settings, comparison_id, PRICES), compare.RightAnswers({}, []))
    assert not any("Resume job" in note for note in notes)  # resuming runs nothing: the failed rows are retried
    with session_scope(settings) as session:
        job = repo.get_job(session, second.id)
        job.status, job.done_rows, job.failed_rows, job.error = "failed", 0, ROWS, "Every row failed."
    notes = comparison_notes(compare.comparison_jobs(settings, comparison_id),
                             compare.comparison_table(settings, comparison_id, PRICES), compare.RightAnswers({}, []))
    assert f"tiny-b could not answer {ROWS} rows (job #{second.id} on Job results says why)." in notes


def test_a_jobs_peak_memory_is_its_own_not_its_parents():
    """The app's page process holds the generator (1.3 GB) and starts the job processes: their peak was read from
    ru_maxrss, which Linux carries over from the parent, so an encoder's job reported the generator's memory."""
    import subprocess
    import sys

    child = "from workbench.jobs.measure import peak_memory_mb; print(peak_memory_mb())"
    parent = f"import subprocess, sys; held = b'x' * (400 << 20); subprocess.run([sys.executable, '-c', {child!r}])"
    printed = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, check=True).stdout
    assert 0 < float(printed) < 200
