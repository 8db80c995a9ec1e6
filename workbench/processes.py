"""Whether a process named by its id is still alive: jobs, the worker and model builds each record the pid of the
process that runs them, so that its death is noticed."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

# After a restart of the machine, pids are handed out again: a process that started this long after the record naming
# its pid was written is another one (a job stayed "running" for good under a system process). The margin covers a
# clock set back a little.
REUSE_MARGIN = timedelta(seconds=60)


def pid_alive(pid: int | None, named_at: datetime | None = None) -> bool:
    """Whether process `pid` exists; `named_at`: when the record naming it was last written, by that process or just
    after it started (naive times are UTC, as the database keeps them)."""
    if not pid:
        return False
    if _reaped(pid):
        return False
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    return named_at is None or not _started_after(pid, named_at + REUSE_MARGIN)


def _reaped(pid: int) -> bool:
    """True if pid was a child of this process that has exited (a zombie still answers kill 0)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:  # not our child: kill 0 tells
        return False


def _started_after(pid: int, moment: datetime) -> bool:
    started = process_start(pid)
    return started is not None and started > (moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def process_start(pid: int) -> datetime | None:
    """When the process started, from Linux's /proc; None where that cannot be read (other systems)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        ticks = int(fields[19])  # field 22 of the file; the first two (pid, name) are before the ")"
        return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def modified_at(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None
