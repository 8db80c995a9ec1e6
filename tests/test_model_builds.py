"""Model builds in a process of their own (models/builds.py): the Models page can be left while one runs."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from tests.tiny_models import build_tiny_encoder_source
from workbench.models import builds, registry
from workbench.models.manifest import read_manifest
from workbench.models.prepare import BUILDS_LOCK


def wait_until_finished(settings, build_id: str, timeout: float = 180) -> builds.Build:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build = next(b for b in builds.builds(settings) if b.id == build_id)
        if build.finished:
            return build
        time.sleep(0.2)
    raise AssertionError(f"build {build_id} still running after {timeout} s: {build}")


def wait_until_named(settings, build_id: str, timeout: float = 60) -> builds.Build:
    deadline = time.monotonic() + timeout
    while (build := builds.read_build(settings, build_id)).pid is None:
        assert time.monotonic() < deadline, "the build's process never started"
        time.sleep(0.1)
    return build


def test_a_model_added_in_the_background_is_ready_with_its_manifest(settings, tmp_path):
    source = build_tiny_encoder_source(tmp_path / "tiny-bert")
    started = builds.start_build(settings, "add", f"Adding {source}", source=str(source), name="tiny", kind=None,
                                 preset=None)
    assert not started.finished and started.fraction == 0.0
    done = wait_until_finished(settings, started.id)
    assert (done.state, done.model, done.fraction) == ("done", "tiny", 1.0), done.error
    assert read_manifest(registry.model_dir(settings, "tiny")).kind == "encoder"
    assert done.pid and done.pid != __import__("os").getpid()  # built by a process of its own


def test_a_failed_build_says_what_to_do_and_can_be_dismissed(settings):
    started = builds.start_build(settings, "add", "Adding /no/such/model", source="/no/such/model")
    failed = wait_until_finished(settings, started.id)
    assert failed.state == "failed" and "There is no folder or file '/no/such/model'" in failed.error
    builds.dismiss(settings, started.id)
    assert builds.builds(settings) == [] and list(builds.builds_dir(settings).iterdir()) == []


def test_a_running_build_is_not_dismissed(settings):
    with _builds_held(settings):
        started = builds.start_build(settings, "prepare", "Preparing all-MiniLM-L6-v2", name="all-MiniLM-L6-v2")
        build = wait_until_named(settings, started.id)
        builds.dismiss(settings, started.id)
        assert [b.id for b in builds.builds(settings)] == [build.id]
        assert builds.running_models(settings) == {"all-MiniLM-L6-v2"}
        builds.stop_build(settings, build.id)
        wait_until_finished(settings, build.id)


def test_a_stopped_build_says_so_and_leaves_nothing(settings):
    # Another build holds the lock, so this one waits (saying so) until it is stopped.
    with _builds_held(settings):
        started = builds.start_build(settings, "prepare", "Preparing all-MiniLM-L6-v2", name="all-MiniLM-L6-v2")
        wait_until_named(settings, started.id)
        _wait_for_message(settings, started.id, "Waiting for another model's build to finish")
        builds.stop_build(settings, started.id)
        stopped = wait_until_finished(settings, started.id, timeout=30)
    assert stopped.state == "failed" and stopped.error == ("Preparing all-MiniLM-L6-v2: stopped. Nothing half-built "
                                                           "was kept.")
    assert not list(settings.models_dir.glob(".staging-*")) and not registry.model_dir(settings, "all-MiniLM-L6-v2").exists()
    assert builds.running_models(settings) == set()


def test_a_build_whose_process_died_is_told_as_failed(settings):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    build = _written(settings, pid=dead.pid)
    [told] = builds.builds(settings)
    assert told.id == build.id and told.state == "failed" and "stopped unexpectedly" in told.error
    assert builds.read_build(settings, build.id).state == "failed"  # written, so it is said the same way everywhere


def test_a_build_that_never_started_is_told_as_failed_after_the_grace_time(settings):
    fresh = _written(settings, pid=None)
    assert builds.builds(settings)[0].state == "running"  # its process may be starting
    old = builds.datetime.fromisoformat(fresh.started_at) - builds.START_GRACE - timedelta(seconds=1)
    builds._write(settings, fresh.model_copy(update={"started_at": old.isoformat()}))
    assert builds.builds(settings)[0].state == "failed"


def _written(settings, pid: int | None) -> builds.Build:
    build = builds.Build(id="20260101-000000-abcdef", action="prepare", arguments={"name": "all-MiniLM-L6-v2"},
                         label="Preparing all-MiniLM-L6-v2", host=builds.socket.gethostname(),
                         started_at=builds._now().isoformat(timespec="seconds"), pid=pid)
    builds.builds_dir(settings).mkdir(parents=True, exist_ok=True)
    builds._write(settings, build)
    return build


def _wait_for_message(settings, build_id: str, message: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while builds.read_build(settings, build_id).message != message:
        assert time.monotonic() < deadline, builds.read_build(settings, build_id)
        time.sleep(0.1)


class _builds_held:
    """Holds the models folder's build lock, as a build in progress does."""

    def __init__(self, settings):
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        self.lock = open(settings.models_dir / BUILDS_LOCK, "w")

    def __enter__(self):
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.lock.close()


@pytest.fixture(autouse=True)
def no_builds_left(settings):
    yield
    for build in builds.builds(settings):
        builds.stop_build(settings, build.id)
