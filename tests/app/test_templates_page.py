"""Saved templates on the New job page (save, then run one on another file's columns) and the Templates page."""

from __future__ import annotations

import pytest

from tests.app.test_pages import fresh_app, page  # noqa: F401 (fresh_app: each test its own settings, no worker)
from tests.app.test_route_form import _queued_spec, _sample_job_page
from workbench.jobs import service, templates
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
    # Offered at once on this page too: it appeared only after the next click.
    assert [r.options for r in app.radio if r.label == "Settings"] == [["Set them here", "Use a saved template"]]
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
    assert float(read_task_yaml(app.code[0].value, "shown")["threshold"]) == 0.7  # read as the settings read it
    app.selectbox[0].set_value(templates.list_templates(settings)[1].id).run()
    assert "threshold" not in read_task_yaml(app.code[0].value, "shown")  # version 1 left it at its default
    assert [b.proto.label for b in app.get("download_button")] == ["Download task file"]


def test_a_template_is_taken_to_new_job_from_the_templates_page(settings):
    """The page showed the YAML and a command line; a business user had to find the template again on New job."""
    spec = spec_from_dict({"task": "classify", "text": ["Subject", "Body"], "labels": ["billing", "shipping"]})
    templates.save_template(settings, "Triage", spec)
    templates.save_template(settings, "Triage", spec_from_dict({**spec.to_dict(), "threshold": 0.7}))
    first = templates.list_templates(settings)[1]
    app = page("templates.py").run()
    app.selectbox[0].set_value(first.id).run()
    next(b for b in app.button if b.label == "Use it in a new job").click().run()
    assert not app.exception and [t.value for t in app.title] == ["New job"]
    app.switch_page("app_pages/new_job.py").run()  # AppTest's next runs stay on the page it was given, unlike a browser
    app.radio[0].set_value("Use a sample file").run()
    next(s for s in app.selectbox if s.label == "Sample file").set_value("support_emails.csv").run()
    assert next(r for r in app.radio if r.label == "Settings").value == "Use a saved template"
    assert next(s for s in app.selectbox if s.label == "Saved template").value == first.id
    queued = _queued_spec(app, settings)
    assert queued["threshold"] == spec.validated_config().threshold  # version 1's, not version 2's 0.7


def test_a_saved_template_opens_in_the_form_to_be_changed_and_saved_as_a_new_version(settings):
    app = _sample_job_page()
    next(s for s in app.selectbox if s.label == "Task").set_value("route").run()
    app.text_area[0].input("billing: invoices\nshipping: parcels").run()
    next(t for t in app.text_area if t.label.startswith("Priority")).input("high: urgent, asap").run()
    next(c for c in app.checkbox if c.label.startswith("Set how closely")).check().run()
    next(s for s in app.slider if s.label.startswith("Rows less similar")).set_value(0.2).run()
    next(t for t in app.text_input if t.label == "Template name").input("Routing").run()
    next(b for b in app.button if b.label == "Save template").click().run()

    again = _sample_job_page()
    next(r for r in again.radio if r.label == "Settings").set_value("Use a saved template").run()
    next(b for b in again.button if b.label == "Change these settings").click().run()
    assert not again.exception, again.exception
    assert next(r for r in again.radio if r.label == "Settings").value == "Set them here"
    assert next(s for s in again.selectbox if s.label == "Task").value == "route"
    assert again.text_area[0].value == "billing: invoices\nshipping: parcels"
    assert next(s for s in again.slider if s.label.startswith("Rows less similar")).value == 0.2
    next(t for t in again.text_input if t.label.startswith("Fallback queue")).input("Triage").run()
    assert next(t for t in again.text_input if t.label == "Template name").value == "Routing"
    next(b for b in again.button if b.label == "Save template").click().run()
    saved = templates.list_templates(settings)
    assert [(t.name, t.version) for t in saved] == [("Routing", 2), ("Routing", 1)]
    changed, first = (templates.template_spec(t).config for t in saved)
    assert changed["fallback"] == "Triage" and first["fallback"] == "Other"
    assert changed["priority"] == first["priority"] == {"high": ["urgent", "asap"]}
    assert changed["min_similarity"] == first["min_similarity"] == 0.2


def test_settings_the_form_does_not_show_are_kept_when_a_template_is_changed(settings):
    spec = spec_from_dict({"task": "extract", "text": ["Body"], "fields": [
        {"name": "amount", "type": "money", "description": "the amount charged"},
        {"name": "priority", "type": "choice", "options": ["low", "high"]}],
        "examples": [{"text": "Charged 5 EUR, urgent", "values": {"amount": "5 EUR", "priority": "high"}}]})
    templates.save_template(settings, "Amounts", spec)
    app = _sample_job_page()
    next(r for r in app.radio if r.label == "Settings").set_value("Use a saved template").run()
    next(b for b in app.button if b.label == "Change these settings").click().run()
    assert app.text_area[0].value == "amount (money): the amount charged\npriority (choice: low, high)"
    queued = _queued_spec(app, settings)
    assert queued["fields"] == spec_from_dict(queued).validated_config().model_dump(mode="json")["fields"]
    assert [f["name"] for f in queued["fields"]] == ["amount", "priority"]
    assert queued["examples"] == spec.validated_config().model_dump(mode="json")["examples"]  # kept, though not shown


def _opened(settings, spec, name: str = "Saved") -> object:
    """The New job page on a sample file with the template `name` opened (the first in the list: sorted by name)."""
    templates.save_template(settings, name, spec_from_dict(spec))
    app = _sample_job_page()
    next(r for r in app.radio if r.label == "Settings").set_value("Use a saved template").run()
    next(b for b in app.button if b.label == "Change these settings").click().run()
    assert not app.exception, app.exception
    return app


def test_a_classify_template_opens_with_its_examples_and_options(settings):
    examples = [{"text": "Charged twice", "label": "billing"}, {"text": "Parcel lost", "label": "shipping"}]
    app = _opened(settings, {"task": "classify", "text": ["Subject", "Body"], "labels": ["billing", "shipping"],
                             "examples": examples, "multi_label": True, "label_threshold": 0.2, "threshold": 0.7,
                             "second_opinion": True})
    assert next(r for r in app.radio if r.label.startswith("Labelled examples")).value == "The template's examples"
    assert next(c for c in app.checkbox if c.label == "Several labels per row").value
    assert next(c for c in app.checkbox if c.label.startswith("Also ask the text generator")).value
    queued = _queued_spec(app, settings)
    assert queued["examples"] == examples and queued["label_threshold"] == 0.2 and queued["threshold"] == 0.7
    assert queued["second_opinion"] is True


def test_a_summarize_template_opens_with_its_style_and_lengths(settings):
    app = _opened(settings, {"task": "summarize", "text": ["Body"], "summary": {"style": "bullets", "max_words": 25,
                                                                                "drafts": 2}})
    queued = _queued_spec(app, settings)
    assert queued["summary"] == {"style": "bullets", "max_words": 25, "drafts": 2}
    assert queued["text"] == ["Body"]  # the template's columns, not the ones chosen before it was opened


def test_a_template_version_can_be_deleted_after_saying_so(settings):
    spec = spec_from_dict({"task": "classify", "text": "Body", "labels": ["billing", "shipping"]})
    templates.save_template(settings, "Triage", spec)
    templates.save_template(settings, "Triage", spec_from_dict({**spec.to_dict(), "threshold": 0.7}))
    app = page("templates.py").run()
    delete = next(b for b in app.button if b.label == "Delete")
    assert delete.disabled  # not before the box is ticked
    next(c for c in app.checkbox if c.label.startswith("Yes, delete version 2 of 'Triage'")).check().run()
    next(b for b in app.button if b.label == "Delete").click().run()
    assert not app.exception, app.exception
    assert app.success[0].value == "Deleted version 2 of 'Triage'."
    assert [(t.name, t.version) for t in templates.list_templates(settings)] == [("Triage", 1)]
    picker = next(s for s in app.selectbox if s.label == "Template")  # its value set, so a browser shows version 1
    assert app.session_state[picker.key] == picker.value and picker.format_func(picker.value) == "Triage · version 1"
    templates.save_template(settings, "Triage", spec_from_dict({**spec.to_dict(), "threshold": 0.9}))
    # A deleted version's number is not given again: a task file downloaded as v2 keeps naming those settings.
    assert [(t.name, t.version) for t in templates.list_templates(settings)] == [("Triage", 3), ("Triage", 1)]


def test_a_template_with_settings_beyond_the_forms_sliders_still_opens(settings):
    app = _opened(settings, {"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"],
                             "multi_label": True, "label_threshold": 0.6})
    assert next(s for s in app.slider if s.label.startswith("Give every label")).value == 0.5
    assert any("cannot show all of the template 'Saved' as it is saved: label_threshold (0.6: the slider goes from "
               "0.05 to 0.5)" in w.value for w in app.warning)  # it became 0.5 without a word
    route = _opened(settings, {"task": "route", "text": ["Body"], "labels": ["billing", "shipping"], "min_similarity": -0.2},
                    name="Route")  # another template: a name holds one template's versions
    assert next(s for s in route.slider if s.label.startswith("Rows less similar")).value == -0.2


@pytest.mark.parametrize("spec", [
    {"task": "extract", "text": ["Body"], "fields": [
        {"name": "n (count)", "type": "number", "description": "a, b"},  # it was dropped: the line read as no field
        {"name": "city", "type": "choice", "options": ["New York, NY", "Paris"]},  # became New York / NY / Paris
        {"name": "tags", "type": "list", "description": "line one\nline two"}],  # a second field "line two"
     "examples": [{"text": "3 visits to New York, NY: art, food", "values": {"n (count)": 3, "city": "New York, NY",
                                                                            "tags": ["art", "food"]}}]},
    {"task": "classify", "text": ["Body"], "labels": [{"name": "tech: support", "description": "multi\nline"},
                                                      {"name": "billing", "description": "invoices"}]},
])
def test_a_template_opened_in_the_form_and_saved_unchanged_is_the_same_template(settings, spec):
    """Field names with brackets, options with commas and descriptions of several lines were changed or dropped by
    the form, and saving it unchanged made a second version of other settings."""
    app = _opened(settings, spec)
    assert not app.warning
    next(b for b in app.button if b.label == "Save template").click().run()
    assert not app.exception and [t.version for t in templates.list_templates(settings)] == [1]
    queued = _queued_spec(app, settings)
    expected = spec_from_dict(spec).validated_config().model_dump(mode="json")
    for setting in ("fields", "labels", "examples"):
        if setting in spec:
            assert [_one_line(item) for item in queued[setting]] == [_one_line(item) for item in expected[setting]]


def _one_line(item: dict) -> dict:
    return {**item, **({"description": " ".join(item["description"].split())} if item.get("description") else {})}


def test_settings_kept_from_a_template_are_shown_and_can_be_dropped(settings):
    spec = {"task": "route", "text": ["Body"], "labels": ["billing", "shipping"], "priority": {"high": ["urgent"]},
            "default_priority": "low"}
    app = _opened(settings, spec)
    assert any("Kept from the template 'Saved', though not on this form: default_priority" in c.value for c in app.caption)
    next(b for b in app.button if b.label == "Drop them").click().run()
    assert not any(c.value.startswith("Kept from the template") for c in app.caption)
    assert _queued_spec(app, settings)["default_priority"] == "normal"


def test_an_extract_template_opens_with_its_examples_in_the_examples_table(settings):
    examples = [{"text": "Ann paid 5 EUR", "values": {"amount": "5 EUR", "people": ["Ann"]}}]
    spec = {"task": "extract", "text": ["Body"], "examples": examples,
            "fields": [{"name": "amount", "type": "money"}, {"name": "people", "type": "names"}]}
    app = _opened(settings, spec)
    assert not any(c.value.startswith("Kept from the template") for c in app.caption)  # the form shows them
    assert _queued_spec(app, settings)["examples"] == examples


def test_examples_follow_the_fields_they_give_values_for(settings):
    spec = {"task": "extract", "text": ["Body"], "fields": [{"name": "amount", "type": "money"}],
            "examples": [{"text": "Charged 5 EUR", "values": {"amount": "5 EUR"}}]}
    app = _opened(settings, spec)
    next(t for t in app.text_area if t.label.startswith("Fields")).input("rating (number)\namount (money)").run()
    assert _queued_spec(app, settings)["examples"] == spec["examples"]  # the text and the amount stay
    app = _opened(settings, spec)
    next(t for t in app.text_area if t.label.startswith("Fields")).input("rating (number)").run()
    assert _queued_spec(app, settings)["examples"] == [{"text": "Charged 5 EUR", "values": {}}]
    app = _opened(settings, spec)
    next(t for t in app.text_area if t.label.startswith("Fields")).input("rating (number)").run()
    next(t for t in app.text_area if t.label.startswith("Fields")).input("rating (number)\namount (money)").run()
    assert _queued_spec(app, settings)["examples"] == spec["examples"]  # a field put back gets its values back


def test_a_form_a_template_was_opened_into_can_be_emptied(settings):
    app = _opened(settings, {"task": "route", "text": ["Body"], "labels": ["billing", "shipping"], "fallback": "Triage",
                             "examples": [{"text": "refund me", "label": "billing"}]})
    next(b for b in app.button if b.label.startswith("Empty the form (it holds the template 'Saved')")).click().run()
    assert not app.exception, app.exception
    assert next(s for s in app.selectbox if s.label == "Task").value == "classify"  # the form's own first task
    assert app.text_area[0].value == "" and not any(b.label.startswith("Empty the form") for b in app.button)
    assert "The template's examples" not in next(r for r in app.radio if r.label.startswith("Labelled examples")).options


def test_emptying_the_form_forgets_every_template_opened_into_it(settings):
    extract = {"task": "extract", "text": ["Body"], "fields": [{"name": "amount", "type": "money"}],
               "examples": [{"text": "Charged 5 EUR", "values": {"amount": "5 EUR"}}]}
    app = _opened(settings, extract)
    templates.save_template(settings, "Route", spec_from_dict({"task": "route", "text": ["Body"], "labels": ["a", "b"]}))
    next(r for r in app.radio if r.label == "Settings").set_value("Use a saved template").run()
    next(s for s in app.selectbox if s.label == "Saved template").set_value(
        next(t.id for t in templates.list_templates(settings) if t.name == "Route")).run()
    next(b for b in app.button if b.label == "Change these settings").click().run()
    next(b for b in app.button if b.label.startswith("Empty the form")).click().run()
    next(s for s in app.selectbox if s.label == "Task").set_value("extract").run()
    next(t for t in app.text_area if t.label.startswith("Fields")).input("amount (money)").run()
    assert _queued_spec(app, settings).get("examples", []) == []  # the first template's example is gone too


def test_a_second_opinion_from_a_generator_this_machine_lacks_is_shown_as_such(settings):
    spec = {"task": "classify", "text": ["Body"], "labels": ["billing", "shipping"], "second_opinion": True,
            "second_opinion_model": "big-llama"}
    app = _opened(settings, spec)
    picker = next(s for s in app.selectbox if s.label == "Generator for the second opinion")
    assert picker.value == "big-llama" and "not prepared here" in picker.format_func("big-llama")
    next(b for b in app.button if b.label == "Run on all rows").click().run()  # refused, as a missing main model is
    assert any("There is no model 'big-llama' on this machine" in e.value for e in app.error)
    assert service.list_jobs(settings) == []
    app = _opened(settings, spec)
    next(s for s in app.selectbox if s.label == "Generator for the second opinion").set_value("default").run()
    assert _queued_spec(app, settings)["second_opinion_model"] is None
    app = _opened(settings, spec)
    next(c for c in app.checkbox if c.label.startswith("Also ask the text generator")).uncheck().run()
    assert not app.exception and _queued_spec(app, settings)["second_opinion_model"] is None


def test_a_job_can_be_given_a_name_of_its_own(settings):
    app = _sample_job_page()
    app.text_area[0].input("billing\nshipping").run()
    app.text_input(key="job-name").input("March refunds").run()
    assert _queued_spec(app, settings)["name"] == "March refunds"
    job = service.list_jobs(settings)[0]
    assert job.name == "March refunds"
    jobs_page = page("jobs.py").run()
    assert any("file: support\\_emails.csv" in c.value for c in jobs_page.caption)  # the file the name no longer says


def test_emptying_the_form_sets_each_widget_the_template_set_back_to_what_a_new_form_shows(monkeypatch):
    """Dropped rather than set, the browser went on showing the template's labels, threshold and boxes, while the job
    would have had none of them. Set before any widget is drawn, the browser shows the values set."""
    from types import SimpleNamespace

    from workbench.ui import prefill

    state = {"label-lines": "billing\nshipping", "threshold-classify": 0.35, "multi-label": True,
             "text-columns-form-1": ["Body"], "task": "route", "fallback": "Triage"}
    state[prefill.OPENED] = list(state)
    state[prefill.pending_key("new-job")] = prefill.EMPTY
    monkeypatch.setattr(prefill, "st", SimpleNamespace(session_state=state))
    prefill.apply_pending()
    assert state == {"label-lines": "", "threshold-classify": 0.5, "multi-label": False, "fallback": "Other",
                     "text-columns-form-1": ["Body"], "task": "classify"}  # the file's text columns stay


@pytest.mark.parametrize("task", ["classify", "route", "extract", "summarize", "custom"])
def test_the_empty_forms_values_are_the_ones_a_new_form_shows(settings, task):
    from workbench.ui import prefill

    app = _sample_job_page()
    next(s for s in app.selectbox if s.label == "Task").set_value(task).run()
    if task == "route":
        app.text_area[0].input("billing\nshipping").run()  # the rest of route's form shows once it has queues
        next(c for c in app.checkbox if c.label.startswith("Set how closely")).check().run()
        next(c for c in app.checkbox if c.label.startswith("Set how closely")).uncheck().run()
    shown = {key: app.session_state[key] for key in prefill.empty_form_state() if key in app.session_state}
    expected = {key: value for key, value in prefill.empty_form_state().items() if key in shown}
    assert len(shown) >= 3 and {k: v for k, v in shown.items() if k != "label-lines"} == \
        {k: v for k, v in expected.items() if k != "label-lines"}
