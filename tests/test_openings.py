"""Of a prompt's openings, only the likeliest go on, once every one of them is written."""

from __future__ import annotations

from workbench.models.openings import Openings


def test_a_prompts_openings_are_pruned_to_the_likeliest_once_all_are_written():
    # prompt 0 has three openings (one token, two tokens, one token); prompt 1 two answers without openings
    plan = Openings([[5], [6, 7], [8], [], []], [0, 0, 0, 1, 1], keep=2)
    plan.scores[:3] = [-1.0, -0.5, -3.0]
    plan.drop_unlikely([0, 1, 3], written=[1, 1, 0, 1, 0, 0])  # the third opening is not written yet: wait
    assert plan.dropped == set()
    plan.drop_unlikely([0, 1, 2, 3, 4], written=[2, 2, 1, 2, 2])
    assert plan.dropped == {2} and plan.kept() == [[1, 0], [3, 4]]  # likeliest first; no openings: as given
    assert plan.forced(1, 1) == 7 and plan.forced(1, 2) is None and plan.forced(3, 0) is None


def test_no_openings_force_nothing_and_drop_nothing():
    plan = Openings.none(3)
    plan.drop_unlikely([0, 1, 2], written=[4, 4, 4])
    assert plan.dropped == set() and plan.kept() == [[0], [1], [2]]
