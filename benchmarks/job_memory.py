"""Peak memory of a job as the file grows: does it stay flat?

    .venv/bin/python benchmarks/job_memory.py [--sizes 10000 100000] [--format csv|xlsx]
    .venv/bin/python benchmarks/job_memory.py --template summarize --sizes 128 500

Each size is one real CLI run, `workbench run TASK INPUT -o OUTPUT.csv`, in a process of its own on
the bundled models: read the file, run every row, commit to SQLite, write the result file. Its own peak
resident memory (the kernel's VmHWM, benchmarks/own_peak.py) is the figure. classify (the encoder):
BANKING77 texts (../shared/datasets), each row made distinct with a ticket number, so no two rows
repeat. summarize (the generator, then the encoder choosing among drafts): the DialogSum test
dialogues, one sentence each, as many distinct ones as the size asks (500 at most).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.own_peak import read_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OWN_PEAK = ROOT / "benchmarks" / "own_peak.py"
DATASETS = ROOT.parent / "shared" / "datasets"
TASKS = {
    "classify": {"task": "classify", "text": "text", "threshold": 0.4,
                 "labels": ["card problem", "transfer or payment", "account and identity", "cash and ATM",
                            "fees and charges", "exchange rates and currencies", "top up"]},
    "summarize": {"task": "summarize", "text": "text", "summary": {"style": "one_sentence", "max_words": 30}},
}


def banking_texts(rows: int) -> list[str]:
    texts = pd.read_csv(DATASETS / "routing" / "banking77_train.csv")["text"]
    return [f"{texts[i % len(texts)]} (ticket {i})" for i in range(rows)]


def dialogues(rows: int) -> list[str]:
    with (DATASETS / "summarization" / "dialogsum_test.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line)["dialogue"] for _, line in zip(range(rows), lines, strict=False)]


TEXTS = {"classify": banking_texts, "summarize": dialogues}


def build_input(texts: list[str], folder: Path, fmt: str) -> Path:
    rows = len(texts)
    frame = pd.DataFrame({"id": range(rows), "text": texts})
    path = folder / f"input_{rows}.{fmt}"
    frame.to_csv(path, index=False) if fmt == "csv" else frame.to_excel(path, index=False)
    return path


def peak_memory_of_run(task: Path, data: Path, output: Path, env: dict) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one CLI run, that process's own (benchmarks/own_peak.py)."""
    return peak_memory_of_command(["workbench.cli", "run", str(task), str(data), "-o", str(output)], env,
                                  output.with_suffix(".log"))


def peak_memory_of_command(module_and_arguments: list[str], env: dict, log: Path, cwd: Path | None = None) \
        -> tuple[float, float]:
    """(peak RSS in MB, seconds) of `python -m MODULE ARGUMENTS` in a process of its own; what it says goes to `log`."""
    started, report = time.perf_counter(), log.with_suffix(".peak")
    with open(log, "wb") as stderr:  # a file, not a pipe: the progress lines would fill a pipe and block the run
        status = subprocess.run([sys.executable, str(OWN_PEAK), str(report), *module_and_arguments], env=env,
                                cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr).returncode
    if status != 0:
        raise SystemExit(f"the run failed: {log.read_text()[-2000:]}")
    return read_report(report), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--template", choices=sorted(TASKS), default="classify")
    args = parser.parse_args()
    models = Path(os.environ.get("WORKBENCH_DATA_DIR", ROOT / "data")) / "models"
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        env = {**os.environ, "WORKBENCH_DATA_DIR": str(folder / "data"), "WORKBENCH_MODELS_DIR": str(models)}
        task = folder / "task.yaml"
        task.write_text(json.dumps(TASKS[args.template]))
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        figures = []
        for rows in args.sizes:
            texts = TEXTS[args.template](rows)
            rows, data = len(texts), build_input(texts, folder, args.format)
            peak, seconds = peak_memory_of_run(task, data, folder / f"out_{rows}.csv", env)
            figures.append(peak)
            print(f"{args.template} {rows:>8,} rows ({args.format}): peak {peak:,.0f} MB, {seconds:,.0f} s, {rows / seconds:,.2f} rows/s")
        print(f"growth from the first size to the last: {100 * (figures[-1] / figures[0] - 1):+.1f}%")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
