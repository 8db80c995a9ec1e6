"""classify's second opinion: the generator asked about the rows the encoder is unsure of, its lean divided out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from tests import generative_fixtures
from tests.generative_fixtures import run_through_service
from workbench.cli import cli
from workbench.db import repo
from workbench.db.session import session_scope
from workbench.errors import TaskConfigError, WorkbenchError
from workbench.jobs import runner, service
from workbench.models.registry import snapshot_names
from workbench.tasks import second_opinion
from workbench.tasks.classify import LabelSpec
from workbench.tasks.second_opinion import SecondOpinion, agreement_and_chance, joined, label_prompt
from workbench.tasks.spec import spec_from_dict

tiny_generator, build_task = generative_fixtures.tiny_generator, generative_fixtures.build_task

LABELS = [LabelSpec(name="billing", description="invoices, charges, refunds"), LabelSpec(name="shipping")]
TEXTS = ["my invoice was charged twice", "the parcel arrived late", "help", "refund the courier fee please"]
SPEC = {"task": "classify", "text": "text", "labels": [{"name": "billing", "description": "invoices, charges, refunds"},
                                                       {"name": "shipping"}]}


def test_the_prompt_lists_each_label_with_its_description_then_the_row():
    assert label_prompt(LABELS, "my invoice") == \
        "Labels:\n- billing: invoices, charges, refunds\n- shipping\n\nText: my invoice\nLabel:"


def test_the_generators_opinion_is_a_probability_per_label(tiny_generator):
    probabilities = SecondOpinion(tiny_generator, LABELS).probabilities(TEXTS)
    assert probabilities.shape == (len(TEXTS), 2) and np.allclose(probabilities.sum(axis=1), 1.0)


def test_the_answer_does_not_depend_on_the_order_the_labels_were_typed_in(tiny_generator):
    listed = [label_prompt(order, TEXTS[0]) for order in (LABELS, LABELS[::-1])]
    by_order = tiny_generator.option_probabilities(listed, [" billing", " shipping"])
    assert abs(by_order[0, 0] - by_order[1, 0]) > 1e-3  # the tiny model too answers by the labels' places
    assert np.allclose(SecondOpinion(tiny_generator, LABELS).probabilities(TEXTS),
                       SecondOpinion(tiny_generator, LABELS[::-1]).probabilities(TEXTS)[:, ::-1], atol=1e-5)


def test_its_lean_is_divided_out_a_text_with_no_content_gets_no_label(tiny_generator, monkeypatch):
    asked = tiny_generator.option_probabilities([label_prompt(LABELS, "N/A")], [" billing", " shipping"])[0]
    assert abs(asked[0] - asked[1]) > 1e-3  # the tiny model does lean one way
    monkeypatch.setattr(second_opinion, "CONTENT_FREE", ("N/A",))
    assert np.allclose(SecondOpinion(tiny_generator, LABELS).probabilities(["N/A"]), [[0.5, 0.5]])


def test_joined_opinions_are_surer_where_they_agree_than_where_they_do_not():
    encoder = np.array([[0.7, 0.3], [0.7, 0.3]])
    generator = np.array([[0.8, 0.2], [0.2, 0.8]])
    both = joined(encoder, generator)
    assert np.allclose(both.sum(axis=1), 1.0)
    assert both[0, 0] > 0.8 and both[1].max() < 0.7
    assert np.allclose(both[0], np.array([0.56, 0.06]) / 0.62)


def test_classify_asks_the_generator_only_about_rows_the_encoder_is_unsure_of(build_task, tiny_generator, monkeypatch):
    alone = build_task(SPEC)
    encoder = alone.scorer.probabilities(alone._embed(TEXTS))
    cut = float(np.sort(encoder.max(axis=1))[1])  # two rows under it, two at or over it
    monkeypatch.setattr("workbench.tasks.classify.ASK_BELOW", cut + 1e-6)  # float32 confidences: a smaller step would round away
    task = build_task({**SPEC, "second_opinion": True})
    confidences = [o.confidence for o in task.run_batch(TEXTS)]
    generator = SecondOpinion(tiny_generator, LABELS).probabilities(TEXTS)
    expected = np.where(encoder.max(axis=1, keepdims=True) <= cut, joined(encoder, generator), encoder)
    assert np.allclose(confidences, expected.max(axis=1), atol=1e-4)
    assert not np.allclose(confidences, encoder.max(axis=1), atol=1e-4)  # the joined rows did change


def test_a_row_too_long_for_the_generator_keeps_the_encoders_answer(build_task, monkeypatch):
    monkeypatch.setattr("workbench.tasks.classify.ASK_BELOW", 1.01)  # every row would be asked
    long_row = "invoice " * 3000
    alone = build_task(SPEC)
    with_second = build_task({**SPEC, "second_opinion": True})
    assert with_second.run_batch([long_row])[0].confidence == alone.run_batch([long_row])[0].confidence


def test_route_refuses_a_second_opinion():
    with pytest.raises(TaskConfigError, match="classify only"):
        spec_from_dict({**SPEC, "task": "route", "second_opinion": True}).validated_config()


def test_a_job_with_a_second_opinion_records_both_models(settings, tiny_generator, tiny_loader, tmp_path):
    path = tmp_path / "rows.csv"
    pd.DataFrame({"text": TEXTS}).to_csv(path, index=False)
    results = run_through_service(settings, tiny_generator, {**SPEC, "second_opinion": True}, path, limit=len(TEXTS),
                                  encoder_loader=tiny_loader)
    assert [r.status for r in results] == ["ok"] * len(TEXTS)
    with session_scope(settings) as session:
        job = repo.list_jobs(session)[0]
        assert "tiny-llama" in snapshot_names(job.model)


@pytest.mark.parametrize(("model", "said"), [
    ("nonexistent", "There is no model 'nonexistent' on this machine"),
    ("all-MiniLM-L6-v2", "'all-MiniLM-L6-v2' is an encoder model"),
])
def test_the_second_opinions_model_is_checked_before_a_job_is_made(settings, tmp_path, model, said):
    path = tmp_path / "rows.csv"
    pd.DataFrame({"text": TEXTS}).to_csv(path, index=False)
    spec = spec_from_dict({**SPEC, "second_opinion": True, "second_opinion_model": model})
    with pytest.raises(WorkbenchError, match=rf"^The second opinion's model \(`second_opinion_model`\): {said}"):
        service.create_job(settings, spec, path)
    with session_scope(settings) as session:
        assert repo.list_jobs(session) == []


def test_agreement_and_the_agreement_chance_would_give():
    assert agreement_and_chance(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2) == (0.75, 0.5)


def test_the_generator_is_worth_asking_only_if_it_agrees_with_the_encoder_beyond_chance(tiny_generator):
    opinion = SecondOpinion(tiny_generator, LABELS)
    sample = [f"{text} {n}" for n in range(10) for text in TEXTS]
    own = opinion.probabilities(sample).argmax(axis=1)
    assert 0 < own.sum() < len(own)  # the tiny model gives both labels, so chance is below 1
    useful, note = opinion.check(sample, own)
    assert useful and note.endswith("its second opinion is used.") and "100% of the time" in note
    useful, note = opinion.check(sample, 1 - own)
    assert not useful and "the second opinion is off for this job" in note and "0% of the time" in note


def _many_rows() -> list[str]:
    return [f"{text} {n}" for n in range(15) for text in TEXTS]  # 60 rows: enough for a job to adapt to


@pytest.mark.parametrize("needed, used", [(-2.0, True), (2.0, False)])
def test_a_job_keeps_the_second_opinion_only_when_the_check_passes(build_task, monkeypatch, needed, used):
    monkeypatch.setattr(second_opinion, "MIN_AGREEMENT_BEYOND_CHANCE", needed)
    monkeypatch.setattr("workbench.tasks.classify.ASK_BELOW", 1.01)  # every row would be asked
    task, alone = build_task({**SPEC, "second_opinion": True}), build_task(SPEC)
    rows = _many_rows()
    task.adapt(rows)
    alone.adapt(rows)
    assert (task.second is not None) == used and len(task.notes) == 1
    same = [o.confidence for o in task.run_batch(rows[:4])] == [o.confidence for o in alone.run_batch(rows[:4])]
    assert same != used


def test_the_rows_the_check_read_are_not_asked_again(build_task, monkeypatch):
    monkeypatch.setattr(second_opinion, "MIN_AGREEMENT_BEYOND_CHANCE", -2.0)
    task = build_task({**SPEC, "second_opinion": True})
    rows = _many_rows()
    task.adapt(rows)
    checked = task.second.probabilities(rows[:5])
    monkeypatch.setattr(task.second, "_asked", lambda texts, order: pytest.fail("a checked row was asked again"))
    assert np.array_equal(task.second.probabilities(rows[:5]), checked)


def test_the_job_keeps_the_checks_note_and_a_resumed_run_replaces_it(settings, tiny_generator, tiny_loader, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(second_opinion, "MIN_AGREEMENT_BEYOND_CHANCE", 2.0)
    path = tmp_path / "rows.csv"
    pd.DataFrame({"text": _many_rows()}).to_csv(path, index=False)
    run_through_service(settings, tiny_generator, {**SPEC, "second_opinion": True}, path, limit=None,
                        encoder_loader=tiny_loader)
    with session_scope(settings) as session:
        notes = repo.list_jobs(session)[0].measurements["notes"]
    assert len(notes) == 1 and "the second opinion is off for this job" in notes[0]
    with session_scope(settings) as session:
        measured = repo.get_job(session, 1).measurements
    runner._count_setup_time(settings, 1, None, 0.0, 2.0, ["the resumed run's check"])
    with session_scope(settings) as session:
        resumed = repo.get_job(session, 1).measurements
    assert resumed["notes"] == ["the resumed run's check"]
    assert resumed["load_seconds"] == round(measured["load_seconds"] + 2.0, 3)  # what else it measured adds up, kept
    assert resumed["peak_memory_mb"] == measured["peak_memory_mb"]
    runner._count_setup_time(settings, 1, None, 0.0, 0.0, [])  # a run that found nothing to say leaves no old note
    with session_scope(settings) as session:
        assert "notes" not in repo.get_job(session, 1).measurements


def test_a_command_line_run_prints_the_checks_note(settings, tiny_generator, tiny_encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "load_encoder", lambda _settings, _name=None: tiny_encoder)
    monkeypatch.setattr(runner, "load_generator", lambda _settings, _name=None: tiny_generator)
    monkeypatch.setattr(second_opinion, "MIN_AGREEMENT_BEYOND_CHANCE", 2.0)
    rows, task_file = tmp_path / "rows.csv", tmp_path / "task.yaml"
    pd.DataFrame({"text": _many_rows()}).to_csv(rows, index=False)
    task_file.write_text("task: classify\ntext: text\nlabels: [billing, shipping]\nsecond_opinion: true\n")
    result = CliRunner().invoke(cli, ["run", str(task_file), str(rows), "-o", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert "Note: On the file's first 60 rows the text generator gave the label model's answer" in result.stderr


def test_trying_a_few_rows_says_what_the_check_found_on_the_preview(settings, tiny_generator, tiny_encoder, monkeypatch):
    monkeypatch.setattr(service, "load_encoder", lambda _settings, _name=None: tiny_encoder)
    monkeypatch.setattr(service, "load_generator", lambda _settings, _name=None: tiny_generator)
    preview = pd.DataFrame({"text": _many_rows()})
    tried = service.try_on_rows(settings, spec_from_dict({**SPEC, "second_opinion": True}), preview.head(5), context=preview)
    assert len(tried) == 5 and len(tried.attrs["notes"]) == 1
    assert tried.attrs["notes"][0].startswith("On the file's first 60 rows the text generator gave")


def test_the_second_opinion_asks_the_generator_it_names(tiny_generator, tiny_loader):
    asked_for = []
    spec = spec_from_dict({**SPEC, "second_opinion": True, "second_opinion_model": "big-llama"})
    spec.build(tiny_loader, lambda name=None: asked_for.append(name) or tiny_generator).setup()
    assert asked_for == ["big-llama"]


def test_a_second_opinion_model_needs_the_second_opinion_switched_on():
    with pytest.raises(TaskConfigError, match="add `second_opinion: true`"):
        spec_from_dict({**SPEC, "second_opinion_model": "big-llama"}).validated_config()
    with pytest.raises(TaskConfigError, match="remove `second_opinion_model` from the route task"):
        spec_from_dict({**SPEC, "task": "route", "second_opinion_model": "big-llama"}).validated_config()


def test_too_few_rows_to_check_on_are_said_and_the_second_opinion_is_used(build_task):
    task = build_task({**SPEC, "second_opinion": True})
    task.adapt(TEXTS)
    assert task.second is not None and task.notes == [
        "4 rows are too few to check the text generator's second opinion on (it takes 50): it is used, as asked."]


def test_labels_too_long_for_the_generators_window_are_refused_at_set_up(tiny_generator, monkeypatch):
    monkeypatch.setattr(tiny_generator, "window", 20)
    with pytest.raises(TaskConfigError, match="too long for the text generator's window"):
        SecondOpinion(tiny_generator, LABELS)


def test_several_labels_per_row_follow_the_joined_opinions(build_task, monkeypatch):
    monkeypatch.setattr("workbench.tasks.classify.ASK_BELOW", 1.01)  # every row asked
    config = {**SPEC, "labels": [*SPEC["labels"], {"name": "returns"}], "second_opinion": True, "multi_label": True,
              "label_threshold": 0.3}
    task = build_task(config)
    joined_rows = joined(task.scorer.probabilities(task._embed(TEXTS)), task.second.probabilities(TEXTS))
    for output, row in zip(task.run_batch(TEXTS), joined_rows, strict=True):
        passing = [name for name, p in zip(("billing", "shipping", "returns"), row, strict=True) if p >= 0.3]
        best = ("billing", "shipping", "returns")[int(row.argmax())]
        assert output.outputs["labels"].split("; ") == [best, *sorted(set(passing) - {best}, key=lambda n: -row[
            ("billing", "shipping", "returns").index(n)])]
