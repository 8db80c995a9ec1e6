"""Broken and hostile files on the New job page: a message saying what to fix, and the page keeps serving."""

from __future__ import annotations

import pytest

from tests.app.test_pages import page
from tests.hostile_files import CORPUS, build

REFUSED = ["garbage.csv", "ragged.csv", "zip_bomb.xlsx", "truncated.xlsx", "header_only.csv", "duplicate_headers.csv"]


@pytest.fixture
def hostile_samples(tmp_path, monkeypatch):
    """The page's sample-file picker offers the hostile files, as if the user had uploaded them."""
    from workbench.ui.context import app_settings

    monkeypatch.setattr("workbench.ui.context.ensure_worker", lambda _settings: None)  # no background worker
    app_settings.clear()
    monkeypatch.setenv("WORKBENCH_MAX_UNZIPPED_MB", "50")
    files = {name: build(tmp_path, name) for name in [*REFUSED, "macros.xlsm"]}
    monkeypatch.setattr("workbench.ui.new_job.sample_files", lambda: files)
    return files


def test_each_refused_file_shows_its_message_then_a_good_file_works(settings, hostile_samples):
    app = page("new_job.py").run()
    app.radio[0].set_value("Use a sample file").run()
    for name in REFUSED:
        app.selectbox[0].set_value(name).run()
        assert not app.exception, name
        messages = [error.value for error in app.error]
        assert any(CORPUS[name][1] in message for message in messages), (name, messages)
    app.selectbox[0].set_value("macros.xlsm").run()
    assert not app.exception and not app.error
    assert app.multiselect[0].value == ["Body"]  # the preview loaded and the text column is offered
