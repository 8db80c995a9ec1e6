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
