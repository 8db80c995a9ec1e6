"""The Models page: the table, and adding and quantizing a model in the background, with progress."""

from __future__ import annotations

import os

import pytest

from tests.app.test_pages import page
from tests.tiny_models import build_tiny_encoder_source
from workbench.models import builds, registry


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch):
    from workbench.ui.context import app_settings

    app_settings.clear()
    yield
    app_settings.clear()


def test_the_table_lists_the_bundled_models_unprepared(settings):
    app = page("models.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert set(table["Model"]) == set(registry.BUNDLED) and set(table["Prepared"]) == {"no"}
    assert {b.label for b in app.button} >= {f"Prepare {name}" for name in registry.BUNDLED}


def test_adding_then_quantizing_a_model_from_a_folder(settings, tmp_path):
    source = build_tiny_encoder_source(tmp_path / "tiny-bert")
    app = page("models.py").run()
    app.text_input[0].input(str(source))
    next(b for b in app.button if b.label == "Add").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert f"Adding {source}" in app.get("progress")[0].proto.text  # in the background: the page can be left
    _after_builds(settings, app)
    assert app.success[0].value.endswith(": ready, as 'tiny-bert'.") and "tiny-bert" in app.success[0].value
    table = app.dataframe[0].value
    assert table.set_index("Model").loc["tiny-bert", "Prepared"] == "yes"
    from workbench.models.manifest import read_manifest
    from workbench.models.registry import model_dir

    manifest = read_manifest(model_dir(settings, "tiny-bert"))
    assert table.set_index("Model").loc["tiny-bert", "sha256 (source · ONNX file)"] == (
        f"{manifest.source_sha256[:12]} · {manifest.onnx_sha256[:12]}")

    quantize = next(s for s in app.selectbox if s.label == "Model")
    quantize.set_value("tiny-bert")
    [s for s in app.selectbox if s.label == "Quantization"][-1].set_value("none")  # the quantize form's
    next(b for b in app.button if b.label == "Quantize").click().run()
    _after_builds(settings, app)
    assert not app.error, [e.value for e in app.error]
    assert "tiny-bert-none" in set(app.dataframe[0].value["Model"])


def test_a_bad_source_shows_what_to_do(settings):
    app = page("models.py").run()
    app.text_input[0].input("/no/such/model")
    next(b for b in app.button if b.label == "Add").click().run()
    _after_builds(settings, app)
    assert not app.exception
    assert "There is no folder or file '/no/such/model'. Check the path" in app.error[0].value
    next(b for b in app.button if b.label == "Dismiss").click().run()
    assert not app.error and not builds.builds(settings)


def test_a_model_being_prepared_has_no_second_prepare_button(settings):
    from tests.test_model_builds import _written

    _written(settings, pid=os.getpid())  # a build in progress, as its process names itself
    app = page("models.py").run()
    labels = {b.label for b in app.button}
    assert "Prepare all-MiniLM-L6-v2" not in labels and "Stop" in labels
    assert "Preparing all-MiniLM-L6-v2: Starting" in app.get("progress")[0].proto.text


def _after_builds(settings, app) -> None:
    """The page once every build it started has ended (the live part redraws it every few seconds; AppTest does not)."""
    from tests.test_model_builds import wait_until_finished

    for build in builds.builds(settings):
        wait_until_finished(settings, build.id)
    app.run()


def test_each_quantization_choice_says_what_it_means(settings):
    from workbench.models.quantize import PRESET_ADVICE, PRESETS

    assert set(PRESET_ADVICE) == set(PRESETS)
    app = page("models.py").run()
    choices = [s for s in app.selectbox if s.label == "Quantization"][0].options  # the add form's
    assert choices[0] == "the kind's default"
    assert choices[1:] == list(PRESETS)  # names only: with the advice, a choice was cut mid-word at 1280 px
    explained = [e for e in app.expander if e.label == "What each quantization does"][0].markdown[0].value
    assert all(f"- **{name}**: {PRESET_ADVICE[name]}" in explained for name in PRESETS)


def test_a_message_is_shown_as_written_not_read_as_markdown():
    from workbench.ui.widgets import plain

    assert plain("no weights (*.safetensors, pytorch_model*.bin); $5 or $6") == \
        "no weights (\\*.safetensors, pytorch\\_model\\*.bin); \\$5 or \\$6"
    assert plain("run `workbench models list` for *all*") == "run `workbench models list` for \\*all\\*"
    assert plain("Q3 *urgent* `code`", code=True) == "Q3 \\*urgent\\* \\`code\\`"  # a user's text: shown as typed
