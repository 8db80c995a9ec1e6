"""The route template on the tiny encoder: queues, fallback, the cut-off learnt from examples."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import TaskConfigError
from workbench.tasks.spec import spec_from_dict

QUEUES = [{"name": "billing", "description": "invoices, refunds, charged twice"},
          {"name": "shipping", "description": "parcel tracking, late delivery"}]
EXAMPLES = [{"text": "I was charged twice for my order", "label": "billing"},
            {"text": "please refund my last invoice", "label": "billing"},
            {"text": "where is my parcel, tracking has not moved", "label": "shipping"},
            {"text": "the delivery is a week late", "label": "shipping"}]


def route(tiny_loader, **config):
    task = spec_from_dict({"task": "route", "text": "Body", "labels": QUEUES, **config}).build(tiny_loader)
    task.setup()
    return task


def test_each_row_gets_a_queue_a_confidence_and_a_review_flag(tiny_loader):
    task = route(tiny_loader, examples=EXAMPLES)
    outputs = [o.outputs for o in task.run_batch(["refund the invoice please", "my parcel is late", "hello"])]
    assert all(set(o) - {"nearest_queue"} == {"queue", "confidence", "needs_review"} for o in outputs)
    assert all(o["queue"] in {"billing", "shipping", "Other"} and 0 <= o["confidence"] <= 1 for o in outputs)
    assert all(o["needs_review"] == (o["queue"] == "Other") for o in outputs)


def test_rows_matching_no_queue_go_to_the_fallback_with_needs_review(tiny_loader):
    task = route(tiny_loader, min_similarity=1.0, fallback="Triage")
    outputs = [o.outputs for o in task.run_batch(["anything at all", "refund"])]
    assert [o["queue"] for o in outputs] == ["Triage", "Triage"] and all(o["needs_review"] for o in outputs)
    assert all(o["nearest_queue"] in {"billing", "shipping"} for o in outputs)  # named on the review card
    assert [o.outputs["queue"] for o in route(tiny_loader, min_similarity=-1.0).run_batch(["x"])] != ["Other"]


def test_the_cut_off_comes_from_how_close_the_examples_are_to_each_other(tiny_loader):
    task = route(tiny_loader, examples=EXAMPLES)
    vectors = task.prototypes
    nearest_other = [max(float(v @ w) for j, w in enumerate(vectors) if j != i) for i, v in enumerate(vectors[-4:], len(vectors) - 4)]
    assert task.min_similarity == pytest.approx(np.quantile(nearest_other, 0.05), abs=1e-5)


def test_description_phrases_are_prototypes_of_their_queue(tiny_loader):
    task = route(tiny_loader)
    assert list(task.prototype_ids) == [0, 0, 0, 0, 1, 1, 1]  # name+description, then 3 and 2 phrases


def test_an_example_for_an_unknown_queue_is_refused():
    with pytest.raises(TaskConfigError, match="examples use queues that are not in the queue list"):
        spec_from_dict({"task": "route", "text": "Body", "labels": QUEUES,
                        "examples": [{"text": "x", "label": "returns"}]}).validated_config()


def test_the_sample_route_task_file_runs_from_the_cli(invoke_with_tiny_encoder, tmp_path):
    from tests.conftest import SAMPLE_DIR
    from workbench.io import read_table

    result = invoke_with_tiny_encoder("run", str(SAMPLE_DIR / "support_emails.route.task.yaml"),
                                      str(SAMPLE_DIR / "support_emails.csv"), "-o", str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output
    written = read_table(tmp_path / "out.csv")
    assert list(written.columns[-4:]) == ["queue", "confidence", "needs_review", "priority"]
    assert set(written["priority"]) <= {"high", "normal", "low"} and "high" in set(written["priority"])
    assert set(written["queue"]) <= {"billing", "technical_support", "account_access", "shipping", "returns",
                                     "feedback", "Other"}


def test_route_refuses_fine_tuning(tiny_loader):
    with pytest.raises(TaskConfigError, match="classify only"):
        spec_from_dict({"task": "route", "text": "Body", "labels": QUEUES, "fine_tune": True}).validated_config()


@pytest.mark.parametrize("setting", [{"multi_label": True}, {"label_threshold": 0.5}])
def test_route_refuses_label_sets(setting):
    """One queue a row: these were accepted and did nothing."""
    with pytest.raises(TaskConfigError, match="a row goes to one queue"):
        spec_from_dict({"task": "route", "text": "Body", "labels": QUEUES, **setting}).validated_config()


def test_a_stored_route_job_with_classify_defaults_still_reads():
    """Jobs saved before keep their snapshots' default values of these settings."""
    spec = {"task": "route", "text": "Body", "labels": QUEUES, "multi_label": False, "label_threshold": 0.3}
    assert spec_from_dict(spec).validated_config().fallback == "Other"


@pytest.fixture
def invoke_with_tiny_encoder(tiny_encoder, monkeypatch):
    from click.testing import CliRunner

    from workbench.cli import cli
    from workbench.jobs import runner

    monkeypatch.setattr(runner, "load_encoder", lambda _settings, _name=None: tiny_encoder)
    return lambda *args: CliRunner().invoke(cli, list(args))


def test_priority_rules_give_the_first_matching_level_as_whole_words_else_the_default(tiny_loader):
    task = route(tiny_loader, priority={"high": ["urgent", "not working"], "low": "newsletter, feedback"},
                 default_priority="normal")
    assert task.output_columns(task.config) == ["queue", "confidence", "needs_review", "priority"]
    texts = ["URGENT: refund please", "it is not working", "feedback: urgent", "newsletter signup",
             "I urgently need nothing", "a plain question"]
    assert [o.outputs["priority"] for o in task.run_batch(texts)] == ["high", "high", "high", "low", "normal", "normal"]


def test_without_priority_rules_there_is_no_priority_column(tiny_loader):
    task = route(tiny_loader)
    assert task.output_columns(task.config) == ["queue", "confidence", "needs_review"]
    assert "priority" not in task.run_batch(["urgent"])[0].outputs


def test_new_route_settings_need_a_fallback_unlike_every_queue_and_queues_unlike_in_capitals():
    with pytest.raises(TaskConfigError, match="the fallback queue 'Billing' is also one of your queues"):
        spec_from_dict({"task": "route", "text": "Body", "labels": QUEUES, "fallback": "Billing"}).check_new()
    with pytest.raises(TaskConfigError, match="whatever its capitals; repeated: billing, Billing"):
        spec_from_dict({"task": "route", "text": "Body", "labels": ["billing", "Billing"]}).check_new()


def test_route_messages_call_its_labels_queues():
    with pytest.raises(TaskConfigError, match="give at least two queues"):
        spec_from_dict({"task": "route", "text": "Body", "labels": ["billing"]})
    with pytest.raises(TaskConfigError, match="each queue must appear once, whatever its capitals"):
        spec_from_dict({"task": "route", "text": "Body", "labels": ["billing", "Billing"]}).check_new()


def test_a_priority_level_without_words_is_refused():
    with pytest.raises(TaskConfigError, match="the priority level 'high' lists no words"):
        spec_from_dict({"task": "route", "text": "Body", "labels": QUEUES, "priority": {"high": ""}}).validated_config()


def test_a_priority_level_written_on_two_lines_keeps_the_words_of_both():
    from workbench.tasks.route import parse_priority_lines

    assert parse_priority_lines("high: Safari\nlow: newsletter\nhigh: lamp, outage") == \
        {"high": ["Safari", "lamp", "outage"], "low": ["newsletter"]}


def test_rows_longer_than_the_model_reads_are_noted_for_the_job(tiny_loader):
    task = route(tiny_loader)
    short = ["my invoice charge was wrong"] * 30
    task.adapt(short)
    assert task.notes == []
    long_row = " ".join(["please help with my parcel delivery"] * 20)  # 120 words, the tiny model reads 64 tokens
    task.adapt(short + [long_row] * 2)
    assert task.notes == ["2 of the first 32 rows are longer than the model reads (64 tokens, about 48 words): it "
                          "decides them from their beginning only. Put the column that says most first among the text "
                          "columns, or choose a model that reads more."]
