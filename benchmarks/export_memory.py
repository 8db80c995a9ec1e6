"""Peak memory of downloading a large job's results as XLSX, against an earlier version of the app.

    .venv/bin/python benchmarks/export_memory.py [--sizes 10000 100000] [--against e869f83] [--input csv|xlsx]

For each size a classify job over that many BANKING77 texts (a CSV or an Excel input, the bundled encoder) is run to the end by
`workbench run`, in a process of its own (a process started by one that has run a job starts with that one's peak on
its count). Its results are then exported as XLSX, `workbench jobs export ID -o OUT.xlsx`, each in a process of
its own: by this working tree's code and by the code of the git revision `--against` (a temporary worktree), in turn.
The figure is each export's own peak resident memory (the kernel's VmHWM, benchmarks/own_peak.py); the two files must
hold the same cells.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.baseline import measured_against  # noqa: E402
from benchmarks.job_memory import TASKS, banking_texts, build_input, peak_memory_of_command, peak_memory_of_run  # noqa: E402


def export_peak(job_id: int, output: Path, code: Path | None) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one `workbench jobs export` by this tree (None) or by the code in `code`."""
    env = dict(os.environ, **({"PYTHONPATH": str(code)} if code else {}))
    return peak_memory_of_command(["workbench.cli", "jobs", "export", str(job_id), "-o", str(output)], env,
                                  output.with_suffix(".log"), cwd=code or ROOT)


def run_classify_job(rows: int, folder: Path, kind: str) -> int:
    """The number of the job `workbench run` made of `rows` BANKING77 texts, run to the end."""
    task = folder / "task.yaml"
    task.write_text(json.dumps(TASKS["classify"]))
    output = folder / f"run_{rows}.csv"
    peak_memory_of_run(task, build_input(banking_texts(rows), folder, kind), output, dict(os.environ))
    return int(re.search(r"Job #(\d+)", output.with_suffix(".log").read_text()).group(1))


def same_cells(first: Path, second: Path) -> bool:
    from workbench.io import read_table

    return read_table(first).equals(read_table(second))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--against", default="e869f83", help="git revision whose export is the baseline")
    parser.add_argument("--input", choices=["csv", "xlsx"], default="csv", help="the job's input file type")
    args = parser.parse_args()
    with measured_against(args.against) as (folder, baseline):
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        for rows in args.sizes:
            job_id = run_classify_job(rows, folder, args.input)
            ours = export_peak(job_id, folder / f"ours_{rows}.xlsx", None)
            theirs = export_peak(job_id, folder / f"theirs_{rows}.xlsx", baseline)
            alike = same_cells(folder / f"ours_{rows}.xlsx", folder / f"theirs_{rows}.xlsx")
            print(f"{rows:>8,} rows: this tree {ours[0]:,.0f} MB in {ours[1]:,.0f} s; {args.against} {theirs[0]:,.0f} MB"
                  f" in {theirs[1]:,.0f} s; same cells: {alike}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
