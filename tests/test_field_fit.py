"""A copied number is kept only where it reads as its own field (tasks/field_fit.py)."""

import numpy as np
import pytest

from workbench.tasks.extract import ERRORS_COLUMN, ExtractConfig, ExtractTask
from workbench.tasks.field_fit import FieldFit, context_of, described
from workbench.tasks.fields import FieldSpec

# A toy encoder: one dimension a topic, counted by its words.
TOPICS = (("order", "invoice", "#"), ("days", "waited", "weeks", "long"), ("€", "price", "money", "amount"))


def toy_embed(texts):
    return np.array([[sum(text.lower().count(word) for word in topic) + 0.01 for topic in TOPICS] for text in texts])


FIELDS = [FieldSpec(name="order_number", type="number", description="the order or invoice number"),
          FieldSpec(name="wait_time", type="number", description="how long the customer has waited"),
          FieldSpec(name="amount", type="money", description="the price or amount of money")]


def test_a_number_reading_as_another_field_names_that_field():
    fit = FieldFit(toy_embed, FIELDS)
    assert fit.nearer_field("order_number", "been 35 days,") == "wait_time"
    assert fit.nearer_field("order_number", "full €119 straight") == "amount"
    assert fit.nearer_field("order_number", "order #48877 arrived") is None
    assert fit.nearer_field("wait_time", "been 35 days,") is None


def test_the_context_is_the_numbers_words_and_one_word_each_side():
    text = "I know it's been 35 days, but I was in hospital."
    start = text.index("35")
    assert context_of(text, start, start + 2) == "been 35 days,"
    assert context_of("#48877 is late", 1, 6) == "#48877 is"
    assert context_of("order 5531", 6, 10, words=0) == "5531"


def test_a_field_reads_as_its_name_and_description():
    assert described(FIELDS[0]) == "order number: the order or invoice number"
    assert described(FieldSpec(name="due-date", type="date")) == "due date"


class ToyEncoder:
    embed = staticmethod(toy_embed)


def _task(fields):
    task = ExtractTask(ExtractConfig(fields=fields), lambda _name=None: ToyEncoder())
    task.field_fit = task._field_fit([f for f in fields if f.type != "choice"])
    return task


def test_extract_drops_a_copied_number_that_reads_as_another_field_and_says_why():
    text = "Body: I know it's been 35 days. Can I still return order #48877?"
    row = _task(FIELDS).checked({"order_number": "35", "wait_time": "35 days", "amount": ""}, text)
    assert row.outputs["order_number"] is None and row.outputs["wait_time"] == 35
    assert "order_number: 'been 35 days.' reads as wait_time more than as order_number (left empty)" in \
        row.outputs[ERRORS_COLUMN]
    kept = _task(FIELDS).checked({"order_number": "#48877", "wait_time": "", "amount": ""}, text)
    assert kept.outputs["order_number"] == 48877 and not kept.outputs[ERRORS_COLUMN]


@pytest.mark.parametrize("fields", [FIELDS[:1], [FIELDS[0], FieldSpec(name="topic", type="choice", options=["a", "b"])]])
def test_a_number_with_no_other_written_field_to_read_as_is_not_checked(fields):
    task = _task(fields)
    assert task.field_fit is None
    assert task.checked({"order_number": "35"}, "Body: it's been 35 days").outputs["order_number"] == 35
