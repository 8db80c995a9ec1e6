"""Saved templates: versions, task files out and back in."""

import pytest

from tests.conftest import SAMPLE_DIR
from workbench.errors import TaskConfigError
from workbench.jobs import templates
from workbench.tasks.spec import load_task_file, spec_from_dict, task_file_text

ROUTE = spec_from_dict({"task": "route", "text": ["Subject", "Body"], "name": "ignored",
                        "labels": [{"name": "billing", "description": "invoices, refunds"}, "returns"],
                        "examples": [{"text": "refund my card", "label": "billing"}], "fallback": "Elsewhere"})


def test_saving_under_a_name_again_adds_a_version_and_keeps_the_first(settings):
    first = templates.save_template(settings, " Support routing ", ROUTE)
    changed = spec_from_dict({**ROUTE.to_dict(), "fallback": "Other"})
    second = templates.save_template(settings, "Support routing", changed)
    assert (first.name, first.version, second.version) == ("Support routing", 1, 2)
    listed = templates.list_templates(settings)
    assert [(t.name, t.version) for t in listed] == [("Support routing", 2), ("Support routing", 1)]
    assert templates.template_spec(templates.get_template(settings, first.id)).config["fallback"] == "Elsewhere"
    assert templates.template_spec(listed[0]).name == "Support routing"


def test_a_name_saved_for_one_template_is_not_given_settings_of_another(settings):
    templates.save_template(settings, "Email fields", spec_from_dict({"task": "extract", "text": "Body",
                                                                      "fields": [{"name": "amount", "type": "money"}]}))
    with pytest.raises(TaskConfigError, match="'Email fields' is a saved extract template; these settings are for route"):
        templates.save_template(settings, "email fields", ROUTE)
    assert len(templates.list_templates(settings)) == 1


def test_a_template_exported_as_a_task_file_imports_as_the_same_settings(settings, tmp_path):
    saved = templates.template_spec(templates.save_template(settings, "Routing", ROUTE))
    text = task_file_text(saved)
    (tmp_path / "routing.yaml").write_text(text)
    assert load_task_file(tmp_path / "routing.yaml") == saved  # what `workbench run` reads
    changed = text.replace("fallback: Elsewhere", "fallback: Triage")
    imported = templates.import_task_file(settings, "routing.yaml", changed.encode())
    assert (imported.name, imported.version) == ("Routing", 2)
    assert templates.template_spec(imported) == spec_from_dict({**saved.to_dict(), "fallback": "Triage"})
    again = templates.import_task_file(settings, "routing.yaml", changed.encode())  # the same settings once more
    assert again.version == 2 and len(templates.list_templates(settings)) == 2


def test_a_task_file_without_a_name_is_named_after_its_file(settings):
    text = "task: classify\ntext: Body\nlabels: [yes, no]\n"
    imported = templates.import_task_file(settings, "answers.task.yml", text.encode())
    assert imported.name == "answers" and imported.spec["labels"] == ["yes", "no"]


def test_a_name_in_other_capitals_is_a_new_version_of_the_same_template(settings):
    templates.save_template(settings, "Support triage", ROUTE)
    second = templates.save_template(settings, "support TRIAGE", spec_from_dict({**ROUTE.to_dict(), "fallback": "Other"}))
    assert (second.name, second.version) == ("Support triage", 2)


@pytest.mark.parametrize(("content", "message"), [
    ((SAMPLE_DIR / "support_emails.task.yaml").read_bytes(), "reads its examples from the file 'support_emails_examples.csv': "
                                                             "upload that file together with the task file"),
    (b"task: [unclosed", "is not valid YAML at line 1, column 16: expected ',' or ']'"),
    (b"\xff\xfe\x00junk", "is not a task file: a task file is YAML text"),
    (b"task: classify\nlabels: [a, b]\n", "Say which column"),
])
def test_a_task_file_that_cannot_be_imported_says_why(settings, content, message):
    with pytest.raises(TaskConfigError, match=message):
        templates.import_task_file(settings, "upload.yaml", content)
    assert templates.list_templates(settings) == []


def test_a_template_needs_a_name(settings):
    with pytest.raises(TaskConfigError, match="Give the template a name"):
        templates.save_template(settings, "  ", ROUTE)


def test_a_sample_task_file_imports_with_its_examples_file(settings):
    examples = (SAMPLE_DIR / "support_emails_examples.csv").read_bytes()
    saved = templates.import_task_file(settings, "support_emails.task.yaml",
                                       (SAMPLE_DIR / "support_emails.task.yaml").read_bytes(),
                                       {"support_emails_examples.csv": examples})
    spec = templates.template_spec(saved)
    expected = load_task_file(SAMPLE_DIR / "support_emails.task.yaml")
    assert saved.name == "Support email triage" and spec.config["examples"] == expected.validated_config().model_dump(
        mode="json")["examples"]  # written into the template: it no longer needs the file


def test_an_imported_task_file_reads_no_file_but_the_one_uploaded_with_it(settings, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("text,label\nsalary of the CEO,billing\nother,shipping\n")
    task = f"task: classify\ntext: Body\nlabels: [billing, shipping]\nexamples: {{file: {secret}, text: text, label: label}}\n"
    with pytest.raises(TaskConfigError, match="upload that file together with the task file"):
        templates.import_task_file(settings, "t.yaml", task.encode(), {"other.csv": b"text,label\n"})
    uploaded = {"secret.csv": b"text,label\nan invoice,billing\na parcel,shipping\n"}  # the same name, uploaded
    spec = templates.template_spec(templates.import_task_file(settings, "t.yaml", task.encode(), uploaded))
    assert [e["text"] for e in spec.config["examples"]] == ["an invoice", "a parcel"]  # the upload, not the file on disk


def test_a_task_file_imported_then_saved_unchanged_from_the_page_adds_no_version(settings):
    text = "task: classify\ntext: Body\nlabels: [billing, shipping]\nthreshold: 0.4\nmulti_label: no\nsummary_of_nothing: null\n"
    with pytest.raises(TaskConfigError):  # an unknown setting is still refused, numbers or not
        templates.import_task_file(settings, "triage.yaml", text.encode())
    imported = templates.import_task_file(settings, "triage.yaml", text.replace("summary_of_nothing: null\n", "").encode())
    assert imported.spec["threshold"] == 0.4  # a number, as the page saves it, not the text "0.4"
    assert imported.spec["multi_label"] is False  # a flag, not the word "no"
    from_page = spec_from_dict({"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"], "threshold": 0.4,
                                "multi_label": False})
    assert templates.save_template(settings, "triage", from_page).version == 1


@pytest.mark.parametrize("saved,from_the_form", [
    ({"task": "classify", "labels": ["a", "b"]},
     {"task": "classify", "labels": [{"name": "a", "description": ""}, {"name": "b"}], "threshold": 0.5,
      "fine_tune": False}),
    ({"task": "summarize", "summary": {"style": "subject_line"}},
     {"task": "summarize", "summary": {"style": "subject_line", "drafts": 1}}),
    ({"task": "route", "labels": [{"name": "shipping"}, "billing"]},
     {"task": "route", "labels": [{"name": "shipping", "description": ""}, {"name": "billing"}]}),
])
def test_settings_written_out_in_full_are_the_same_settings_and_add_no_version(settings, saved, from_the_form):
    """The New job form writes out what a task file leaves to its defaults: opening a template there and saving it
    unchanged made a version that changed nothing."""
    first = templates.save_template(settings, "Triage", spec_from_dict({**saved, "text": "Body"}))
    again = templates.save_template(settings, "Triage", spec_from_dict({**from_the_form, "text": "Body"}))
    assert again.id == first.id and again.version == 1


def test_a_name_is_one_line_of_visible_text(settings):
    """A NUL in a name (`name: "Triage\\0"` in a task file) was refused by PostgreSQL, and the app called the
    database damaged."""
    imported = templates.import_task_file(settings, "t.yaml", b'name: "Triage\\0 desk\\tone"\ntask: classify\n'
                                                              b"text: Body\nlabels: [a, b]\n")
    assert imported.name == "Triage desk one"


def test_a_utf16_task_file_imports_as_it_runs_from_the_command_line(settings):
    text = "task: classify\ntext: Body\nlabels: [billing, shipping]\n"
    assert templates.import_task_file(settings, "notepad.yaml", b"\xff\xfe" + text.encode("utf-16-le")).version == 1


def test_an_oversized_task_file_is_refused_before_it_is_read(settings, tmp_path):
    big = b"task: classify\ntext: Body\nlabels:\n" + b"".join(b"  - label %d\n" % n for n in range(200_000))
    with pytest.raises(TaskConfigError, match="'big.yaml' is over 2 MB, too big for a task file"):
        templates.import_task_file(settings, "big.yaml", big)
    (tmp_path / "big.yaml").write_bytes(big)
    with pytest.raises(TaskConfigError, match="too big for a task file"):
        load_task_file(tmp_path / "big.yaml")


@pytest.mark.parametrize(("settings_given", "message"), [
    ({"text": {"a": 1}, "labels": ["x", "y"]}, "`text` names the column"),
    ({"text": "Body", "labels": [f"label {n}" for n in range(1_001)]}, "give at most 1,000 labels; these settings have 1,001"),
    ({"text": "Body", "labels": ["x", "y"], "threshold": True}, "threshold: should be a number, not true"),
])
def test_settings_that_cannot_be_meant_are_refused_for_new_jobs_and_templates(settings, settings_given, message):
    with pytest.raises(TaskConfigError, match=message):
        spec_from_dict({"task": "classify", **settings_given}).check_new()
    if settings_given["text"] == "Body":
        with pytest.raises(TaskConfigError, match=message):
            templates.save_template(settings, "t", spec_from_dict({"task": "classify", **settings_given}))
        spec_from_dict({"task": "classify", **settings_given}).output_columns()  # a job stored with them still opens


def test_a_task_file_naming_a_model_this_machine_lacks_is_kept_with_a_note(settings):
    elsewhere = templates.import_task_file(settings, "t.yaml", b"task: classify\ntext: Body\nlabels: [a, b]\nmodel: big-bert\n")
    note = templates.missing_model_note(settings, elsewhere)
    assert note.startswith("'t' runs on the model 'big-bert', which this machine does not have: add it on the Models")
    bundled = templates.import_task_file(settings, "u.yaml", b"task: classify\ntext: Body\nlabels: [a, b]\n")
    assert templates.missing_model_note(settings, bundled) is None  # the bundled model is prepared on first use
