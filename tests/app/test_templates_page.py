"""Saved templates on the New job page (save, then run one on another file's columns) and the Templates page."""

from __future__ import annotations

from tests.app.test_pages import fresh_app, page  # noqa: F401 (fresh_app: each test its own settings, no worker)
from tests.app.test_route_form import _queued_spec, _sample_job_page
from workbench.jobs import templates
from workbench.tasks.spec import read_task_yaml, spec_from_dict


def _save_route_template(app, name: str) -> None:
    next(s for s in app.selectbox if s.label == "Task").set_value("route").run()
    app.text_area[0].input("billing: invoices\nshipping: parcels").run()
    next(t for t in app.text_input if t.label.startswith("Fallback queue")).input("Triage").run()
    next(t for t in app.text_input if t.label == "Template name").input(name).run()
    next(b for b in app.button if b.label == "Save template").click().run()
    assert not app.exception, app.exception


def test_settings_saved_as_a_template_run_again_from_new_job(settings):
    app = _sample_job_page()
    _save_route_template(app, "Routing")
    assert [s.value for s in app.success][-1].startswith("Saved as 'Routing', version 1")
    again = _sample_job_page()  # a new visit: the saved template is offered
    next(r for r in again.radio if r.label == "Settings").set_value("Use a saved template").run()
    assert next(m for m in again.multiselect).value == ["Subject", "Body"]  # the template's columns, preselected
    spec = _queued_spec(again, settings)
    assert spec["task"] == "route" and spec["fallback"] == "Triage" and spec["text"] == ["Subject", "Body"]
    assert spec["name"] == "support_emails.csv · Routing"  # the job says which template it ran
    assert [label["name"] for label in spec["labels"]] == ["billing", "shipping"]


def test_saving_again_under_the_name_adds_a_version(settings):
    app = _sample_job_page()
    _save_route_template(app, "Routing")
    next(t for t in app.text_input if t.label.startswith("Fallback queue")).input("Other").run()
    next(b for b in app.button if b.label == "Save template").click().run()
    assert [(t.name, t.version) for t in templates.list_templates(settings)] == [("Routing", 2), ("Routing", 1)]


def test_the_templates_page_lists_versions_and_shows_each_as_a_task_file(settings):
    app = page("templates.py").run()
    assert not app.exception and "No saved templates yet" in app.info[0].value
    spec = spec_from_dict({"task": "classify", "text": "Body", "labels": ["billing", "shipping"]})
    templates.save_template(settings, "Triage", spec)
    templates.save_template(settings, "Triage", spec_from_dict({**spec.to_dict(), "threshold": 0.7}))
    app = page("templates.py").run()
    assert app.dataframe[0].value[["name", "version"]].values.tolist() == [["Triage", 2], ["Triage", 1]]
    assert read_task_yaml(app.code[0].value, "shown")["threshold"] == 0.7
    app.selectbox[0].set_value(templates.list_templates(settings)[1]).run()
    assert "threshold" not in read_task_yaml(app.code[0].value, "shown")  # version 1 left it at its default
    assert [b.proto.label for b in app.get("download_button")] == ["Download task file"]
