"""Reviews: corrections saved beside the model's answers, shown and exported in their place; the model is scored
against the reviewed rows only when asked."""

import functools
import json

import pytest
from click.testing import CliRunner

from tests.test_jobs import EMAILS, ZERO_SHOT, _results, _start
from workbench.cli import cli
from workbench.errors import JobStateError, TaskConfigError
from workbench.eval.reviewed import evaluate_reviewed
from workbench.io import read_table
from workbench.io.stream import iter_frames
from workbench.jobs import review, service
from workbench.jobs.results import export_job, results_frame
from workbench.jobs.review import RowReview
from workbench.jobs.runner import run_job
from workbench.tasks.spec import spec_from_dict


@pytest.fixture
def job_id(settings, tiny_loader):
    job_id = _start(settings, limit=6)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    return job_id


def _other_label(label: str) -> str:
    return next(name for name in ZERO_SHOT.config["labels"] if name != label)


def test_a_correction_replaces_the_answer_shown_and_exported_but_not_the_models(settings, job_id, tmp_path):
    model = results_frame(settings, job_id)
    corrected = _other_label(model.at[2, "label"])
    assert review.save_reviews(settings, job_id, [RowReview(2, {"label": corrected})]) == 1
    shown = results_frame(settings, job_id)
    assert shown.at[2, "label"] == corrected and shown["reviewed"].tolist() == [False, False, True, False, False, False]
    assert shown.attrs["result_columns"][-1] == "reviewed"
    assert shown.drop(index=2)["label"].tolist() == model.drop(index=2)["label"].tolist()
    assert results_frame(settings, job_id, reviewed=False).equals(model)  # what the evaluation scores
    assert _results(settings, job_id)[2].outputs["label"] == model.at[2, "label"]  # the model's answer is kept
    for suffix in ("csv", "xlsx"):
        written = read_table(export_job(settings, job_id, tmp_path / f"out.{suffix}"))
        assert written.at[2, "label"] == corrected and written["reviewed"].astype(str).str.upper().tolist()[1:3] == ["FALSE", "TRUE"]
        assert written["model_label"].tolist() == ["", "", model.at[2, "label"], "", "", ""]  # who said what


def test_a_row_confirmed_as_right_is_reviewed_with_nothing_corrected(settings, job_id):
    label = results_frame(settings, job_id).at[0, "label"]
    review.save_reviews(settings, job_id, [RowReview(0, {"label": label})])
    assert review.job_reviews(settings, job_id) == {0: {}}
    shown = results_frame(settings, job_id)
    assert shown.at[0, "label"] == label and shown.at[0, "reviewed"]


def test_a_review_can_be_changed_and_taken_back(settings, job_id):
    model = results_frame(settings, job_id)
    first, second = _other_label(model.at[1, "label"]), model.at[1, "label"]
    review.save_reviews(settings, job_id, [RowReview(1, {"label": first})])
    review.save_reviews(settings, job_id, [RowReview(1, {"label": second})])  # back to the model's answer
    assert review.job_reviews(settings, job_id) == {1: {}}
    review.remove_reviews(settings, job_id, [1])
    assert review.job_reviews(settings, job_id) == {}
    assert "reviewed" not in results_frame(settings, job_id).columns


def test_answers_outside_the_jobs_labels_or_columns_are_refused(settings, job_id):
    with pytest.raises(TaskConfigError, match="'refunds' is not a label of this job; pick one of"):
        review.save_reviews(settings, job_id, [RowReview(0, {"label": "refunds"})])
    with pytest.raises(TaskConfigError, match="'confidence' is not an answer to correct; the answers are label"):
        review.save_reviews(settings, job_id, [RowReview(0, {"confidence": 1.0})])
    with pytest.raises(JobStateError, match="Row 7 has no answer to review yet"):
        review.save_reviews(settings, job_id, [RowReview(6, {"label": "billing"})])
    assert review.job_reviews(settings, job_id) == {}  # nothing half-saved


def test_a_chunked_export_applies_reviews_in_every_chunk(settings, job_id, tmp_path, monkeypatch):
    monkeypatch.setattr("workbench.jobs.results.iter_frames", functools.partial(iter_frames, chunk_rows=4))
    corrected = _other_label(results_frame(settings, job_id).at[5, "label"])
    review.save_reviews(settings, job_id, [RowReview(5, {"label": corrected})])
    written = read_table(export_job(settings, job_id, tmp_path / "out.csv"))
    assert written["label"].iloc[5] == corrected
    assert written["reviewed"].astype(str).tolist() == ["False"] * 5 + ["True"]


def test_jobs_show_counts_reviewed_rows_and_scores_the_model(settings, job_id):
    model = results_frame(settings, job_id)
    review.save_reviews(settings, job_id, [RowReview(0, {"label": _other_label(model.at[0, "label"])})])
    result = CliRunner().invoke(cli, ["jobs", "show", str(job_id)])
    assert '"reviewed_rows": 1' in result.output


def test_each_template_names_the_answers_a_reviewer_may_correct():
    route = spec_from_dict({"task": "route", "text": "Body", "labels": ["billing", "returns"],
                            "priority": {"high": ["urgent"]}})
    assert route.answer_choices() == {"queue": ["billing", "returns", "Other"], "priority": ["high", "normal"]}
    extract = spec_from_dict({"task": "extract", "text": "Body", "fields": [
        {"name": "topic", "type": "choice", "options": ["billing", "other"]}, {"name": "order", "type": "number"}]})
    assert extract.answer_choices() == {"topic": ["", "billing", "other"], "order": None}
    assert spec_from_dict({"task": "summarize", "text": "Body"}).answer_choices() == {"summary": None}
    multi = spec_from_dict({"task": "classify", "text": "Body", "labels": ["a", "b"], "multi_label": True})
    assert multi.answer_choices() == {"label": ["a", "b"], "labels": None}


def test_the_queue_holds_answered_flagged_unreviewed_rows_least_sure_first():
    import pandas as pd

    frame = pd.DataFrame({"label": ["a", "b", "a", "b", ""], "confidence": [0.9, 0.2, 0.4, 0.1, ""],
                          "needs_review": [False, True, True, True, ""], "reviewed": [False, False, False, True, False]})
    answered = {0, 1, 2, 3}  # row 4 is not run yet
    assert review.review_queue(frame, answered, "needs_review", "confidence", "reviewed") == [1, 2]
    assert review.review_queue(frame, answered, None, "confidence", "reviewed") == [1, 2, 0]
    assert review.review_queue(frame, answered, None, None, None) == [0, 1, 2, 3]


def test_rows_with_extraction_errors_come_first_then_the_files_order():
    import pandas as pd

    frame = pd.DataFrame({"amount": ["5", "", "7", "x"],
                          "extraction_errors": ["", "amount: 'abc' is not a number", None, "amount: no date"]})
    assert review.review_queue(frame, {0, 1, 2, 3}, None, None, None, "extraction_errors") == [1, 3, 0, 2]


def test_a_job_runs_again_learning_from_its_reviewed_rows(settings, job_id):
    from workbench.jobs.relearn import rerun_with_reviewed_examples

    model = results_frame(settings, job_id)
    corrected = _other_label(model.at[3, "label"])
    review.save_reviews(settings, job_id, [RowReview(3, {"label": corrected}), RowReview(0, {"label": model.at[0, "label"]})])
    again = service.get_job(settings, rerun_with_reviewed_examples(settings, job_id))
    source = read_table(EMAILS, nrows=6)
    assert again.spec["examples"] == [
        {"text": f"Subject: {source.at[0, 'Subject']}\nBody: {source.at[0, 'Body']}", "label": model.at[0, "label"]},
        {"text": f"Subject: {source.at[3, 'Subject']}\nBody: {source.at[3, 'Body']}", "label": corrected}]
    assert again.status == "queued" and again.row_limit == 6 and again.input_path == service.get_job(settings, job_id).input_path
    assert again.name.endswith("+ 2 reviewed rows as examples")


def test_learning_from_reviews_needs_reviewed_rows_of_a_label_or_queue(settings, tiny_loader, tmp_path):
    from workbench.jobs.relearn import rerun_with_reviewed_examples, reviewed_examples

    route = spec_from_dict({"task": "route", "text": ["Subject", "Body"], "labels": ["billing", "returns"]})
    job_id = _start(settings, spec=route, limit=3)
    run_job(settings, job_id, encoder_loader=tiny_loader)
    with pytest.raises(TaskConfigError, match="save the right answer of a few rows in Review first"):
        rerun_with_reviewed_examples(settings, job_id)
    review.save_reviews(settings, job_id, [RowReview(1, {"queue": "Other"})])
    with pytest.raises(TaskConfigError, match="a row sent to 'Other' is no example of a queue"):
        rerun_with_reviewed_examples(settings, job_id)
    review.save_reviews(settings, job_id, [RowReview(2, {"queue": "billing"})])
    again = service.get_job(settings, rerun_with_reviewed_examples(settings, job_id))
    assert [e["label"] for e in again.spec["examples"]] == ["billing"]  # the row sent to Other teaches nothing
    assert again.spec["min_similarity"] == 0.3  # the cut-off the reviewed job ran with (none of its own examples)
    summary = spec_from_dict({"task": "summarize", "text": "Body"})
    with pytest.raises(TaskConfigError, match="only classify and route jobs do"):
        reviewed_examples(settings, job_id, summary)


def _stored_job(settings, spec: dict, outputs: list[dict]) -> int:
    """A finished job whose answers are written straight in (the answers a generator would give)."""
    from workbench.db import repo
    from workbench.db.session import session_scope

    job_id = service.create_job(settings, spec_from_dict(spec), EMAILS, limit=len(outputs))
    with session_scope(settings) as session:
        job = repo.get_job(session, job_id)
        repo.save_results(session, job, [{"row_index": i, "outputs": o, "status": "ok"} for i, o in enumerate(outputs)])
    return job_id


def test_numbers_stay_numbers_when_a_row_is_saved_unchanged_or_corrected(settings, tmp_path):
    from openpyxl import load_workbook

    spec = {"task": "extract", "text": ["Subject", "Body"], "fields": [{"name": "order", "type": "number"},
                                                                      {"name": "quantity", "type": "number"}]}
    job_id = _stored_job(settings, spec, [{"order": 5531, "quantity": 2}, {"order": 6000, "quantity": 1.5},
                                          {"order": 7000, "quantity": None}])
    shown = results_frame(settings, job_id)
    assert review.as_cell(shown.at[0, "order"]) == "5531"  # not 5531.0: an all-number row kept its types
    review.save_reviews(settings, job_id, [RowReview(0, {"order": review.as_cell(shown.at[0, "order"]), "quantity": "2"}),
                                           RowReview(1, {"order": "6,001", "quantity": "1.5"})])
    assert review.job_reviews(settings, job_id) == {0: {}, 1: {"order": 6001}}
    sheet = load_workbook(export_job(settings, job_id, tmp_path / "out.xlsx")).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(3, header.index("order") + 1).value == 6001  # a number cell, not the text "6001"
    written = read_table(export_job(settings, job_id, tmp_path / "out.csv"))
    assert written["order"].tolist() == ["5531", "6001", "7000"]  # not 7000.0 beside an empty quantity


def test_a_changed_field_keeps_the_models_value_beside_it_in_every_chunk(settings, tmp_path, monkeypatch):
    monkeypatch.setattr("workbench.jobs.results.iter_frames", functools.partial(iter_frames, chunk_rows=2))
    spec = {"task": "extract", "text": ["Subject", "Body"], "fields": [{"name": "city", "type": "text"},
                                                                      {"name": "order", "type": "number"}]}
    job_id = _stored_job(settings, spec, [{"city": "Paris", "order": 1}, {"city": "Lyon", "order": 2},
                                          {"city": "Nice", "order": 3}])
    review.save_reviews(settings, job_id, [RowReview(2, {"city": "Nice", "order": "33"})])
    written = read_table(export_job(settings, job_id, tmp_path / "out.csv"))
    assert written["order"].tolist() == ["1", "2", "33"] and written["model_order"].tolist() == ["", "", "3"]
    assert "model_city" not in written.columns  # no review changed it
    assert results_frame(settings, job_id).attrs["result_columns"] == ["city", "order", "extraction_errors",
                                                                       "model_order", "reviewed"]


def test_several_labels_must_be_labels_and_hold_the_best_one(settings):
    spec = {"task": "classify", "text": ["Subject", "Body"], "labels": ["billing", "shipping", "returns"],
            "multi_label": True}
    job_id = _stored_job(settings, spec, [{"label": "billing", "labels": "billing", "confidence": 0.4,
                                           "needs_review": True}])
    with pytest.raises(TaskConfigError, match="'refunds' is not a label of this job; labels are billing, shipping"):
        review.save_reviews(settings, job_id, [RowReview(0, {"label": "billing", "labels": "billing; refunds"})])
    review.save_reviews(settings, job_id, [RowReview(0, {"label": "returns", "labels": "shipping"})])
    assert review.job_reviews(settings, job_id) == {0: {"label": "returns", "labels": "returns; shipping"}}


def test_a_field_called_reviewed_is_not_taken_for_the_review_flag(settings):
    spec = {"task": "extract", "text": ["Subject", "Body"], "fields": [{"name": "reviewed", "type": "text"}]}
    job_id = _stored_job(settings, spec, [{"reviewed": "yes"}, {"reviewed": "no"}])
    review.save_reviews(settings, job_id, [RowReview(0, {"reviewed": "maybe"})])
    frame = results_frame(settings, job_id)
    assert review.reviewed_column(frame) == "reviewed_result" and frame["reviewed"].tolist() == ["maybe", "no"]
    assert review.review_queue(frame, {0, 1}, None, None, review.reviewed_column(frame)) == [1]


def test_a_reviewed_row_no_longer_needs_review_and_a_corrected_answer_drops_the_models_confidence(settings, job_id, tmp_path):
    model = results_frame(settings, job_id)
    review.save_reviews(settings, job_id, [RowReview(1, {"label": _other_label(model.at[1, "label"])}),
                                           RowReview(2, {"label": model.at[2, "label"]})])
    written = read_table(export_job(settings, job_id, tmp_path / "out.csv"))
    assert written.at[1, "confidence"] == "" and written.at[2, "confidence"] == str(model.at[2, "confidence"])
    assert written["needs_review"].tolist()[1:3] == ["False", "False"]
    assert results_frame(settings, job_id, reviewed=False).equals(model)  # the model's own, as scored


def test_typed_fields_are_corrected_in_the_form_the_model_writes_them(settings):
    spec = {"task": "extract", "text": ["Subject", "Body"], "fields": [
        {"name": "order", "type": "number"}, {"name": "amount", "type": "money"}, {"name": "when", "type": "date"}]}
    job_id = _stored_job(settings, spec, [{"order": None, "amount": "119.00 EUR", "when": None}])
    review.save_reviews(settings, job_id, [RowReview(0, {"order": "51,002", "amount": "119.00 EUR", "when": "3 March 2024"})])
    assert review.job_reviews(settings, job_id) == {0: {"order": 51002, "when": "2024-03-03"}}
    with pytest.raises(TaskConfigError, match="order: 'not a number' is not a number: write digits"):
        review.save_reviews(settings, job_id, [RowReview(0, {"order": "not a number"})])
    with pytest.raises(TaskConfigError, match="amount: 'lots of money' is not an amount with its currency"):
        review.save_reviews(settings, job_id, [RowReview(0, {"amount": "lots of money"})])


def _reviewed_score(settings, job_id):
    model = results_frame(settings, job_id, reviewed=False)
    return evaluate_reviewed(model, review.with_job_reviews(settings, job_id, model, service.get_job(settings, job_id).spec))


def test_the_model_is_scored_on_the_reviewed_rows_with_the_reviewers_answers(settings, job_id):
    model = results_frame(settings, job_id)
    review.save_reviews(settings, job_id, [RowReview(0, {"label": model.at[0, "label"]}),  # right
                                           RowReview(1, {"label": _other_label(model.at[1, "label"])})])  # wrong
    report = _reviewed_score(settings, job_id)
    assert (report.rows, report.accuracy) == (2, 0.5)
    shown = json.loads(CliRunner().invoke(cli, ["jobs", "show", str(job_id), "--reviewed"]).output)
    assert shown["evaluation_on_reviewed_rows"]["rows"] == 2 and shown["evaluation_on_reviewed_rows"]["accuracy"] == 0.5


def test_scoring_on_reviewed_rows_before_any_review_says_what_to_do(settings, job_id):
    with pytest.raises(TaskConfigError, match="No row of this job is reviewed yet"):
        _reviewed_score(settings, job_id)
    result = CliRunner().invoke(cli, ["jobs", "show", str(job_id), "--reviewed"])
    assert result.exit_code != 0 and "No row of this job is reviewed yet" in result.output


def test_extracted_fields_are_scored_field_by_field_on_the_reviewed_rows(settings):
    spec = {"task": "extract", "text": ["Subject", "Body"], "fields": [
        {"name": "order", "type": "number"}, {"name": "items", "type": "list"}]}
    job_id = _stored_job(settings, spec, [{"order": 5531, "items": "pen; ink"}, {"order": 6000, "items": "cup"},
                                          {"order": 7000, "items": ""}])
    review.save_reviews(settings, job_id, [RowReview(0, {"order": "5531", "items": "pen; ink"}),
                                           RowReview(1, {"order": "6001", "items": "cup; saucer"})])
    fields = _reviewed_score(settings, job_id).per_field
    assert fields.at["order", "precision"] == 0.5 and fields.at["order", "support"] == 2
    assert fields.at["items", "precision"] == 1.0 and fields.at["items", "recall"] == 0.75


def test_reviews_anywhere_in_the_job_line_up_with_their_rows(settings, job_id):
    model = results_frame(settings, job_id)
    review.save_reviews(settings, job_id, [RowReview(3, {"label": model.at[3, "label"]}),
                                           RowReview(5, {"label": _other_label(model.at[5, "label"])})])
    report = _reviewed_score(settings, job_id)
    assert (report.rows, report.accuracy) == (2, 0.5)
    assert report.confusion.loc[_other_label(model.at[5, "label"]), model.at[5, "label"]] == 1  # right, then given


def test_summaries_are_scored_against_the_reviewers_summaries(settings):
    spec = {"task": "summarize", "text": ["Subject", "Body"]}
    job_id = _stored_job(settings, spec, [{"summary": "refund for a late parcel"}, {"summary": "password reset"},
                                          {"summary": "invoice question"}])
    review.save_reviews(settings, job_id, [RowReview(2, {"summary": "a question about an invoice"})])
    report = _reviewed_score(settings, job_id)
    assert report.rows == 1 and 0 < report.scores["rouge1"] < 1


def test_changing_only_the_best_of_several_labels_keeps_that_label_alone(settings):
    spec = {"task": "classify", "text": ["Subject", "Body"], "labels": ["billing", "shipping", "returns"],
            "multi_label": True}
    model = {"label": "shipping", "labels": "shipping; returns", "confidence": 0.4, "needs_review": True}
    job_id = _stored_job(settings, spec, [model, dict(model)])
    # The form still shows the model's list beside the new best label: not the reviewer's choice of labels.
    review.save_reviews(settings, job_id, [RowReview(0, {"label": "billing", "labels": "shipping; returns"}),
                                           RowReview(1, {"label": "returns", "labels": "shipping; returns"})])
    assert review.job_reviews(settings, job_id) == {0: {"label": "billing", "labels": "billing"},
                                                    1: {"label": "returns", "labels": "returns; shipping"}}


def test_an_emptied_summary_or_output_is_not_taken_for_a_right_answer():
    choices = {"summary": None, "output": None}
    for column in choices:
        with pytest.raises(TaskConfigError, match=f"The {column} is empty: write the right one, or skip the row"):
            review.corrections({column: "The parcel is late."}, {column: "  "}, choices)
    assert review.corrections({"summary": "Late."}, {"summary": "The parcel is late."}, choices) == {
        "summary": "The parcel is late."}


def test_an_empty_answer_left_empty_or_a_number_retyped_is_no_correction():
    from workbench.jobs import review

    choices = {"city": None, "order": None}
    assert review.corrections({"city": None, "order": 5531}, {"city": "", "order": "5531"}, choices) == {}


def test_a_job_whose_input_is_gone_downloads_its_reviewed_answers_by_row_number(settings, job_id, tmp_path):
    from workbench.db import repo
    from workbench.db.session import session_scope
    from workbench.errors import InputFileError
    from workbench.jobs.results import input_of

    model = results_frame(settings, job_id)
    corrected = _other_label(model.at[2, "label"])
    review.save_reviews(settings, job_id, [RowReview(2, {"label": corrected})])
    with session_scope(settings) as session:  # as versions before 2026-11-30 kept a command-line job's input
        repo.get_job(session, job_id).input_path = "sd/support_emails.csv"
    with pytest.raises(InputFileError, match=r"made by an earlier version of the app, which kept its input file's "
                                             r"path as it was typed \(sd/support_emails.csv\)"):
        input_of(service.get_job(settings, job_id))
    written = read_table(export_job(settings, job_id, tmp_path / "alone.csv"))
    assert written["row"].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert written.at[2, "label"] == corrected and written.at[2, "model_label"] == model.at[2, "label"]  # reviewed
    note = CliRunner().invoke(cli, ["jobs", "export", str(job_id), "-o", str(tmp_path / "again.csv")])
    assert note.exit_code == 0 and "input file is not there, so the file holds its answers alone" in note.stderr
