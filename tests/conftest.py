from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.tiny_models import build_tiny_encoder_source
from workbench.config import get_settings
from workbench.models.bundled import BundledPack
from workbench.models.encoder import OnnxEncoder
from workbench.models.manifest import MANIFEST_NAME
from workbench.models.prepare import prepare_encoder

# Pages never start a background worker in tests: a Streamlit script thread that outlives its test
# would start one for the next test's data folder. Tests that want a worker start it themselves.
os.environ["WORKBENCH_START_WORKER"] = "0"
ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"
TINY_PACK = BundledPack(name="tiny-encoder", kind="encoder", package="", relative_path="", max_length=64)


@pytest.fixture(autouse=True)
def _restore_main_module():
    """Put back the `__main__` module a test replaced.

    Streamlit's script runner (so every AppTest) installs the script it runs as `sys.modules["__main__"]` and
    never restores it. A multiprocessing "spawn" child re-runs the parent's `__main__` file, so after an AppTest
    every such child would run a Streamlit script: one from `AppTest.from_function` (a temp file that needs
    injected `__args`) raises NameError at start, and a Pool replaces its dead workers for ever.
    """
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test gets its own data folder; nothing touches the user's."""
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WORKBENCH_MODELS_DIR", raising=False)
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir):
    return get_settings()


@pytest.fixture(scope="session")
def tiny_encoder_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    source = build_tiny_encoder_source(root / "source")
    models = root / "models"
    models.mkdir()

    class _Settings:
        models_dir = models

    return prepare_encoder(_Settings(), TINY_PACK, source=source)


@pytest.fixture
def two_models(settings, tiny_encoder_folder) -> list[str]:
    """Two prepared copies of the tiny encoder under names of their own, as a quantized copy would be."""
    names = ["tiny-a", "tiny-b"]
    for name in names:
        folder = shutil.copytree(tiny_encoder_folder, settings.models_dir / name)
        manifest = json.loads((folder / MANIFEST_NAME).read_text())
        (folder / MANIFEST_NAME).write_text(json.dumps({**manifest, "name": name}))
    return names


@pytest.fixture(scope="session")
def tiny_encoder(tiny_encoder_folder) -> OnnxEncoder:
    return OnnxEncoder(tiny_encoder_folder)


@pytest.fixture
def tiny_loader(tiny_encoder):
    return lambda _name=None: tiny_encoder


@pytest.fixture(scope="session")
def real_models_dir(tmp_path_factory) -> Path:
    """The bundled encoder, prepared once for the whole test session."""
    import os

    from workbench.config import Settings
    from workbench.models.registry import prepare

    folder = Path(os.environ.get("WORKBENCH_TEST_MODELS_DIR") or tmp_path_factory.mktemp("real-models"))
    old = os.environ.get("WORKBENCH_MODELS_DIR")
    os.environ["WORKBENCH_MODELS_DIR"] = str(folder)
    try:
        prepare(Settings(data_dir=folder / "unused").ensure_dirs())
    finally:
        os.environ.pop("WORKBENCH_MODELS_DIR") if old is None else os.environ.__setitem__("WORKBENCH_MODELS_DIR", old)
    return folder


@pytest.fixture
def real_settings(real_models_dir, monkeypatch, data_dir):
    monkeypatch.setenv("WORKBENCH_MODELS_DIR", str(real_models_dir))
    return get_settings()
