import csv
import re
import shutil

import pytest

from tests.conftest import SAMPLE_DIR
from workbench.errors import InputFileError, TaskConfigError, WorkbenchError
from workbench.tasks.classify import ClassifyConfig
from workbench.tasks.spec import load_task_file, spec_from_dict

BASE = {"task": "classify", "text": "Body", "labels": ["billing", "shipping"]}


def _labelled_rows(path, label_column):
    with open(path, newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row[label_column].strip()]


@pytest.mark.parametrize(
    "stem,text,label_column,labels",
    [
        ("support_emails", ["Subject", "Body"], "category",
         ["billing", "technical_support", "account_access", "shipping", "returns", "feedback"]),
        ("product_reviews", ["review"], "sentiment", ["positive", "negative", "mixed"]),
    ],
)
def test_sample_task_files_load(stem, text, label_column, labels, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples file must be found next to the task file, not in the cwd
    spec = load_task_file(SAMPLE_DIR / f"{stem}.task.yaml")
    config = spec.validated_config()
    assert (spec.task, spec.text, spec.model) == ("classify", text, "default")
    assert spec.name
    assert isinstance(config, ClassifyConfig)
    assert [label.name for label in config.labels] == labels
    assert all(label.description for label in config.labels)
    assert config.threshold == 0.5
    expected = _labelled_rows(SAMPLE_DIR / f"{stem}_examples.csv", label_column)
    assert [e.label for e in config.examples] == [row[label_column].strip() for row in expected]
    assert [e.text for e in config.examples] == [row["text"].strip() for row in expected]
    assert spec.output_columns() == ["label", "confidence", "needs_review"]


def test_examples_file_is_resolved_next_to_the_task_file(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    task_file = folder / "triage.task.yaml"
    shutil.copy(SAMPLE_DIR / "support_emails.task.yaml", task_file)
    (folder / "support_emails_examples.csv").write_text("text,category\nwhere is my parcel,shipping\n")
    monkeypatch.chdir(SAMPLE_DIR)  # the sample folder holds a different file of the same name
    examples = load_task_file(task_file).validated_config().examples
    assert [(e.text, e.label) for e in examples] == [("where is my parcel", "shipping")]


def test_snapshot_round_trips_without_the_examples_file(tmp_path):
    spec = load_task_file(SAMPLE_DIR / "support_emails.task.yaml")
    snapshot = spec.to_dict()
    assert isinstance(snapshot["examples"], list)
    assert snapshot["name"] == "Support email triage"
    assert spec_from_dict(snapshot, base_dir=tmp_path) == spec


def test_a_single_text_column_and_numeric_names_become_text():
    spec = spec_from_dict({**BASE, "text": 2024, "name": 7})
    assert (spec.text, spec.name) == (["2024"], "7")
    assert spec_from_dict({**BASE, "text": ["Subject", 2024]}).text == ["Subject", "2024"]


@pytest.mark.parametrize(
    "data,message",
    [
        ({"text": "Body", "labels": ["a", "b"]}, "must say which task to run, e.g. `task: classify`"),
        (None, "must say which task to run"),
        (["classify"], "must say which task to run"),
        ({"task": "classify", "labels": ["a", "b"]}, "Say which column"),
        ({**BASE, "text": []}, "Say which column"),
        ({**BASE, "task": "translate"}, "Unknown task 'translate'. Available tasks: classify"),
        ({**BASE, "lables": ["a", "b"]}, "lables: is not a setting of this task"),
        ({**BASE, "examples": {"file": "x.csv", "text": "text"}}, "examples needs `file`, `text` and `label`; missing: label"),
    ],
)
def test_bad_specs_say_what_to_fix(data, message):
    with pytest.raises(TaskConfigError, match=message):
        spec_from_dict(data)


def test_missing_examples_file_is_named(tmp_path):
    task_file = tmp_path / "t.yaml"
    task_file.write_text("task: classify\ntext: Body\nexamples: {file: nope.csv, text: text, label: category}\n")
    with pytest.raises(InputFileError, match="nope.csv' does not exist"):
        load_task_file(task_file)


def test_examples_file_without_the_named_columns(tmp_path):
    (tmp_path / "ex.csv").write_text("body,label\nhi,a\n")
    task_file = tmp_path / "t.yaml"
    task_file.write_text("task: classify\ntext: Body\nexamples: {file: ex.csv, text: text, label: category}\n")
    with pytest.raises(TaskConfigError, match="no columns 'text', 'category'. Its columns are: body, label"):
        load_task_file(task_file)


def test_an_examples_workbook_is_read_from_its_named_sheet_and_errors_name_the_examples_file(tmp_path):
    import pandas as pd

    with pd.ExcelWriter(tmp_path / "ex.xlsx") as book:
        pd.DataFrame({"About": ["read me"]}).to_excel(book, sheet_name="Notes", index=False)
        pd.DataFrame({"text": ["refund", "parcel"], "category": ["billing", "shipping"]}).to_excel(
            book, sheet_name="Examples", index=False)
    task_file = tmp_path / "t.yaml"
    task_file.write_text("task: classify\ntext: Body\n"
                         "examples: {file: ex.xlsx, sheet: Examples, text: text, label: category}\n")
    assert [e["label"] for e in load_task_file(task_file).config["examples"]] == ["billing", "shipping"]
    task_file.write_text("task: classify\ntext: Body\nexamples: {file: ex.xlsx, text: text, label: category}\n")
    with pytest.raises(TaskConfigError, match="The examples file 'ex.xlsx': The file has no columns"):
        load_task_file(task_file)
    task_file.write_text("task: classify\ntext: Body\n"
                         "examples: {file: ex.xlsx, tab: Examples, text: text, label: category}\n")
    with pytest.raises(TaskConfigError, match="tab is not a setting of an examples file"):
        load_task_file(task_file)


def test_a_workbook_whose_columns_are_on_another_sheet_names_its_sheets(settings, tmp_path):
    import pandas as pd

    from workbench.jobs import service

    with pd.ExcelWriter(tmp_path / "book.xlsx") as book:
        pd.DataFrame({"Notes": ["read me"]}).to_excel(book, sheet_name="Cover", index=False)
        pd.DataFrame({"Body": ["refund please"]}).to_excel(book, sheet_name="Tickets", index=False)
    with pytest.raises(TaskConfigError, match="the workbook also has 'Tickets': choose the sheet with your data"):
        service.create_job(settings, spec_from_dict(BASE), tmp_path / "book.xlsx")


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "task file '.*missing.yaml' does not exist"),
        ("task: classify\ntext: [Body\n", "'t.yaml' is not valid YAML"),
        ("", "must say which task to run"),
        (b"PK\x03\x04\xc7\x00binary", "'t.yaml' is not a task file: a task file is YAML text"),
        ("name: Caf\xe9\ntask: classify\n".encode("cp1252"), r"another encoding than UTF-8 \(line 1 holds 'é'.*Save it "
                                                           "again as UTF-8"),
        ("task: classify\nlabels:\n\t- a\n", "'t.yaml' is indented with a tab at line 3, column 1: YAML takes spaces"),
        ("task: classify\ntext: Body\nlabels: [a, b]\ninput: in.csv\nlimit: 5\n", r"input, limit: are given when a "
                                                                                 r"job is run, not in a task file"),
        ("task: classify\ntext: Body\nlabels: [a, b]\nthreshold: 0.4\nlabels: [c]\n",
         r"gives 'labels' twice \(the second at line 5\)"),
        ("task: extract\ntext: Body\nfields:\n  - {name: city, type: text, name: town}\n", "gives 'name' twice"),
    ],
)
def test_unreadable_task_files(tmp_path, content, message):
    path = tmp_path / ("missing.yaml" if content is None else "t.yaml")
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(TaskConfigError, match=message):
        load_task_file(path)


def test_yaml_anchors_and_merge_keys_still_read(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("task: classify\ntext: Body\nlabels:\n  - &a {name: a, description: same words}\n"
                    "  - {<<: *a, name: b}\n")
    labels = load_task_file(path).validated_config().labels
    assert [(label.name, label.description) for label in labels] == [("a", "same words"), ("b", "same words")]


def test_a_folder_is_not_a_task_file(tmp_path):
    with pytest.raises(WorkbenchError, match="cannot be read as a task file"):
        load_task_file(tmp_path)


def test_yes_and_no_stay_label_names_and_a_one_line_label_list_is_split(tmp_path):
    task = tmp_path / "answer.task.yaml"
    task.write_text("task: classify\ntext: Body\nlabels: [yes, no, 2024]\n", encoding="utf-8")
    assert [label.name for label in load_task_file(task).validated_config().labels] == ["yes", "no", "2024"]
    task.write_text("task: classify\ntext: Body\nlabels: billing, shipping\n", encoding="utf-8")
    assert [label.name for label in load_task_file(task).validated_config().labels] == ["billing", "shipping"]


def test_templates_are_offered_in_a_fixed_order_whatever_was_imported_first():
    import subprocess
    import sys

    script = ("import workbench.tasks.summarize, workbench.tasks.custom\n"
              "from workbench.tasks.registry import task_classes\nprint(','.join(task_classes()))")
    listed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()
    assert listed == "classify,route,extract,summarize,custom"


def test_a_mistake_in_a_list_of_settings_is_placed_as_a_reader_counts():
    with pytest.raises(TaskConfigError, match=r"field 2, type: should be one of 'text', 'number'"):
        spec_from_dict({"task": "extract", "text": "Body", "fields": [{"name": "a"}, {"name": "b", "type": "colour"}]})
    with pytest.raises(TaskConfigError, match=r"instruction: write what the model should do with each row"):
        spec_from_dict({"task": "custom", "text": "Body"})


def test_a_task_file_without_a_threshold_runs_as_the_new_job_page_starts():
    # Classify flags rows under 0.5 for review; a route sends only rows that match no queue to its fallback.
    assert spec_from_dict(BASE).validated_config().threshold == 0.5
    route = spec_from_dict({**BASE, "task": "route"}).validated_config()
    assert route.threshold == 0.0


def test_numbers_and_dates_in_a_task_file_stay_as_written_where_they_are_names(tmp_path):
    # Read as YAML numbers, label 0123 became 83, 1.10 became 1.1 and 2024-03-05 a date; choices [1, 2, 3] and the
    # priority word 911 were refused as "not a valid string".
    task = tmp_path / "task.yaml"
    task.write_text("task: classify\ntext: Body\nlabels: [0123, 1.10, 2024-03-05]\nthreshold: 0.7\n", encoding="utf-8")
    config = load_task_file(task).validated_config()
    assert [label.name for label in config.labels] == ["0123", "1.10", "2024-03-05"]
    assert config.threshold == 0.7  # a setting that is a number is still read as one
    task.write_text("task: extract\ntext: Body\nfields:\n  - {name: stars, type: choice, choices: [1, 2, 3]}\n",
                    encoding="utf-8")
    assert load_task_file(task).validated_config().fields[0].options == ["1", "2", "3"]
    task.write_text("task: route\ntext: Body\nlabels: [a, b]\npriority: {high: [urgent, 911]}\nmin_similarity: -0.2\n",
                    encoding="utf-8")
    route = load_task_file(task).validated_config()
    assert route.priority == {"high": ["urgent", "911"]} and route.min_similarity == -0.2


def test_a_data_file_given_as_the_task_file_says_the_order(tmp_path):
    with pytest.raises(TaskConfigError, match="is a data file, not a task file"):
        load_task_file(SAMPLE_DIR / "support_emails.csv")


def test_a_task_file_saved_as_utf16_is_read(tmp_path):
    task = tmp_path / "task.yaml"
    task.write_text("task: classify\ntext: Body\nlabels: [billing, shipping]\n", encoding="utf-16")
    assert load_task_file(task).validated_config().labels[0].name == "billing"


def test_a_text_column_named_twice_is_refused_for_a_new_job():
    with pytest.raises(TaskConfigError, match="'Body' is named twice"):
        spec_from_dict({**BASE, "text": ["Body", "Body"]}).check_new()


@pytest.mark.parametrize("given,message", [
    ({"summary": "short"}, "summary: should be written as settings, `name: value`, one per line under it (e.g. "
                           "`summary: {style: short, max_words: 30}`)"),
    ({"fields": {"amount": "money"}}, "fields: should be a list: `[a, b]`, or one `- item` per line under it"),
    ({"priority": "urgent"}, "priority: should be written as settings"),
    ({"fallback": ["x"]}, "fallback: should be a single text, not a list or a group of settings"),
    ({"multi_label": "maybe"}, "multi_label: should be true or false"),
    ({"labels": [["a"], ["b"]]}, "label 1: should be a name, such as `billing`"),
    ({"labels": ["", "b"]}, "label 1, name: is empty"),
    ({"examples": [{"text": "hi", "label": "a"}, "foo"]}, "example 2: should be written as settings"),
    ({"task": ["classify"]}, "`task` takes one name, e.g. `task: classify`."),
    ({"model": ["a"]}, "`model` takes one name, e.g. `model: default`"),
])
def test_a_value_of_the_wrong_shape_is_said_in_a_task_files_words(given, message):
    task = given.get("task") if "task" in given else ("summarize" if "summary" in given else
                                                      "extract" if "fields" in given else
                                                      "route" if {"priority", "fallback"} & set(given) else "classify")
    data = {"task": task, "text": "Body", **({"labels": ["a", "b"]} if task in ("classify", "route") else {}),
            **({"fields": [{"name": "amount", "type": "money"}]} if task == "extract" else {}), **given}
    with pytest.raises(TaskConfigError) as raised:
        spec_from_dict(data).validated_config()
    assert message in str(raised.value) and "Input should" not in str(raised.value)


@pytest.mark.parametrize(("labels", "read"), [
    ("billing: invoices, charges and refunds\nshipping: parcels and tracking\nreturns\n",
     [("billing", "invoices, charges and refunds"), ("shipping", "parcels and tracking"), ("returns", "")]),
    ("billing, shipping", [("billing", ""), ("shipping", "")]),
    ([{"billing": "invoices, charges"}, {"shipping": None}, "returns"],
     [("billing", "invoices, charges"), ("shipping", ""), ("returns", "")]),
])
def test_labels_are_read_as_the_new_job_page_and_yaml_write_them(labels, read):
    spec = spec_from_dict({"task": "classify", "text": "Body", "labels": labels})
    assert [(label.name, label.description) for label in spec.validated_config().labels] == read


@pytest.mark.parametrize(("labels", "said"), [
    ("billing: invoices, shipping: parcels", "a label with a description goes on a line of its own"),
    (["billing", None, "shipping"], "label 2 is empty"), (["billing", {None: "x"}, "c"], "label 2 is empty"),
])
def test_labels_that_cannot_be_read_as_meant_are_refused(labels, said):
    spec = spec_from_dict({"task": "route", "text": "Body", "labels": labels})
    spec.validated_config()  # a job stored with them goes on reading them as it did
    with pytest.raises(TaskConfigError, match=said):
        spec.check_new()


@pytest.mark.parametrize("fallback", ["", "  "])
def test_a_route_needs_a_named_fallback_queue(fallback):
    """An empty fallback gave the rows that fit no queue an empty queue cell."""
    spec = spec_from_dict({"task": "route", "text": "Body", "labels": ["a", "b"], "fallback": fallback})
    spec.validated_config()  # a job stored with it still opens
    with pytest.raises(TaskConfigError, match="name the queue for rows that fit no queue"):
        spec.check_new()


EXTRACT_FIELDS = [{"name": "amount", "type": "money"}, {"name": "topic", "type": "choice", "options": ["billing", "shipping"]}]


@pytest.mark.parametrize(("examples", "said"), [
    ([{"text": "x", "values": {"amunt": "£20"}}], "example 1 gives a value for 'amunt', which is no field"),
    ([{"text": "x", "values": {"topic": "refunds"}}], "'refunds', which is not one of its options"),
    ({"file": "e.csv", "text": "t", "label": "l"}, "extract's examples are written in the task file"),
])
def test_extract_examples_that_do_not_fit_the_fields_are_refused_in_words(examples, said):
    with pytest.raises(TaskConfigError, match=said):
        spec_from_dict({"task": "extract", "text": "Body", "fields": EXTRACT_FIELDS, "examples": examples}).check_new()


def test_an_extract_example_may_write_a_choice_in_other_capitals():
    examples = [{"text": "x", "values": {"topic": "Billing", "amount": "£2"}}]
    spec_from_dict({"task": "extract", "text": "Body", "fields": EXTRACT_FIELDS, "examples": examples}).validated_config()


def test_a_task_without_examples_is_told_so_when_given_an_examples_file():
    with pytest.raises(TaskConfigError, match="summarize takes no examples: remove `examples`"):
        spec_from_dict({"task": "summarize", "text": "Body", "examples": {"file": "e.csv", "text": "t", "label": "l"}})


@pytest.mark.parametrize(("given", "said"), [
    ({"task": "route", "labels": ["a", "b"], "fields": [{"name": "x"}]},
     "fields: is a setting of extract, not of route: remove it, or change `task:`"),
    ({"task": "summarize", "threshold": 0.5}, "threshold: is a setting of classify and route, not of summarize"),
    ({"task": "classify", "labels": ["a", "b"], "lables": ["a"]}, "lables: is not a setting of this task (check the spelling)"),
])
def test_a_setting_of_another_template_is_said_to_be_so_not_misspelt(given, said):
    with pytest.raises(TaskConfigError, match=re.escape(said)):
        spec_from_dict({"text": "Body", **given}).validated_config()


def test_task_file_values_written_the_way_people_write_them_are_read():
    spec = spec_from_dict({"task": "extract", "text": " Body ",
                           "fields": [{"name": "topic", "type": "choice", "choices": "billing, shipping"}]})
    assert spec.text == ["Body"] and spec.validated_config().fields[0].options == ["billing", "shipping"]
    examples = [{"text": "x", "label": "Technical Support"}, {"text": "y", "label": "BILLING"}]
    config = spec_from_dict({"task": "classify", "text": "Body", "labels": ["technical_support", "billing"],
                             "examples": examples}).validated_config()
    assert [e.label for e in config.examples] == ["technical_support", "billing"]  # as a right answer is read


def test_a_list_of_columns_written_as_one_name_is_said_how_to_list():
    import pandas as pd

    from workbench.io.rows import check_columns

    with pytest.raises(TaskConfigError, match=re.escape("list them: `text: [Subject, Body]`")):
        check_columns(pd.DataFrame(columns=["Subject", "Body"]), ["Subject, Body"])


def test_a_task_files_name_is_one_text():
    with pytest.raises(TaskConfigError, match="`name` takes one name"):
        spec_from_dict({"task": "classify", "text": "Body", "labels": ["a", "b"], "name": ["x"]})


def test_a_misspelt_task_with_an_examples_file_is_said_to_be_misspelt():
    with pytest.raises(TaskConfigError, match="Unknown task 'clasify'"):
        spec_from_dict({"task": "clasify", "text": "Body", "examples": {"file": "e.csv", "text": "t", "label": "l"}})
