"""The New job page's first "Try on 5 rows" of a generative template, with and without the generator loaded in the
background while the user fills in the form (registry.preload_generator).

    WORKBENCH_MODELS_DIR=data/models .venv/bin/python benchmarks/first_try.py [--runs 3] [--reading 6]

Each try runs in a fresh process, as the first one after the app starts: the extract template of the sample task
file on the first 5 sample emails. With the preload, the generator starts loading `--reading` seconds before the
click (the time a user takes to type the fields); without it, the click loads it. The two are alternated.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIRST_TRY = """
import sys, time
import pandas as pd
from workbench.config import get_settings
from workbench.jobs import service
from workbench.models import registry
from workbench.tasks.spec import load_task_file
settings = get_settings()
frame = pd.read_csv("{root}/sample_data/support_emails.csv")
spec = load_task_file("{root}/sample_data/support_emails.extract.task.yaml")
if sys.argv[1] == "preload":
    registry.preload_generator(settings, spec.generator)
time.sleep(float(sys.argv[2]))  # the user fills in the form
started = time.perf_counter()
service.try_on_rows(settings, spec, frame.head(5), context=frame)
print(time.perf_counter() - started)
"""


def first_try(mode: str, reading: float) -> float:
    script = FIRST_TRY.format(root=ROOT)
    done = subprocess.run([sys.executable, "-c", script, mode, str(reading)], capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reading", type=float, default=6.0, help="seconds between the form and the click")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"loaded on the click": [], "preloaded": []}
    for _ in range(args.runs):
        times["loaded on the click"].append(first_try("click", args.reading))
        times["preloaded"].append(first_try("preload", args.reading))
    for mode, seconds in times.items():
        print(f"{mode:20} " + " / ".join(f"{s:.2f}" for s in seconds) + " s")


if __name__ == "__main__":
    main()
