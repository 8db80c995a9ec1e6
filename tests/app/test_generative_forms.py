"""The New job page's settings for extract, summarize and custom, and classify's generator for a second opinion:
each queues a job a user can run."""

from __future__ import annotations

from tests import generative_fixtures
from tests.app.test_pages import fresh_app, page  # noqa: F401 (fresh_app: each test its own settings, no worker)
from tests.app.test_route_form import _queued_spec, _sample_job_page

tiny_generator = generative_fixtures.tiny_generator


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


def test_a_date_field_asks_whether_dates_are_written_day_first(settings):
    app = _choose(_sample_job_page(), "extract")
    app.text_area[0].input("amount (money)").run()
    assert not [c for c in app.checkbox if c.key == "day-first"]  # no date field, no question
    app.text_area[0].input("amount (money)\ndue (date): when it is due").run()
    app.checkbox(key="day-first").check().run()
    spec = _queued_spec(app, settings)
    assert spec["day_first"] is True and [f["type"] for f in spec["fields"]] == ["money", "date"]


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


def _fields(app):
    return next(t for t in app.text_area if t.label.startswith("Fields"))


def _edit_examples(app, **edits):
    """What a user's typing in the examples table sends (AppTest cannot type into a data editor)."""
    app.session_state[app.data_editor[0].key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edits}
    app.run()
    assert not app.exception, app.exception


EXAMPLE_ROWS = [{"Example text": "Ann paid 5 EUR", "amount": "5 EUR", "person": "Ann"},
                {"Example text": "Bob paid 7 EUR", "amount": "7 EUR", "person": "Bob"}]


def test_a_removed_fields_values_go_with_their_row_and_come_back_with_the_field(settings):
    app = _choose(_sample_job_page(), "extract")
    _fields(app).input("amount (money)\nperson (names)").run()
    _edit_examples(app, added_rows=EXAMPLE_ROWS)
    _fields(app).input("amount (money)").run()  # person taken out: its values hidden, not lost
    _edit_examples(app, deleted_rows=[0])  # Ann's example deleted, her name with it
    _fields(app).input("amount (money)\nperson (names)").run()
    assert _queued_spec(app, settings)["examples"] == [
        {"text": "Bob paid 7 EUR", "values": {"amount": "7 EUR", "person": ["Bob"]}}]


def test_typed_examples_outlast_the_table_leaving_the_page_for_a_run(settings):
    app = _choose(_sample_job_page(), "extract")
    _fields(app).input("amount (money)").run()
    _edit_examples(app, added_rows=[{"Example text": "Ann paid 5 EUR", "amount": "5 EUR"}])
    _fields(app).input("").run()  # no fields: no table, and Streamlit forgets its edits
    _fields(app).input("amount (money)").run()
    assert _queued_spec(app, settings)["examples"] == [{"text": "Ann paid 5 EUR", "values": {"amount": "5 EUR"}}]


def test_a_second_opinion_can_come_from_another_prepared_generator(settings, tiny_generator):
    (settings.models_dir / "tiny-llama").symlink_to(tiny_generator.folder)  # a generator the user added
    app = _sample_job_page()
    app.text_area[0].input("billing: invoices\nshipping: parcels").run()
    next(c for c in app.checkbox if c.label.startswith("Also ask the text generator")).check().run()
    next(s for s in app.selectbox if s.label == "Generator for the second opinion").set_value("tiny-llama").run()
    spec = _queued_spec(app, settings)
    assert (spec["second_opinion"], spec["second_opinion_model"]) == (True, "tiny-llama")


def test_trying_a_summary_shows_each_rows_summary_whole(settings, tiny_generator, monkeypatch):
    """A table cell cut a summary after its first line: not enough to judge it before running every row."""
    monkeypatch.setattr("workbench.jobs.service.load_generator", lambda _settings, _name=None: tiny_generator)
    app = _choose(_sample_job_page(), "summarize")
    next(b for b in app.button if b.label == "Try on 5 rows").click().run()
    assert not app.exception, app.exception
    summaries = app.dataframe[-1].value["summary"].tolist()
    shown = [m.value for m in app.markdown if m.value.startswith("**Row ")]
    assert len(shown) == 5 and all(f"**Row {n}** · summary:" in shown[n - 1] for n in range(1, 6))
    assert all(summary.split()[0] in text for summary, text in zip(summaries, shown, strict=True) if summary.strip())
