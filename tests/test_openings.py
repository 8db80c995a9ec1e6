"""Of a prompt's openings, only the likeliest go on."""

from __future__ import annotations

from workbench.models.openings import Openings


def test_each_prompts_likeliest_openings_go_on_and_the_rest_are_dropped():
    # prompt 0 has three openings, prompt 1 two answers without openings
    plan = Openings([[5], [6, 7], [8], [], []], [0, 0, 0, 1, 1], keep=2)
    plan.scores[:3] = [-1.0, -0.5, -3.0]
    assert plan.places([0, 1, 2, 3]) == 3  # prompt 0's three openings hold the places of the two that go on
    assert plan.choose([0, 1, 2]) == [0, 1] and plan.dropped == {2}
    assert plan.kept() == [[1, 0], [3, 4]]  # likeliest first; no openings: as given


def test_a_prompt_read_in_parts_keeps_no_more_than_asked_for():
    plan = Openings([[5], [6], [7]], [0, 0, 0], keep=2)
    plan.scores[:] = [-2.0, -1.0, -0.1]
    assert plan.choose([0, 1]) == [0, 1] and plan.choose([2]) == [] and plan.kept() == [[1, 0]]


def test_no_openings_drop_nothing():
    plan = Openings.none(3)
    assert plan.places([0, 1, 2]) == 3 and plan.dropped == set() and plan.kept() == [[0], [1], [2]]
