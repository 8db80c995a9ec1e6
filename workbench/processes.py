"""Whether a process named by its id is still alive: jobs, the worker and model builds each record the pid of the
process that runs them, so that its death is noticed."""

from __future__ import annotations

import os


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    if _reaped(pid):
        return False
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _reaped(pid: int) -> bool:
    """True if pid was a child of this process that has exited (a zombie still answers kill 0)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:  # not our child: kill 0 tells
        return False
