"""Peak memory of a classify job at 10,000 and 100,000 rows: does it stay flat as the file grows?

    .venv/bin/python benchmarks/job_memory.py [--sizes 10000 100000] [--format csv|xlsx]

Each size is one real CLI run, `workbench run TASK INPUT -o OUTPUT.csv`, in a process of its own on
the bundled encoder: read the file, classify every row, commit to SQLite, write the result file. Its
peak resident memory (the kernel's high-water mark, from wait4) is the figure. Inputs are BANKING77
texts (../shared/datasets), each row made distinct with a ticket number, so no two rows repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "routing" / "banking77_train.csv"
TASK = {"task": "classify", "text": "text", "threshold": 0.4,
        "labels": ["card problem", "transfer or payment", "account and identity", "cash and ATM", "fees and charges",
                   "exchange rates and currencies", "top up"]}


def build_input(rows: int, folder: Path, fmt: str) -> Path:
    texts = pd.read_csv(DATASET)["text"]
    repeated = [f"{texts[i % len(texts)]} (ticket {i})" for i in range(rows)]
    frame = pd.DataFrame({"id": range(rows), "text": repeated})
    path = folder / f"input_{rows}.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_excel(path, index=False)
    return path


def peak_memory_of_run(task: Path, data: Path, output: Path, env: dict) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one CLI run, measured by the kernel for that process alone."""
    started = time.perf_counter()
    log = output.with_suffix(".log")
    with open(log, "wb") as stderr:  # a file, not a pipe: the progress lines would fill a pipe and block the run
        process = subprocess.Popen([sys.executable, "-m", "workbench.cli", "run", str(task), str(data),
                                    "-o", str(output)], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"the run failed: {log.read_text()[-2000:]}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    args = parser.parse_args()
    models = Path(os.environ.get("WORKBENCH_DATA_DIR", ROOT / "data")) / "models"
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        env = {**os.environ, "WORKBENCH_DATA_DIR": str(folder / "data"), "WORKBENCH_MODELS_DIR": str(models)}
        task = folder / "task.yaml"
        task.write_text(json.dumps(TASK))
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        figures = []
        for rows in args.sizes:
            data = build_input(rows, folder, args.format)
            peak, seconds = peak_memory_of_run(task, data, folder / f"out_{rows}.csv", env)
            figures.append(peak)
            print(f"{rows:>8,} rows ({args.format}): peak {peak:,.0f} MB, {seconds:,.0f} s, {rows / seconds:,.0f} rows/s")
        print(f"growth from {args.sizes[0]:,} to {args.sizes[-1]:,} rows: {100 * (figures[-1] / figures[0] - 1):+.1f}%")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
