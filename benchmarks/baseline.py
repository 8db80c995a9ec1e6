"""An earlier version of the app to measure against: a git revision checked out into a temporary worktree."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def checked_out(revision: str, folder: Path) -> Iterator[Path]:
    """The revision's tree in `folder`, removed afterwards. Put the folder first on PYTHONPATH, and a process runs
    its own `workbench` package before the one installed from this tree."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), revision], check=True,
                   capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], capture_output=True)


@contextmanager
def measured_against(revision: str) -> Iterator[tuple[Path, Path]]:
    """A scratch folder (its own data folder, no background worker, the models of WORKBENCH_MODELS_DIR or ./data) and
    the revision's tree checked out inside it."""
    models = Path(os.environ.get("WORKBENCH_MODELS_DIR", ROOT / "data" / "models"))
    with tempfile.TemporaryDirectory() as scratch, checked_out(revision, Path(scratch) / "baseline") as baseline:
        os.environ.update(WORKBENCH_DATA_DIR=str(Path(scratch) / "data"), WORKBENCH_MODELS_DIR=str(models),
                          WORKBENCH_START_WORKER="0")
        yield Path(scratch), baseline
