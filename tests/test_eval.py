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
