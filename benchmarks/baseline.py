"""An earlier version of the app to measure against: a git revision checked out into a temporary worktree."""

from __future__ import annotations

import subprocess
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
