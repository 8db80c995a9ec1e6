"""Model builds (prepare, add, quantize) in a process of their own, as jobs are: the Models page can be left or closed
while a model is built, and shows the build's progress when it is opened again. (Run with the page's script, a build
stopped as soon as the user went to another page.)

Each build is a small JSON file in the models folder's `.builds` folder, written by the build's process as it goes.
`workbench models …` on the command line builds in its own process, in the foreground, as before.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import traceback
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from workbench.config import Settings, get_settings
from workbench.errors import WorkbenchError
from workbench.models import registry
from workbench.models.prepare import writing_to
from workbench.processes import modified_at, pid_alive

BUILDS_FOLDER = ".builds"
ACTIONS = {"prepare": registry.prepare, "add": registry.add_model, "quantize": registry.quantize_model}
# A build's process names itself in its file as it starts; one that has not within this time never started.
START_GRACE = timedelta(minutes=2)
NOTHING_KEPT = "Nothing half-built was kept."


class Build(BaseModel):
    id: str
    action: Literal["prepare", "add", "quantize"]
    arguments: dict
    label: str  # "Adding org/name", as the page and its messages say it
    host: str
    started_at: str
    pid: int | None = None
    state: Literal["running", "done", "failed"] = "running"
    fraction: float = 0.0
    message: str = "Starting"
    model: str | None = None  # the ready model's name
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state != "running"


def builds_dir(settings: Settings) -> Path:
    return settings.models_dir / BUILDS_FOLDER


def start_build(settings: Settings, action: str, label: str, **arguments) -> Build:
    """Start ACTIONS[action](settings, **arguments) in a process of its own, and return its build as just started."""
    build = Build(id=_new_id(), action=action, arguments=arguments, label=label, host=socket.gethostname(),
                  started_at=_now().isoformat(timespec="seconds"))
    with writing_to(settings.models_dir):
        builds_dir(settings).mkdir(parents=True, exist_ok=True)
        _write(settings, build)
        log = open(_log_path(settings, build.id), "w")
    env = {**os.environ, "WORKBENCH_DATA_DIR": str(settings.data_dir), "WORKBENCH_MODELS_DIR": str(settings.models_dir)}
    with log:
        # A session of its own: Ctrl-C on `workbench serve`, or the page's script ending, does not reach it.
        subprocess.Popen([sys.executable, "-m", "workbench.models.builds", build.id], stdout=log, stderr=log, env=env,
                         start_new_session=True)
    return build


def _new_id() -> str:
    return f"{_now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"  # sorts by start


def _now() -> datetime:
    return datetime.now(UTC)


def _path(settings: Settings, build_id: str) -> Path:
    return builds_dir(settings) / f"{build_id}.json"


def _log_path(settings: Settings, build_id: str) -> Path:
    return builds_dir(settings) / f"{build_id}.log"


def _write(settings: Settings, build: Build) -> None:
    """Whole or not at all: the page reads the file while the build writes it."""
    path = _path(settings, build.id)
    partial = path.with_suffix(".partial")
    partial.write_text(build.model_dump_json())
    os.replace(partial, path)


def read_build(settings: Settings, build_id: str) -> Build | None:
    try:
        return Build.model_validate_json(_path(settings, build_id).read_text())
    except (OSError, ValueError):  # dismissed meanwhile, or written by another version
        return None


def builds(settings: Settings) -> list[Build]:
    """Every build not yet dismissed, oldest first; one whose process died is told as failed."""
    found = (read_build(settings, path.stem) for path in sorted(builds_dir(settings).glob("*.json")))
    return [_noticed_if_dead(settings, build) for build in found if build is not None]


def running_models(settings: Settings) -> set[str]:
    """The names of the models being prepared: their Prepare button would only start a second, waiting build."""
    return {build.arguments.get("name") for build in builds(settings) if build.action == "prepare" and not build.finished}


def _noticed_if_dead(settings: Settings, build: Build) -> Build:
    if build.finished or build.host != socket.gethostname() or not _has_died(settings, build):
        return build
    died = build.model_copy(update={"state": "failed", "error": (
        f"{build.label} stopped unexpectedly: the machine restarted, or ran out of memory. {NOTHING_KEPT} "
        "Start it again.")})
    _write(settings, died)
    return died


def _has_died(settings: Settings, build: Build) -> bool:
    if build.pid is None:
        return _now() - datetime.fromisoformat(build.started_at) > START_GRACE
    return not pid_alive(build.pid, modified_at(_path(settings, build.id)))


def stop_build(settings: Settings, build_id: str) -> None:
    """Ask a running build to stop; its process removes what it built so far and says it was stopped."""
    build = read_build(settings, build_id)
    if build is not None and build.pid and not build.finished and not _has_died(settings, build):
        os.kill(build.pid, signal.SIGTERM)


def dismiss(settings: Settings, build_id: str) -> None:
    """Forget a finished build (its message was read)."""
    build = read_build(settings, build_id)
    if build is not None and build.finished:
        _path(settings, build_id).unlink(missing_ok=True)
        _log_path(settings, build_id).unlink(missing_ok=True)


class Stopped(BaseException):
    """The user stopped the build (SIGTERM): unwinds the build so that its staging folder is removed. Not an Exception,
    so that the build's own `except Exception` (a failure to report) lets it through, as it does Ctrl-C."""


def _stop(_signal: int, _frame) -> None:
    raise Stopped


def run_build(settings: Settings, build_id: str) -> Build:
    """In the build's own process: run it, writing its progress and how it ended into its file."""
    build = read_build(settings, build_id).model_copy(update={"pid": os.getpid()})
    _write(settings, build)
    signal.signal(signal.SIGTERM, _stop)

    def progress(fraction: float, message: str) -> None:
        nonlocal build
        build = build.model_copy(update={"fraction": min(max(fraction, 0.0), 1.0), "message": message})
        _write(settings, build)

    try:
        folder = ACTIONS[build.action](settings, progress=progress, **build.arguments)
        ended = {"state": "done", "fraction": 1.0, "model": folder.name, "message": f"Ready: {folder.name}"}
    except Stopped:
        ended = {"state": "failed", "error": f"{build.label}: stopped. {NOTHING_KEPT}"}
    except WorkbenchError as exc:  # already says what to do
        ended = {"state": "failed", "error": str(exc)}
    except Exception:
        traceback.print_exc()  # into the build's log, for whoever looks into it
        ended = {"state": "failed", "error": f"{build.label} failed on a problem the app did not expect. {NOTHING_KEPT} "
                 f"Start it again; the details are in {_log_path(settings, build.id)}."}
    build = build.model_copy(update=ended)
    _write(settings, build)
    return build


def main(argv: list[str]) -> int:
    build = run_build(get_settings(), argv[0])
    return 0 if build.state == "done" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
