"""The New job page's settings for extract, summarize and custom: each queues a job a user can run."""

from __future__ import annotations

from tests.app.test_pages import fresh_app, page  # noqa: F401 (fresh_app: each test its own settings, no worker)
from tests.app.test_route_form import _queued_spec, _sample_job_page


def _choose(app, task: str):
    next(s for s in app.selectbox if s.label == "Task").set_value(task).run()
    return app


def test_extract_waits_for_a_field_then_queues_the_typed_fields(settings):
    app = _choose(_sample_job_page(), "extract")
    assert any("fields" in i.value for i in app.info) and not app.exception
    app.text_area[0].input("amount (money): the amount charged\npriority (choice: low, high)\n"
                           "people (names): customers and staff").run()
    assert "names" in app.text_area[0].help  # what a names field does is said where fields are typed
    spec = _queued_spec(app, settings)
    assert spec["task"] == "extract"
    assert [(f["name"], f["type"]) for f in spec["fields"]] == [("amount", "money"), ("priority", "choice"),
                                                                ("people", "names")]
    assert spec["fields"][1]["options"] == ["low", "high"]


def test_summarize_queues_the_chosen_style_and_length(settings):
    app = _choose(_sample_job_page(), "summarize")
    next(s for s in app.selectbox if s.label == "Summary style").set_value("bullets").run()
    next(n for n in app.number_input if n.label.startswith("At most")).set_value(25).run()
    next(n for n in app.number_input if n.label.startswith("Drafts")).set_value(2).run()
    spec = _queued_spec(app, settings)
    assert spec["task"] == "summarize" and spec["summary"] == {"style": "bullets", "max_words": 25, "drafts": 2}


def test_custom_waits_for_an_instruction_then_queues_it(settings):
    app = _choose(_sample_job_page(), "custom")
    assert any("instruction" in i.value for i in app.info) and not app.exception
    app.text_area[0].input("Reply to {Subject} in one polite sentence.").run()
    spec = _queued_spec(app, settings)
    assert spec["task"] == "custom" and spec["instruction"] == "Reply to {Subject} in one polite sentence."
