"""`names` fields: the text's capitalised runs as candidates, each given to the nearest names field when near enough."""

from __future__ import annotations

import numpy as np
import pytest

from tests import generative_fixtures
from workbench.tasks import names
from workbench.tasks.extract import ERRORS_COLUMN
from workbench.tasks.name_candidates import candidate_names
from workbench.tasks.names import NameFinder, NamesField
from workbench.tasks.spec import spec_from_dict


@pytest.mark.parametrize(("text", "found"), [
    ("RT @Nazaire: Trump's budget would cut funding for Appalachia", ["Nazaire", "Trump", "Appalachia"]),
    ("New from Box of Crayons https://t.co/x", ["Box of Crayons"]),  # 'of' joins, links are not names
    ("Hi Sarah, my Marlow armchair from Northwind Home arrived", ["Sarah", "Marlow", "Northwind Home"]),
    ("The Beatles and the Rolling Stones, then The Beatles again", ["Beatles", "Rolling Stones"]),  # each once
    ("back in Paris, France", ["Paris", "France"]),  # punctuation ends a name, and so does the end of a line
    ("Best wishes,\nAnn Lee\nAcme Ltd", ["Ann Lee", "Acme Ltd"]),
    ("the end of Game of Thrones", ["Game of Thrones"]),  # a joiner needs a capitalised word before and after
    ("I think Monday is OK. Thanks!", []),  # pronouns, days, greetings start sentences, they are not names
    # A lone word starting a sentence or line is capitalised for that alone, unless the text capitalises it elsewhere.
    ("Invoice needs a VAT number.\nDelivery was late", ["VAT"]),
    ("Klarna reminders: I paid with Klarna", ["Klarna"]),
    ("RT @Nazaire: Trump says", ["Nazaire", "Trump"]),  # a colon does not end a sentence
    ("Thanks for your help, Ana!\nKind regards,\nMargot", ["Ana", "Margot"]),  # a signature after a comma
    ("Dear Mr. Brown, J. K. Rowling wrote from St. Louis", ["Mr. Brown", "J. K. Rowling", "St. Louis"]),
    ("at Marks & Spencer and the University of the West", ["Marks & Spencer", "University of the West"]),
    ("URGENT: PLEASE REFUND MY ORDER FROM ACME NOW\nsaid Ann", ["Ann"]),  # a line in capitals says nothing
    ("the code SPRING15 failed with E-204 at IKEA", ["IKEA"]),  # codes with digits are not names
    ("mail support@Northwind.com or see https://Northwind.com/Help", []),  # links and addresses are left out
    ("the Bank of America's card, then Apple", ["Bank of America", "Apple"]),
    ("the app says 'Device not found' to Ann", ["Ann"]),  # a quotation's first word starts a sentence
    ("", []),
])
def test_candidates_are_the_texts_runs_of_capitalised_words(text, found):
    assert candidate_names(text) == found


# A made-up meaning space: people along the first axis, places along the second, everything else along the third.
MEANINGS = {"person: names of people": [1, 0, 0.1], "city: places": [0, 1, 0.1], "Ann Lee": [0.9, 0.1, 0.2],
            "Oslo": [0.1, 0.9, 0.2], "Bob": [1, 0, 0], "Rome": [0, 1, 0], "Thing": [0, 0, 1], "Kim": [0.6, 0.05, 0.8]}


def fake_embed(texts):
    return np.array([MEANINGS.get(t, [0, 0, 1]) for t in texts], dtype=np.float32)


def test_each_name_goes_to_the_nearest_field_when_near_enough():
    finder = NameFinder(fake_embed, [NamesField("person", "names of people"), NamesField("city", "places")])
    [row] = finder.find(["Thing: Ann Lee flew to Oslo with Bob"])
    assert row == {"person": ["Ann Lee", "Bob"], "city": ["Oslo"]}  # "Thing" is near neither


def test_examples_bring_names_near_that_the_description_alone_does_not(monkeypatch):
    monkeypatch.setattr(names, "DESCRIPTION_SIMILARITY", 0.7)  # Kim is 0.6 near the description: not enough
    described = NameFinder(fake_embed, [NamesField("person", "names of people")])
    assert described.find(["then Kim called"]) == [{"person": []}]
    monkeypatch.setattr(names, "EXAMPLE_SIMILARITY", 0.5)
    with_examples = NameFinder(fake_embed, [NamesField("person", "names of people", ("Ann Lee", "Bob"))])
    assert with_examples.find(["then Kim called"]) == [{"person": ["Kim"]}]


tiny_generator, build_task = generative_fixtures.tiny_generator, generative_fixtures.build_task


class KeywordEncoder:
    """Stands in for the encoder of an extract job; the generator must not be loaded at all."""

    manifest = None

    def embed(self, texts):
        return fake_embed(texts)


def _names_only_task(spec: dict):
    def no_generator(_name=None):
        pytest.fail("a job of names fields only loaded the generator")
    task = spec_from_dict(spec).build(lambda _name=None: KeywordEncoder(), no_generator)
    task.setup()
    return task


def test_an_extract_job_of_names_fields_needs_no_generator_and_gets_the_examples_names():
    spec = {"task": "extract", "text": ["Subject", "Body"],
            "fields": [{"name": "person", "type": "names", "description": "names of people"},
                       {"name": "city", "type": "names", "description": "places"}],
            "examples": [{"text": "Ann Lee in Oslo", "values": {"person": ["Ann Lee"], "city": "Oslo"}}]}
    task = _names_only_task(spec)
    assert [f.examples for f in task.name_finder.fields] == [("Ann Lee",), ("Oslo",)]
    [row] = task.run_batch(["Subject: Rome\nBody: So Bob flew to Rome"])  # "Subject" and "Body" are column names
    assert row.outputs == {"person": "Bob", "city": "Rome", ERRORS_COLUMN: None}


def test_names_fields_come_with_written_fields_in_one_row(build_task):
    task = build_task({"task": "extract", "text": "Body", "fields": [
        {"name": "customer", "type": "text"}, {"name": "people", "type": "names", "description": "names of people"}]})
    assert list(task.schema["properties"]) == ["customer"]  # the generator writes only the text field
    [row] = task.run_batch(["Ann Lee wrote to Bob about Oslo"])
    assert set(row.outputs) == {"customer", "people", ERRORS_COLUMN}
    assert set((row.outputs["people"] or "").split("; ")) <= {"", "Ann Lee", "Bob", "Oslo"}


def test_names_fields_take_their_examples_names_as_lists_or_texts_and_leave_the_generator_out_of_them():
    from workbench.tasks.extract import ExtractConfig, extraction_instruction
    from workbench.tasks.fields import FieldSpec

    spec = {"task": "extract", "text": "Body", "fields": [{"name": "person", "type": "names"}],
            "examples": [{"text": "Ann Lee met Bob", "values": {"person": "Ann Lee; Bob"}},
                         {"text": "Cy called", "values": {"person": ["Cy"], "amount": 5}}]}
    assert _names_only_task(spec).name_finder.fields[0].examples == ("Ann Lee", "Bob", "Cy")
    config = ExtractConfig(fields=[{"name": "amount", "type": "money"}, {"name": "person", "type": "names"}],
                           examples=[{"text": "Ann Lee met Bob", "values": {"person": ["Ann Lee"]}},
                                     {"text": "Paid 5 EUR", "values": {"amount": "5 EUR"}},
                                     {"text": "Nothing here", "values": {}}])
    shown = extraction_instruction([FieldSpec(name="amount", type="money")], config.examples)
    assert "Ann Lee" not in shown and "Paid 5 EUR" in shown and "Nothing here" in shown


def test_the_kind_of_model_follows_the_fields():
    names_only = spec_from_dict({"task": "extract", "text": "Body", "fields": [
        {"name": "person", "type": "names"}, {"name": "topic", "type": "choice", "options": ["a", "b"]}]})
    assert names_only.model_kind == "encoder"
    with_text = spec_from_dict({**names_only.to_dict(), "fields": [{"name": "product", "type": "text"}]})
    assert with_text.model_kind == "generator"
    # Choices alone stay with the generator: templates saved before names fields existed name one as their model.
    choices_only = spec_from_dict({**names_only.to_dict(), "fields": [{"name": "topic", "type": "choice", "options": ["a"]}]})
    assert choices_only.model_kind == "generator"


def test_a_names_only_job_records_the_encoder_from_the_start(settings, tmp_path):
    from workbench.jobs import service

    path = tmp_path / "rows.csv"
    path.write_text("Body\nAnn Lee wrote\n")
    spec = spec_from_dict({"task": "extract", "text": "Body", "fields": [{"name": "person", "type": "names"}]})
    job = service.get_job(settings, service.create_job(settings, spec, path))
    assert job.model["name"] == "all-MiniLM-L6-v2"  # the model it runs on, not a generator it never loads


def test_each_name_is_read_alone_and_once_so_its_answer_does_not_depend_on_the_batch():
    calls = []

    def recording_embed(texts):
        calls.append(list(texts))
        return fake_embed(texts)

    finder = NameFinder(recording_embed, [NamesField("person", "names of people"), NamesField("city", "places")])
    assert finder.find(["then Bob met Ann Lee", "so Bob flew to Oslo"]) == [
        {"person": ["Bob", "Ann Lee"], "city": []}, {"person": ["Bob"], "city": ["Oslo"]}]
    assert all(len(texts) == 1 for texts in calls)  # the int8 encoder's numbers depend on what is read beside them
    assert sum(texts == ["Bob"] for texts in calls) == 1  # and a name seen before is not read again


def test_a_row_timed_alone_reads_its_names_again():
    spec = {"task": "extract", "text": "Body", "fields": [{"name": "person", "type": "names", "description": "names of people"}]}
    task = _names_only_task(spec)
    task.run_batch(["then Bob called"])
    assert "Bob" in task.name_finder.known
    task.forget_seen_rows()  # a comparison times rows one at a time after the job: no name may be known by then
    assert "Bob" not in task.name_finder.known and task.run_batch(["then Bob called"])[0].outputs["person"] == "Bob"
