"""How long the New job steps take on a large workbook whose sheet declares no size, against an earlier version.

    .venv/bin/python benchmarks/workbook_open.py [--rows 100000] [--columns 10] [--against 00f1449] [--runs 2]

The workbook is written by openpyxl's write-only mode, which declares no sheet size (`<dimension>`), as many tools'
files do. Each step runs in a process of its own, by this tree and by the revision's code (a temporary worktree,
first on PYTHONPATH), alternated: the sheet list (at upload), the preview's first 500 rows, and the row count ("Run on
all rows"). openpyxl's read-only open read such a sheet through before anything else (io/sheet_size.py).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.baseline import checked_out  # noqa: E402

STEPS = {
    "sheet list": "from workbench.io import list_sheets; list_sheets(PATH)",
    "preview (500 rows)": "from workbench.io import read_table; read_table(PATH, nrows=500)",
    "row count": "from workbench.io.stream import count_rows; count_rows(PATH)",
}
TIMED = "import time, sys; PATH = sys.argv[1]; started = time.perf_counter(); {step}; print(time.perf_counter() - started)"


def build_workbook(path: Path, rows: int, columns: int) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("tickets")
    sheet.append(["Body", *[f"field {n}" for n in range(1, columns)]])
    for row in range(rows):
        sheet.append([f"ticket {row}: the parcel has not arrived", *[f"value {row}-{n}" for n in range(1, columns)]])
    book.save(path)
    return path


def timed(step: str, path: Path, code: Path | None) -> float:
    env = dict(os.environ, **({"PYTHONPATH": str(code)} if code else {}))
    done = subprocess.run([sys.executable, "-c", TIMED.format(step=step), str(path)], env=env, cwd=code or ROOT,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=10)
    parser.add_argument("--against", default="00f1449", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, checked_out(args.against, Path(scratch) / "baseline") as baseline:
        path = build_workbook(Path(scratch) / "wide.xlsx", args.rows, args.columns)
        print(f"{args.rows:,} rows × {args.columns} columns, no declared size; load average {os.getloadavg()[0]:.2f}")
        for label, step in STEPS.items():
            ours, theirs = [], []
            for _ in range(args.runs):
                ours.append(timed(step, path, None))
                theirs.append(timed(step, path, baseline))
            print(f"{label:>20}: this tree {min(ours):.2f}-{max(ours):.2f} s; {args.against} "
                  f"{min(theirs):.2f}-{max(theirs):.2f} s")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
