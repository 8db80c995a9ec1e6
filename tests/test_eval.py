import pytest

from workbench.errors import TaskConfigError
from workbench.eval.fields import field_report
from workbench.eval.metrics import classification_report
from workbench.jobs import service
from workbench.jobs.results import reading_spec, results_frame


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


def test_an_answer_no_row_should_have_counts_in_macro_f1_as_scikit_learn_counts_it():
    report = classification_report(["a", "b"], ["a", "Other"])
    assert report.accuracy == 0.5
    assert list(report.confusion.columns) == ["Other", "a", "b"]
    assert report.per_label.loc["Other", "support"] == 0
    assert report.macro_f1 == pytest.approx((0.0 + 1.0 + 0.0) / 3)  # sklearn's f1_score(average="macro") gives 1/3


def test_labels_are_compared_as_trimmed_text():
    assert classification_report([" billing", 1], ["billing ", "1"]).accuracy == 1.0


def _finished_job(settings, tiny_loader):
    import os

    from tests.conftest import SAMPLE_DIR
    from workbench.db import repo
    from workbench.db.session import session_scope
    from workbench.jobs.runner import run_job

    job_id = service.create_job_from_task_file(settings, SAMPLE_DIR / "support_emails.task.yaml",
                                               SAMPLE_DIR / "support_emails.csv", limit=20)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, os.getpid())
    assert run_job(settings, job_id, encoder_loader=tiny_loader) == "completed"
    return job_id


def test_a_job_is_scored_against_its_column_of_right_answers(settings, tiny_loader):
    from workbench.eval.job import evaluate

    frame = results_frame(settings, _finished_job(settings, tiny_loader))
    report = evaluate(frame, "category")
    assert report.rows == 20
    assert report.accuracy == pytest.approx((frame["label"] == frame["category"]).mean())
    assert report.confusion.to_numpy().sum() == 20
    with pytest.raises(Exception, match="no column 'answers'"):
        evaluate(frame, "answers")


def test_jobs_show_with_answers_prints_the_evaluation(settings, tiny_loader, monkeypatch):
    import json

    from click.testing import CliRunner

    from workbench.cli import cli

    job_id = _finished_job(settings, tiny_loader)
    shown = CliRunner().invoke(cli, ["jobs", "show", str(job_id), "--answers", "category"])
    assert shown.exit_code == 0, shown.output
    evaluation = json.loads(shown.stdout)["evaluation"]
    assert evaluation["rows"] == 20 and 0 <= evaluation["accuracy"] <= 1
    assert set(evaluation["per_label"]["billing"]) == {"precision", "recall", "f1", "support"}
    bad = CliRunner().invoke(cli, ["jobs", "show", str(job_id), "--answers", "nope"])
    assert bad.exit_code == 1 and "no column 'nope'" in bad.stderr
    own = CliRunner().invoke(cli, ["jobs", "show", str(job_id), "--answers", "label"])  # scored 1.0 against itself
    assert own.exit_code == 1 and "one of the job's own answers" in own.stderr and "label" not in own.stderr.split(
        "Its columns are:")[1]


def test_the_results_page_scores_the_job_and_draws_the_confusion_matrix(settings, tiny_loader):
    from tests.app.test_pages import page
    from workbench.ui.context import app_settings

    app_settings.clear()
    job_id = _finished_job(settings, tiny_loader)
    app = page("job_results.py", job=str(job_id)).run()
    answers = next(s for s in app.selectbox if s.label.startswith("Column of right answers"))
    assert answers.value == "category"  # its values are the job's labels: picked by itself
    answers.set_value("(none)").run()
    charts_before = len(app.get("vega_lite_chart"))  # the label counts
    next(s for s in app.selectbox if s.label.startswith("Column of right answers")).set_value("category").run()
    assert not app.exception and not app.error
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Rows scored"] == "20" and metrics["Accuracy"].endswith("%")
    assert len(app.get("vega_lite_chart")) == charts_before + 1  # and the confusion matrix
    app_settings.clear()


def test_rouge_matches_a_hand_computed_example():
    from workbench.eval.rouge import rouge

    scores = rouge("The cat sat on the mat.", ["the cat lay on the mat"])
    assert scores["rouge1"] == pytest.approx(5 / 6)  # the x2, cat, on, mat
    assert scores["rouge2"] == pytest.approx(3 / 5)  # "the cat", "on the", "the mat" of five bigrams each
    assert scores["rougeL"] == pytest.approx(5 / 6)  # the cat . on the mat


def test_rouge_takes_the_best_reference_and_scores_nothing_as_zero():
    from workbench.eval.rouge import mean_rouge, rouge

    assert rouge("a b", ["c d", "a b"]) == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert rouge("", ["a b"]) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert mean_rouge(["a b", "x"], [["a b"], ["y"]])["rouge1"] == pytest.approx(0.5)


def test_rouge_l_is_the_longest_common_subsequence_not_a_substring():
    from workbench.eval.rouge import rouge

    assert rouge("a x b y c", ["a b c"])["rougeL"] == pytest.approx(2 * (3 / 5) * 1 / (3 / 5 + 1))


def test_field_report_counts_list_items_and_values_given_where_none_was_expected():
    from workbench.eval.fields import ALL_FIELDS, field_report

    truth = [{"person": ["Ann"], "location": "Paris"}, {"person": [], "location": ""}]
    extracted = [{"person": ["ann ", "Bob"], "location": "Paris"}, {"person": [], "location": "Rome"}]
    report = field_report(truth, extracted)
    for field in ("person", "location"):
        assert (report.loc[field, "precision"], report.loc[field, "recall"]) == (0.5, 1.0)
        assert report.loc[field, "f1"] == pytest.approx(2 / 3) and report.loc[field, "support"] == 1
    assert report.loc[ALL_FIELDS, "support"] == 2 and report.loc[ALL_FIELDS, "f1"] == pytest.approx(2 / 3)


def test_field_report_of_a_field_never_found_is_zero_not_an_error():
    from workbench.eval.fields import field_report

    report = field_report([{"date": "2024-01-02"}], [{}])
    assert report.loc["date"].tolist() == [0.0, 0.0, 0.0, 1]


def _job_frame(columns: dict, outputs: list[str]):
    """A job's results frame: the columns named in `outputs` are the job's answers, the others its input."""
    import pandas as pd

    from workbench.io.result_columns import with_results

    frame = pd.DataFrame(columns)
    return with_results(frame.drop(columns=outputs), frame[outputs])


def test_a_summarize_job_gets_rouge_against_the_right_summaries():
    from workbench.eval.job import SummaryReport, evaluate, report_dict

    frame = _job_frame({"text": ["t1", "t2", "t3"], "reference": ["the cat sat", "a dog ran", ""],
                        "summary": ["the cat sat", "a cat sat", "anything"]}, ["summary"])
    report = evaluate(frame, "reference")
    assert isinstance(report, SummaryReport) and report.rows == 2  # the row without a right summary is left out
    assert report.scores["rouge1"] == pytest.approx((1 + 1 / 3) / 2)
    assert report_dict(report) == {"rows": 2, "rouge1": 0.6667, "rouge2": 0.5, "rougeL": 0.6667}


def test_an_extract_job_is_scored_field_by_field_against_json_right_answers():
    import pandas as pd

    from workbench.eval.fields import ALL_FIELDS
    from workbench.eval.job import FieldReport, evaluate
    from workbench.io.result_columns import with_results

    inputs = pd.DataFrame({"text": ["a", "b"], "right": ['{"name": "Ann", "city": "Paris", "extra": 1}', '{"name": "Bob"}'],
                           "city": ["", ""]})  # the input's own `city`: the job's answers are in `city_result`
    frame = with_results(inputs, pd.DataFrame({"name": ["Ann", ""], "city": ["paris", "Rome"],
                                               "extraction_errors": ["", ""]}))
    report = evaluate(frame, "right")
    assert isinstance(report, FieldReport) and report.rows == 2
    assert list(report.per_field.index) == ["city", "name", ALL_FIELDS]  # "extra" was not extracted: not scored
    assert report.per_field.loc["name", ["precision", "recall"]].tolist() == [1.0, 0.5]
    assert report.per_field.loc["city", ["precision", "recall"]].tolist() == [0.5, 1.0]


def test_extracted_values_are_compared_with_right_answers_by_their_type():
    from workbench.eval.job import evaluate

    right = ['{"amount": "$49.99", "when": "3 March 2024", "phone": "+44 20 7946 0958", "order": "7,781", "who": "Jane  Doe"}']
    frame = _job_frame({"right": right, "amount": ["49.99 USD"], "when": ["2024-03-03"], "phone": ["+442079460958"],
                        "order": [7781], "who": ["jane doe"], "extraction_errors": [""]},
                       ["amount", "when", "phone", "order", "who", "extraction_errors"])
    kinds = {"amount": "money", "when": "date", "phone": "phone", "order": "number", "who": "text"}
    frame.attrs["spec"] = {"task": "extract", "fields": [{"name": n, "type": t} for n, t in kinds.items()]}
    assert evaluate(frame, "right").per_field["f1"].tolist() == [1.0] * 6
    from workbench.eval.fields import values
    assert values("10045001", "number") != values("10045003", "number")  # long numbers are compared in full
    frame.attrs["spec"] = {}  # without the types, as text: "$49.99" is not "49.99 usd"
    assert evaluate(frame, "right").per_field.loc["amount", "f1"] == 0.0


def test_an_extract_right_answer_that_is_not_json_says_what_is_expected():
    from workbench.eval.job import evaluate

    frame = _job_frame({"right": ["Ann"], "name": ["Ann"], "extraction_errors": [""]}, ["name", "extraction_errors"])
    with pytest.raises(Exception, match="must be a JSON object"):
        evaluate(frame, "right")


def test_the_evaluation_section_shows_rouge_for_summaries_and_tables_for_fields_and_label_sets():
    from streamlit.testing.v1 import AppTest

    def section(kind: str):
        from tests.test_eval import _job_frame
        from workbench.ui.evaluation import evaluation_section

        if kind == "summary":
            frame = _job_frame({"reference": ["the cat sat"], "summary": ["the cat sat"]}, ["summary"])
        elif kind == "labels":
            frame = _job_frame({"right": ["a; b"], "label": ["a"], "labels": ["a"]}, ["label", "labels"])
        else:
            frame = _job_frame({"right": ['{"name": "Ann"}'], "name": ["Ann"], "extraction_errors": [""]},
                               ["name", "extraction_errors"])
        evaluation_section(frame)

    summary = AppTest.from_function(section, args=("summary",)).run()
    summary.selectbox[0].set_value("reference").run()
    assert not summary.exception and {m.label: m.value for m in summary.metric}["ROUGE-L"] == "1.000"
    fields = AppTest.from_function(section, args=("fields",)).run()
    fields.selectbox[0].set_value("right").run()
    assert not fields.exception and not fields.error
    assert fields.dataframe[0].value.loc["name", "f1"] == 1.0
    labels = AppTest.from_function(section, args=("labels",)).run()
    labels.selectbox[0].set_value("right").run()
    assert not labels.exception and labels.metric[0].value == "0.0%"
    assert labels.dataframe[0].value.loc["b", "recall"] == 0.0


def test_a_multi_label_job_is_scored_label_by_label_against_cells_of_several_labels():
    from workbench.eval.job import evaluate, report_dict
    from workbench.eval.metrics import MultiLabelReport

    frame = _job_frame({"right": ["billing; shipping", "returns", "billing, returns"],
                        "label": ["billing", "returns", "billing"],
                        "labels": ["billing; shipping", "returns; billing", "billing"]}, ["label", "labels"])
    report = evaluate(frame, "right")
    assert isinstance(report, MultiLabelReport) and report.rows == 3
    assert report.exact_match == pytest.approx(1 / 3)
    assert report.per_label.loc["billing", ["precision", "recall", "support"]].tolist() == [2 / 3, 1.0, 2]
    assert report.per_label.loc["returns", ["precision", "recall", "support"]].tolist() == [1.0, 0.5, 2]
    assert report_dict(report)["per_label"]["shipping"]["f1"] == 1.0
    f1 = report.per_label["f1"]  # every label has right answers here: macro-F1 is their mean
    assert report_dict(report)["macro_f1"] == pytest.approx(round(f1.mean(), 4))  # `jobs show` lacked it


def test_rows_the_job_learnt_from_are_left_out_of_the_score():
    from workbench.eval.answers import example_rows
    from workbench.eval.job import evaluate

    frame = _job_frame({"Body": ["refund me", "where is it", "card declined"], "right": ["billing", "shipping", "billing"],
                        "label": ["billing", "shipping", "shipping"]}, ["label"])
    frame.attrs["spec"] = reading_spec({"task": "classify", "text": ["Body"], "examples": [
        {"text": "refund me", "label": "billing"}, {"text": "where is it", "label": "shipping"}]})
    assert example_rows(frame).tolist() == [True, True, False]
    report = evaluate(frame, "right")
    assert (report.rows, report.accuracy) == (1, 0.0)  # only the row it did not learn from, which it got wrong
    frame.loc[2, "right"] = ""
    with pytest.raises(TaskConfigError, match="Every row with a right answer was one of the job's examples"):
        evaluate(frame, "right")


def test_a_list_fields_items_count_one_by_one_as_the_job_writes_them():
    from workbench.eval.job import evaluate

    # The job writes a list field's items as "Ann; Bob"; the right answer may be a JSON list or the same kind of text.
    frame = _job_frame({"right": ['{"people": ["Ann", "Bob"]}', '{"people": "Cy; Di"}', '{"people": []}'],
                        "people": ["Ann; Bob", "Cy", ""], "extraction_errors": ["", "", ""]},
                       ["people", "extraction_errors"])
    frame.attrs["spec"] = {"task": "extract", "fields": [{"name": "people", "type": "names"}]}
    assert evaluate(frame, "right").per_field.loc["people", ["precision", "recall"]].tolist() == [1.0, 0.75]


def test_the_right_answers_column_is_guessed_only_when_its_cells_are_answers_the_job_gives():
    from workbench.eval.answers import likely_answers_column

    labelled = _job_frame({"Body": ["a", "b", "c", "d"], "stars": ["1", "5", "4", "2"],
                           "category": ["billing", "shipping", "", "billing"],
                           "label": ["billing", "shipping", "billing", "other"]}, ["label"])
    assert likely_answers_column(labelled) == "category"
    unlabelled = _job_frame({"Body": ["a", "b", "c"], "notes": ["billing", "call back", "urgent"],
                             "label": ["billing", "shipping", "billing"]}, ["label"])
    assert likely_answers_column(unlabelled) is None  # one cell in three is a label: not a column of answers
    typed = _job_frame({"Body": ["a", "b"], "team": ["Technical Support", "Billing"],
                        "label": ["technical_support", "technical_support"]}, ["label"])
    typed.attrs["spec"] = {"labels": ["technical_support", "billing"]}
    assert likely_answers_column(typed) == "team"  # the labels written another way
    several = _job_frame({"right": ["a; b", "b", "c"], "labels": ["a", "b; c", "c"]}, ["labels"])
    assert likely_answers_column(several) == "right"
    fields = _job_frame({"Body": ["x", "y"], "truth": ['{"name": "Ann"}', '{"name": "Bo"}'], "name": ["Ann", "Bo"],
                         "extraction_errors": ["", ""]}, ["name", "extraction_errors"])
    assert likely_answers_column(fields) == "truth"
    summaries = _job_frame({"Body": ["x", "y"], "reference": ["a", "b"], "summary": ["a", "b"]}, ["summary"])
    assert likely_answers_column(summaries) is None  # any text column could be a summary: not guessed


def test_the_evaluation_section_starts_on_the_guessed_column():
    from streamlit.testing.v1 import AppTest

    def section():
        from tests.test_eval import _job_frame
        from workbench.ui.evaluation import evaluation_section

        evaluation_section(_job_frame({"Body": ["a", "b", "c"], "category": ["x", "y", "x"], "label": ["x", "y", "y"]},
                                      ["label"]))

    page = AppTest.from_function(section).run()
    assert not page.exception and page.selectbox[0].value == "category"
    assert page.metric[0].value == "66.7%"


def _labelled_job(right: list[str], answers: list[str], labels: list[str], fallback: str | None = None):
    frame = _job_frame({"Body": [f"row {n}" for n in range(len(right))], "category": right, "label": answers}, ["label"])
    frame.attrs["spec"] = {"text": ["Body"], "labels": labels, "fallback": fallback}
    return frame


def test_right_answers_written_another_way_than_the_labels_are_those_labels():
    from workbench.eval.answers import answers_outside_labels
    from workbench.eval.job import evaluate

    frame = _labelled_job(["Technical Support", "billing ", "BILLING", "technical-support", "Shipping"],
                          ["technical_support", "billing", "billing", "technical_support", "billing"],
                          ["technical_support", "billing"])
    assert evaluate(frame, "category").accuracy == 0.8  # all but the row whose right answer is no label
    assert answers_outside_labels(frame, "category") == {"Shipping": 1}
    routed = _labelled_job(["other", "Billing"], ["Other", "billing"], ["billing", "shipping"], fallback="Other")
    assert evaluate(routed, "category").accuracy == 1.0 and answers_outside_labels(routed, "category") == {}


def test_a_label_named_with_a_comma_is_one_label_and_a_single_label_answer_is_never_split():
    """Right answers were split at , ; | for every job: a label "returns, exchanges" was noted as two answers no
    model could give, while its score was right; and in a one-label job "feedback; shipping", scored as one wrong
    answer, went unnoted."""
    from workbench.eval.answers import answers_outside_labels
    from workbench.eval.job import evaluate

    labels = ["returns, exchanges", "billing"]
    frame = _labelled_job(["Returns, Exchanges", "billing", "feedback; shipping"],
                          ["returns, exchanges", "billing", "billing"], labels)
    assert answers_outside_labels(frame, "category") == {"feedback; shipping": 1}
    assert evaluate(frame, "category").accuracy == pytest.approx(2 / 3)
    multi = _job_frame({"Body": ["a", "b"], "category": ["returns, exchanges; billing", "returns, exchanges"],
                        "label": ["billing", "returns, exchanges"], "labels": ["billing; returns, exchanges", "billing"]},
                       ["label", "labels"])
    multi.attrs["spec"] = {"text": ["Body"], "labels": labels}
    report = evaluate(multi, "category")
    assert sorted(report.per_label.index) == sorted(labels) and report.exact_match == 0.5
    assert answers_outside_labels(multi, "category") == {}


def test_the_evaluation_section_warns_of_right_answers_no_label_can_match():
    from streamlit.testing.v1 import AppTest

    def section():
        from tests.test_eval import _labelled_job
        from workbench.ui.evaluation import evaluation_section

        evaluation_section(_labelled_job(["Refunds", "billing", "Refunds"], ["billing"] * 3, ["billing", "shipping"]),
                           suggested="category")

    page = AppTest.from_function(section).run()
    assert not page.exception
    assert "2 right answers in 'category' are none of the job's labels" in page.warning[0].value
    assert "'Refunds' (2)" in page.warning[0].value


def _extract_job(inputs: dict, outputs: dict):
    import pandas as pd

    from workbench.io.result_columns import with_results

    frame = with_results(pd.DataFrame(inputs), pd.DataFrame({**outputs, "extraction_errors": [""] * len(inputs["Body"])}))
    frame.attrs["spec"] = {"text": ["Body"], "fields": [{"name": "amount", "type": "money"}, {"name": "topic", "type": "choice"}]}
    return frame


def test_extract_right_answers_can_be_one_column_per_field_named_as_the_fields():
    from workbench.eval.answers import BY_FIELD, likely_answers_column
    from workbench.eval.job import evaluate

    frame = _extract_job({"Body": ["refund 20 GBP", "hi", "where is it", "not labelled"],
                          "Amount": ["20 GBP", "", "", ""], "topic": ["billing", "other", "shipping", ""]},
                         {"amount": ["20 GBP", "5 GBP", "", ""], "topic": ["billing", "other", "billing", "other"]})
    assert likely_answers_column(frame) == BY_FIELD
    report = evaluate(frame, BY_FIELD)
    assert report.rows == 3  # the row with no right value at all is not labelled: left out
    assert report.per_field.loc["amount", ["precision", "recall"]].tolist() == [0.5, 1.0]  # "5 GBP" where none is
    assert report.per_field.loc["topic", ["precision", "recall"]].tolist() == [2 / 3, 2 / 3]


def test_fields_the_right_answers_never_name_are_not_scored():
    """Right answers for one field of two: the other's values have nothing to be right or wrong against (they all
    counted as wrong, taking the overall precision from 1.0 to 0.17 in an audit)."""
    from workbench.eval.answers import BY_FIELD
    from workbench.eval.fields import ALL_FIELDS
    from workbench.eval.job import evaluate

    frame = _extract_job({"Body": ["refund 20 GBP", "hi"], "amount": ["20 GBP", ""]},
                         {"amount": ["20 GBP", ""], "topic": ["billing", "other"]})
    report = evaluate(frame, BY_FIELD)
    assert list(report.per_field.index) == ["amount", ALL_FIELDS]
    assert report.per_field.loc[ALL_FIELDS, ["precision", "recall"]].tolist() == [1.0, 1.0]


def test_right_dates_are_read_day_first_where_the_job_reads_its_dates_so():
    from workbench.eval.job import evaluate

    frame = _job_frame({"right": ['{"due": "03/04/2024"}'], "due": ["2024-04-03"], "extraction_errors": [""]},
                       ["due", "extraction_errors"])
    frame.attrs["spec"] = {"task": "extract", "fields": [{"name": "due", "type": "date"}]}
    assert evaluate(frame, "right").per_field.loc["due", "f1"] == 0.0  # 4 March against 3 April
    frame.attrs["spec"]["day_first"] = True
    assert evaluate(frame, "right").per_field.loc["due", "f1"] == 1.0


def test_by_field_without_a_column_named_as_a_field_says_how_to_lay_the_answers_out():
    from workbench.errors import TaskConfigError
    from workbench.eval.answers import BY_FIELD
    from workbench.eval.job import evaluate

    frame = _extract_job({"Body": ["a"], "truth": ['{"amount": "1"}']}, {"amount": ["1"], "topic": [""]})
    with pytest.raises(TaskConfigError, match="named as one of the job's fields"):
        evaluate(frame, BY_FIELD)


def test_the_results_tell_evaluation_how_the_job_read_its_dates():
    """The Job results page and the Benchmark page evaluate a frame whose settings come from reading_spec; without
    day_first there, a day-first job's right answers were read month first (F1 0 for every right date)."""
    from workbench.jobs.results import reading_spec

    spec = {"task": "extract", "text": ["Body"], "fields": [{"name": "due", "type": "date"}], "day_first": True}
    assert reading_spec(spec)["day_first"] is True
    assert reading_spec({**spec, "day_first": False})["day_first"] is False


@pytest.mark.parametrize(("kind", "right", "extracted"), [
    ("number", "12,5", 12.5), ("number", "1 299", 1299), ("number", "5531", 5531), ("number", "−5", -5),
    ("money", "-€45", "-45.00 EUR"), ("money", "$12k", "12000.00 USD"), ("money", "45", "45.00 EUR"),
    ("money", "$5 million", "5000000.00 USD"), ("money", "−€45", "-45.00 EUR"),
    ("phone", "+44 (0)20 7946 0958", "+442079460958"),
])
def test_right_numbers_and_amounts_are_read_as_extraction_reads_them(kind, right, extracted):
    from workbench.eval.fields import field_report

    report = field_report([{"f": right}], [{"f": extracted}], {"f": kind})
    assert report.loc["f", "f1"] == 1.0


def test_an_amount_in_another_currency_is_not_the_right_amount():
    from workbench.eval.fields import field_report

    assert field_report([{"f": "49.99 EUR"}], [{"f": "49.99 USD"}], {"f": "money"}).loc["f", "f1"] == 0.0
    assert field_report([{"f": "49.99"}], [{"f": "49.99 USD"}], {"f": "money"}).loc["f", "f1"] == 1.0  # none given


def test_a_right_list_typed_between_commas_is_its_items_but_an_extracted_item_keeps_its_comma():
    from workbench.eval.fields import field_report

    assert field_report([{"f": "Ann, Bob"}], [{"f": "Ann; Bob"}], {"f": "list"}).loc["f", "f1"] == 1.0
    assert field_report([{"f": "Smith, John"}], [{"f": "Smith, John"}], {"f": "names"}).loc["f", "f1"] == 0.0
    assert field_report([{"f": "Smith, John; Ann"}], [{"f": "Smith, John; Ann"}], {"f": "names"}).loc["f", "f1"] == 1.0


def test_right_answers_keyed_as_people_write_field_names_are_those_fields():
    from workbench.eval.job import evaluate

    frame = _job_frame({"right": ['{"Amount": "€5", "Origin City": "Paris"}'], "amount": ["5.00 EUR"],
                        "origin_city": ["Paris"], "extraction_errors": [""]}, ["amount", "origin_city", "extraction_errors"])
    frame.attrs["spec"] = {"task": "extract", "fields": [{"name": "amount", "type": "money"}]}
    assert evaluate(frame, "right").per_field["f1"].tolist() == [1.0, 1.0, 1.0]


def test_right_answers_that_name_no_field_say_so():
    from workbench.eval.job import evaluate

    frame = _job_frame({"right": ['{"total": "€5"}'], "amount": ["5.00 EUR"], "extraction_errors": [""]},
                       ["amount", "extraction_errors"])
    with pytest.raises(TaskConfigError, match=r"name none of the job's fields \(amount\)"):
        evaluate(frame, "right")


def test_a_label_given_to_every_row_but_never_right_lowers_multi_label_macro_f1():
    from workbench.eval.job import headline_scores
    from workbench.eval.metrics import multi_label_report

    report = multi_label_report([{"billing"}, {"shipping"}], [{"billing", "refund"}, {"shipping", "refund"}])
    assert headline_scores(report)["macro-F1"] == pytest.approx(2 / 3)  # as scikit-learn's macro average


def test_an_empty_summary_is_an_answer_scored_zero():
    from workbench.eval.job import evaluate

    frame = _job_frame({"reference": ["the cat sat", "a dog ran"], "summary": ["the cat sat", ""]}, ["summary"])
    report = evaluate(frame, "reference")
    assert report.rows == 2 and report.scores["rouge1"] == pytest.approx(0.5)


def test_rows_a_job_has_not_answered_or_failed_are_not_scored():
    from workbench.eval.job import evaluate

    frame = _job_frame({"right": ['{"name": "Ann"}', '{"name": "Bob"}', '{"name": "Cy"}'], "name": ["Ann", "", ""],
                        "extraction_errors": ["", "", ""],
                        "error": ["", "Not answered yet: the job is running.", "The model failed"]},
                       ["name", "extraction_errors", "error"])
    report = evaluate(frame, "right")
    assert report.rows == 1 and report.per_field.loc["name", ["precision", "recall"]].tolist() == [1.0, 1.0]


def test_a_right_answer_of_blanks_is_no_right_answer():
    import pandas as pd

    from workbench.eval.job import evaluate
    from workbench.io.result_columns import with_results

    inputs = pd.DataFrame({"text": ["a", "b", "c"], "category": ["billing", "  ", "shipping"]})
    frame = with_results(inputs, pd.DataFrame({"label": ["billing", "billing", "shipping"]}))
    report = evaluate(frame, "category")
    assert (report.rows, report.accuracy) == (2, 1.0)


def test_a_right_amount_without_its_currency_is_read_as_money():
    # "2.500" is 2,500 as "2.500 €" is: money has two decimals.
    assert field_report([{"f": "2.500"}], [{"f": "2500.00 EUR"}], {"f": "money"}).loc["f", "f1"] == 1.0


def test_one_amount_given_matches_one_right_amount_at_most():
    report = field_report([{"f": ["45", "€45"]}], [{"f": "45.00 EUR"}], {"f": "money"}).loc["f"]
    assert (report["precision"], report["recall"]) == (1.0, 0.5)  # precision was 2


def test_a_custom_jobs_free_text_has_no_score_and_the_message_says_to_leave_the_column_out():
    import pandas as pd

    from workbench.eval.job import evaluate

    frame = pd.DataFrame({"Body": ["hi"], "expected": ["yes"], "output": ["yes"]})
    frame.attrs["result_columns"] = ["output"]
    with pytest.raises(TaskConfigError, match="writes free text .* leave out the column"):
        evaluate(frame, "expected")


def test_right_answers_outside_the_labels_are_quoted_cut_short():
    from workbench.jobs.progress import listed_counts

    assert listed_counts({"x" * 100_000: 1, "billing ": 2}) == f"'{'x' * 59}…' (1), 'billing ' (2)"
