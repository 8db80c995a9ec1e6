"""Run a Python module as `python -m` would, and write this process's own peak memory to a file when it ends.

    python benchmarks/own_peak.py REPORT_FILE MODULE [ARGS...]

The figure is the kernel's VmHWM, which starts afresh in each process: the ru_maxrss that wait4 gives carries the
parent's peak over across fork and exec, so a run started by a benchmark that had just built a 100,000-row workbook
counted that workbook too. Self-contained, so it measures an older version of the app (a worktree) as well.
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys
from pathlib import Path


def own_peak_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return round(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024, 1)


def read_report(report: Path) -> float:
    return float(report.read_text())


if __name__ == "__main__":
    report, module, *arguments = sys.argv[1:]
    atexit.register(lambda: Path(report).write_text(str(own_peak_mb())))
    sys.argv = [module, *arguments]
    sys.path[0] = os.getcwd()  # where `python -m` looks first, not this script's folder
    runpy.run_module(module, run_name="__main__", alter_sys=True)
