"""Few-shot accuracy on BANKING77 with and without fine-tuning the encoder on the examples, as a job runs it.

    .venv/bin/python benchmarks/finetune_bench.py [--rows 2000] [--shots 10] [--seeds 0 1]

The split is benchmarks/classify_bench.py's: per seed, `shots` examples per intent are the template's
examples (label names as written in the file) and `rows` other rows are scored. Per seed, two real
jobs over the same rows: `fine_tune: false`, then `fine_tune: true` in a scratch models folder that
holds only the prepared base encoder, so the fine-tuning really runs inside that job and its time is
part of the job's. Fine-tuning uses every core (set WORKBENCH_THREADS to change that).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.classify_bench import DATASET, accuracy, run_as_job, split, template  # noqa: E402
from workbench.config import Settings, get_settings  # noqa: E402
from workbench.models.manifest import read_manifest  # noqa: E402
from workbench.models.registry import prepare  # noqa: E402


def scratch_settings(scratch: Path, base_folder: Path) -> Settings:
    """A data folder whose models folder holds only the base encoder: nothing fine-tuned is there yet."""
    models = scratch / "models"
    shutil.copytree(base_folder, models / base_folder.name)
    os.environ["WORKBENCH_MODELS_DIR"] = str(models)  # the job and the template both read it
    return Settings(data_dir=scratch).ensure_dirs()


def timed_job(settings: Settings, spec: dict, rows: pd.DataFrame) -> tuple[list[str], float]:
    started = time.perf_counter()
    labels, _ = run_as_job(settings, spec, rows)
    return labels, time.perf_counter() - started


def measure_seed(frame: pd.DataFrame, args: argparse.Namespace, seed: int, base_folder: Path) -> dict:
    examples, rows = split(frame, args.shots, args.rows, seed)
    spec, truth = template(examples, sorted(frame["category"].unique())), rows["category"]
    with tempfile.TemporaryDirectory() as scratch:
        settings = scratch_settings(Path(scratch), base_folder)
        plain, plain_seconds = timed_job(settings, spec, rows)
        tuned, tuned_seconds = timed_job(settings, {**spec, "fine_tune": True}, rows)
        manifest = read_manifest(next(settings.models_dir.glob("*-fine-tuned-*")))
    return {"seed": seed, "examples": len(examples), "rows": len(rows),
            "few_shot_accuracy": accuracy(plain, truth), "few_shot_accuracy_fine_tuned": accuracy(tuned, truth),
            "job_seconds": round(plain_seconds, 1), "job_seconds_fine_tuned": round(tuned_seconds, 1),
            "training_seconds": manifest.measurements["training_seconds"], "training_steps": manifest.measurements["steps"]}


def summary(results: list[dict]) -> dict:
    keys = ("few_shot_accuracy", "few_shot_accuracy_fine_tuned", "job_seconds", "job_seconds_fine_tuned",
            "training_seconds")
    return {f"mean_{key}": round(float(np.mean([r[key] for r in results])), 4) for key in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    base_folder = prepare(get_settings())  # the user's prepared encoder, copied into each scratch folder
    frame = pd.read_csv(DATASET)
    results = [measure_seed(frame, args, seed, base_folder) for seed in args.seeds]
    print(json.dumps({"seeds": results, **summary(results)}, indent=2))


if __name__ == "__main__":
    main()
