"""custom: {column} placeholders filled from the row's columns; a job end to end."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests import generative_fixtures
from tests.conftest import SAMPLE_DIR
from tests.generative_fixtures import run_through_service
from workbench.errors import TaskConfigError
from workbench.io.rows import RowText, row_texts
from workbench.tasks.custom import fill_instruction
from workbench.tasks.spec import spec_from_dict

# The tiny generator's fixtures, shared by the generative template tests.
tiny_generator, build_task = generative_fixtures.tiny_generator, generative_fixtures.build_task


def _joined(**cells) -> str:
    return row_texts(pd.DataFrame([cells]), list(cells), 10_000)[0].text


def test_placeholders_take_the_values_of_their_columns():
    text = _joined(Subject="Refund", Body="I was charged twice.\nPlease help.", From="a@b.com")
    filled = fill_instruction("Reply to '{Subject}' from {From}: {Body}", text, ["Subject", "Body", "From"])
    assert filled == "Reply to 'Refund' from a@b.com: I was charged twice.\nPlease help."


def test_a_forwarded_email_inside_a_column_does_not_fill_the_other_placeholders():
    body = "Thanks.\n---- Forwarded ----\nSubject: Your order 123\nBody: Thanks for shopping"
    filled = fill_instruction("{Subject} | {Body}", _joined(Subject="Refund please", Body=body), ["Subject", "Body"])
    assert filled == f"Refund please | {body}"


def test_a_line_naming_a_later_column_inside_a_value_stays_in_that_value():
    description = "Printer jams.\nResolution: pending per vendor\nUser retried twice."
    text = _joined(Description=description, Resolution="Replaced roller")
    filled = fill_instruction("{Description} || {Resolution}", text, ["Description", "Resolution"])
    assert filled == f"{description} || Replaced roller"


@pytest.mark.parametrize(("reply", "answer"), [
    ("OK", "OK"), ("OK.", "OK."), ("yes", "yes"),  # a reply that is only the asked-for word is the answer
    ("Here is the invoice. It is due on Friday.", "Here is the invoice. It is due on Friday."),  # a translation
    ("Okay, the customer wants a refund.", "The customer wants a refund."),
    ("Sure! Here is the translation: Bonjour", "Bonjour"),
    ("Bien sûr ! Voici la traduction : Bonjour.", "Bonjour."), ("Claro, aquí está la traducción: Hola.", "Hola."),
    ("Voici la facture.", "Voici la facture."),  # French for "Here is the invoice.": the answer itself
])
def test_a_replys_opener_goes_never_its_answer(reply, answer):
    from workbench.tasks.generative import clean_reply

    assert clean_reply(reply) == answer


@pytest.mark.parametrize(("reply", "answer"), [
    ('```json\n{"sentiment": "negative"}\n```', '{"sentiment": "negative"}'),  # was 'json\n{…}'
    ('Here is the JSON:\n```json\n{"a": 1}\n```\nThis JSON object holds a.', '{"a": 1}'),
    ('{"a": 1} This JSON object holds a.', '{"a": 1}'), ('[{"a": 1}, {"a": 2}]\nTwo items.', '[{"a": 1}, {"a": 2}]'),
    ('```json\n{"a": 1', '{"a": 1'),  # cut short before its closing marks
    ("[1] Refund. [2] Apologise.", "[1] Refund. [2] Apologise."), ("Type ```ls``` to list", "Type ls to list"),
])
def test_a_code_blocks_marks_and_the_words_after_json_are_no_answer(reply, answer):
    from workbench.tasks.generative import clean_reply

    assert clean_reply(reply) == answer


def test_sentences_said_again_and_an_echoed_column_name_are_left_out():
    from workbench.tasks.custom import without_column_label, without_said_again

    reply = "We apologise for the delay. Your parcel ships today. We apologise for the delay.\nWe apologise for the delay."
    assert without_said_again(reply + "\nThanks. Thanks.") == "We apologise for the delay. Your parcel ships today.\nThanks. Thanks."
    rows = '[\n{"type": "refund request issued"},\n{"type": "refund request issued"}\n]'
    assert without_said_again(rows) == rows  # JSON's lines are no sentences
    assert without_column_label("Body: Bonjour", ["Subject", "Body"]) == "Bonjour"
    assert without_column_label("Body:", ["Body"]) == "Body:"  # nothing after it: left as it is


def test_a_column_left_empty_fills_its_placeholder_with_nothing():
    text = _joined(Subject="", Body="Hello", From="a@b.com")
    assert fill_instruction("[{Subject}] {Body} / {From}", text, ["Subject", "Body", "From"]) == "[] Hello / a@b.com"


def test_a_one_column_row_fills_its_placeholder_with_the_whole_text():
    assert fill_instruction("Translate to French: {Body}", _joined(Body="Hello there"), ["Body"]) == "Translate to French: Hello there"


def test_without_placeholders_the_text_follows_the_instruction():
    assert fill_instruction("Say if this is polite.", "Thanks a lot", ["Body"]) == "Say if this is polite.\n\nText:\nThanks a lot"


def test_an_empty_instruction_is_refused():
    with pytest.raises(TaskConfigError, match="instruction"):
        spec_from_dict({"task": "custom", "text": "Body", "instruction": "   "})


def test_the_model_sees_the_filled_instruction(build_task, tiny_generator, monkeypatch):
    task = build_task({"task": "custom", "text": ["Subject", "Body"], "instruction": "Answer {Body} ({Subject})",
                       "max_words": 5})
    seen: list[str] = []
    original = tiny_generator.generate
    monkeypatch.setattr(tiny_generator, "generate", lambda prompts, **kw: seen.extend(prompts) or original(prompts, **kw))
    (row,) = task.run_batch([_joined(Subject="Where is my parcel?", Body="Ordered last week.")])
    assert "Answer Ordered last week. (Where is my parcel?)" in seen[0] and "Body:" not in seen[0]
    assert len(row.outputs["output"].split(" ")) <= 5


def test_a_custom_job_runs_end_to_end(settings, tiny_generator):
    spec = {"task": "custom", "text": ["Subject", "Body"], "instruction": "Reply politely to: {Subject} {Body}"}
    results = run_through_service(settings, tiny_generator, spec, SAMPLE_DIR / "support_emails.csv", limit=5)
    assert len(results) == 5 and all(r.status == "ok" and isinstance(r.outputs["output"], str) for r in results)


@pytest.mark.parametrize(("text", "instruction", "named"), [
    (["Body"], "Reply to {Subject}: {Body}. Mention {Sender}.", "{Subject}, {Sender}, which are"),
    (["Subject", "Body"], "Reply to {subject}", "{subject}, which is"),  # columns are spelt as in the file
])
def test_a_placeholder_that_is_not_a_text_column_is_refused(text, instruction, named):
    with pytest.raises(TaskConfigError, match=f"the instruction names {re.escape(named)} not among the text columns"):
        spec_from_dict({"task": "custom", "text": text, "instruction": instruction}).check_new()


def test_doubled_braces_reach_the_model_as_braces_and_name_no_column():
    """`Answer {yes/no}` was refused as a column no file has, with no way to write a brace."""
    instruction = "Answer {{yes/no}}: is {Body} a complaint?"
    spec_from_dict({"task": "custom", "text": ["Body"], "instruction": instruction}).check_new()
    filled = fill_instruction(instruction, "Subject: Broken\nBody: The {{lamp}} broke", ["Subject", "Body"])
    assert filled == "Answer {yes/no}: is The {{lamp}} broke a complaint?"  # the row's own braces as it wrote them
    with pytest.raises(TaskConfigError, match="written doubled"):
        spec_from_dict({"task": "custom", "text": ["Body"], "instruction": "Answer {yes/no}"}).check_new()


def test_an_empty_placeholder_is_refused_with_a_column_to_write_in_it():
    with pytest.raises(TaskConfigError, match=r"an empty \{\} — write the column it stands for inside the braces, "
                                              r"e.g. \{Subject\}"):
        spec_from_dict({"task": "custom", "text": ["Subject", "Body"], "instruction": "Reply to {Body} {}"}).check_new()


def test_a_generative_job_saves_a_small_first_batch_so_progress_shows_early(settings, tiny_generator):
    import os

    from workbench.db import repo
    from workbench.db.session import session_scope
    from workbench.jobs import service
    from workbench.jobs.runner import run_job

    spec = spec_from_dict({"task": "custom", "text": ["Body"], "instruction": "Thank {Body}", "max_words": 2})
    job_id = service.create_job(settings, spec, SAMPLE_DIR / "support_emails.csv", limit=40)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, os.getpid())
    saved = []
    run_job(settings, job_id, on_batch=lambda job: saved.append(job.done_rows),
            generator_loader=lambda _name=None: tiny_generator)
    assert saved == [16, 40]  # then full batches of 64


def test_a_resumed_generative_run_also_starts_with_a_small_batch(settings, tiny_generator, monkeypatch):
    from workbench.jobs import runner

    windows = [[RowText(i, "x") for i in range(3)], [RowText(i, "y") for i in range(3, 40)]]
    assert [len(batch) for batch, _ in runner._run_batches(iter(windows), runner.BatchLimits(16, 4))] == [3, 16, 16, 5]
    resumed = [[], [RowText(i, "y") for i in range(3, 40)]]  # the first window was done before
    assert [len(batch) for batch, _ in runner._run_batches(iter(resumed), runner.BatchLimits(16, 4))] == [4, 16, 16, 1]


def test_json_in_an_instruction_is_not_a_placeholder():
    instruction = 'Answer as JSON like {"sentiment": "positive"} about {Body}'
    spec_from_dict({"task": "custom", "text": ["Body"], "instruction": instruction}).check_new()
    assert fill_instruction(instruction, _joined(Body="Great"), ["Body"]) == 'Answer as JSON like {"sentiment": "positive"} about Great'


def test_a_row_too_long_for_the_model_fails_alone_and_the_others_are_answered_together(build_task, tiny_generator):
    """Retried one by one as for any failure, a 64-row generative batch took minutes more for one long row."""
    from workbench.errors import RowsFailed
    from workbench.jobs.runner import _outputs_or_errors

    task = build_task({"task": "custom", "text": "Body", "instruction": "Reply to {Body}"})
    long_text = " ".join(["word"] * tiny_generator.window)
    with pytest.raises(RowsFailed) as failed:
        task.run_batch(["short one", long_text, "short two"])
    assert list(failed.value.errors) == [1] and "too long" in failed.value.errors[1]
    batches = []
    original = task.run_batch
    task.run_batch = lambda texts: batches.append(len(texts)) or original(texts)
    rows = [RowText(10, "short one"), RowText(11, long_text), RowText(12, "short two")]
    outputs, retried = _outputs_or_errors(task, rows)
    assert batches == [3, 2] and retried  # the rest together, not each alone
    assert "too long" in outputs[11] and all(not isinstance(outputs[i], str) for i in (10, 12))
