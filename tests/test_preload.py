"""The New job page loads the generator its settings need before the first "Try on 5 rows" asks for it."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest

from tests import generative_fixtures
from workbench.models import registry
from workbench.models.manifest import MANIFEST_NAME
from workbench.tasks.spec import spec_from_dict

tiny_generator = generative_fixtures.tiny_generator
FIELDS = [{"name": "city", "type": "text"}]


@pytest.mark.parametrize(("settings_dict", "generator"), [
    ({"task": "extract", "fields": FIELDS}, "default"),
    ({"task": "extract", "fields": FIELDS, "model": "big"}, "big"),
    ({"task": "extract", "fields": [{"name": "people", "type": "names"}]}, None),  # the encoder alone
    ({"task": "summarize"}, "default"),
    ({"task": "custom", "instruction": "Reply to {text}"}, "default"),
    ({"task": "classify", "labels": ["a", "b"]}, None),
    ({"task": "classify", "labels": ["a", "b"], "second_opinion": True}, "default"),
    ({"task": "classify", "labels": ["a", "b"], "second_opinion": True, "second_opinion_model": "big"}, "big"),
    ({"task": "route", "labels": ["a", "b"]}, None),
])
def test_a_spec_names_the_generator_its_job_loads(settings_dict, generator):
    assert spec_from_dict({"text": "text", **settings_dict}).generator == generator


@pytest.fixture
def prepared_generator(settings, tiny_generator) -> str:
    """The tiny generator prepared in this test's models folder under a name of its own."""
    folder = shutil.copytree(tiny_generator.folder, settings.models_dir / "tiny-gen")
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    (folder / MANIFEST_NAME).write_text(json.dumps({**manifest, "name": "tiny-gen"}))
    return "tiny-gen"


def test_a_prepared_generator_is_loaded_once_in_the_background(settings, prepared_generator, monkeypatch):
    loads = []
    monkeypatch.setattr(registry, "OnnxGenerator", lambda folder: loads.append(folder) or object())
    registry._load_generator.cache_clear()
    thread = registry.preload_generator(settings, prepared_generator)
    assert thread is not None
    assert registry.preload_generator(settings, prepared_generator) is None  # a page's next rerun starts nothing
    thread.join(timeout=30)
    assert registry.load_generator(settings, prepared_generator) is registry.load_generator(settings, prepared_generator)
    assert len(loads) == 1
    registry._load_generator.cache_clear()


def test_a_try_asking_while_the_preload_loads_waits_for_its_copy(settings, prepared_generator, monkeypatch):
    started, release, loads = threading.Event(), threading.Event(), []

    def slow_load(folder):
        loads.append(folder)
        started.set()
        release.wait(timeout=30)
        return object()

    monkeypatch.setattr(registry, "OnnxGenerator", slow_load)
    registry._load_generator.cache_clear()
    thread = registry.preload_generator(settings, prepared_generator)
    assert started.wait(timeout=30)
    tried = []
    asking = threading.Thread(target=lambda: tried.append(registry.load_generator(settings, prepared_generator)))
    asking.start()
    time.sleep(0.3)  # time for the Try to ask: without the lock it would start a second load here
    release.set()
    asking.join(timeout=30)
    thread.join(timeout=30)
    assert len(loads) == 1 and tried and tried[0] is registry.load_generator(settings, prepared_generator)
    registry._load_generator.cache_clear()


def test_a_loaded_generator_is_not_kept_waiting_by_another_ones_preload(settings, prepared_generator, tiny_generator,
                                                                        monkeypatch):
    other = shutil.copytree(tiny_generator.folder, settings.models_dir / "other-gen")
    manifest = json.loads((other / MANIFEST_NAME).read_text())
    (other / MANIFEST_NAME).write_text(json.dumps({**manifest, "name": "other-gen"}))
    release = threading.Event()
    monkeypatch.setattr(registry, "OnnxGenerator", lambda folder: release.wait(timeout=30) if "other" in str(folder)
                        else object())
    registry._load_generator.cache_clear()
    loaded = registry.load_generator(settings, prepared_generator)
    thread = registry.preload_generator(settings, "other-gen")  # held until released
    started = time.monotonic()
    assert registry.load_generator(settings, prepared_generator) is loaded
    assert time.monotonic() - started < 5
    release.set()
    thread.join(timeout=30)
    registry._load_generator.cache_clear()


def test_nothing_is_prepared_or_loaded_for_a_model_that_is_not_ready(settings, tiny_encoder_folder):
    shutil.copytree(tiny_encoder_folder, settings.models_dir / "an-encoder")
    assert registry.preload_generator(settings, "not-there") is None
    assert registry.preload_generator(settings, "an-encoder") is None  # an encoder is no generator
    assert registry.preload_generator(settings, None) is None  # the bundled one, not prepared here: no minute-long build
