"""The time left of a job whose rows run shortest first: batch costs fitted by rows and characters."""

import pytest

from workbench.io.rows import RowText
from workbench.jobs.estimate import BatchCosts
from workbench.jobs.runner import BatchLimits, _batches


def _costs(batches, per_row, per_char) -> BatchCosts:
    costs = BatchCosts()
    for rows, chars in batches:
        costs.add(rows, chars, per_row * rows + per_char * chars)
    return costs


def test_the_fit_recovers_a_cost_per_row_and_per_character():
    costs = _costs([(32, 1000), (32, 1600), (30, 2400), (32, 4000)], per_row=0.5, per_char=0.01)
    assert costs.cost_per_row_and_char() == pytest.approx((0.5, 0.01))
    # 10 rows left in this window with 3,000 characters, and 20 more in windows not read yet
    seen_chars_per_row = (1000 + 1600 + 2400 + 4000 + 3000) / (126 + 10)
    expected = 0.5 * 30 + 0.01 * (3000 + 20 * seen_chars_per_row)
    assert costs.seconds_left(30, 10, 3000) == pytest.approx(expected)


def test_longer_rows_left_take_longer_than_the_rate_so_far_says():
    costs = _costs([(10, 100), (10, 200), (10, 300)], per_row=0.0, per_char=0.1)
    rate_so_far = 60 / 30  # seconds per row
    left = costs.seconds_left(10, 10, 1000)
    assert left == pytest.approx(100) and left > 10 * rate_so_far


def test_with_few_batches_the_time_per_row_alone():
    costs = _costs([(8, 100), (8, 900)], per_row=1.0, per_char=0.01)
    assert costs.cost_per_row_and_char() == pytest.approx(((16 + 10) / 16, 0.0))


def test_a_negative_cost_falls_back_to_the_better_single_one():
    costs = BatchCosts()
    for rows, chars, seconds in [(10, 100, 10.0), (10, 500, 9.0), (10, 900, 8.0)]:  # longer rows ran faster
        costs.add(rows, chars, seconds)
    per_row, per_char = costs.cost_per_row_and_char()
    assert per_row == pytest.approx(27 / 30) and per_char == 0.0


def test_nothing_to_go_on_before_the_first_batch():
    assert BatchCosts().seconds_left(100, 50, 5000) is None


def test_each_batch_knows_the_rows_and_characters_left_in_its_window():
    rows = [RowText(i, "x" * length) for i, length in enumerate([1, 2, 3, 4, 5])]
    assert [(len(batch), rest) for batch, rest in _batches(rows, BatchLimits(2, 2))] == [(2, (3, 12)), (2, (1, 5)), (1, (0, 0))]
    assert [(len(batch), rest) for batch, rest in _batches(rows, BatchLimits(2, 1))] == [
        (1, (4, 14)), (2, (2, 9)), (2, (0, 0))]


def test_a_batch_of_long_texts_holds_fewer_rows():
    """Nine texts of 3,000 to 20,000 characters were one first batch: 928 s before the job showed a row."""
    rows = [RowText(i, "x" * length) for i, length in enumerate([3, 3, 5, 9, 20, 20])]
    batches = [[len(r.text) for r in batch] for batch, _ in _batches(rows, BatchLimits(4, 2, chars=20))]
    assert batches == [[3, 3], [5, 9], [20], [20]]  # the first batch's share is 10 characters; a longer row alone
