"""The Benchmark page's comparison, run from a script the way the page runs it: a job per model, the real worker
process running them one at a time, then the comparison table.

    WORKBENCH_MODELS_DIR=data/models .venv/bin/python benchmarks/compare_models.py trec \
        all-MiniLM-L6-v2 all-MiniLM-L6-v2-none all-MiniLM-L6-v2-int8-per-tensor
    WORKBENCH_MODELS_DIR=data/models .venv/bin/python benchmarks/compare_models.py dialogsum \
        SmolLM2-135M-Instruct SmolLM2-135M-Instruct-gguf-q4_1 --rows 40 --latency-rows 5

The models must be prepared (`workbench models quantize NAME --preset P` makes the other quantizations). The data
folder is a fresh temporary one; the worker is started and stopped by the script.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from quality_classify import DATA, TREC_TYPES  # noqa: E402
from quality_generative import SUMMARY_SPEC  # noqa: E402

from workbench.eval.cost import DEFAULT_PRICES as PRICES  # noqa: E402


def trec_sheet(folder: Path) -> tuple[Path, dict]:
    """TREC's 500 test questions with their coarse type, and the zero-shot template of quality_classify.trec."""
    lines = (DATA / "classification" / "trec_test.label").read_text(encoding="latin-1").splitlines()
    frame = pd.DataFrame({"question": [line.split(" ", 1)[1] for line in lines],
                          "type": [line.split(":", 1)[0] for line in lines]})
    labels = [{"name": name, "description": description} for name, description in TREC_TYPES.items()]
    return _written(frame, folder / "trec.csv"), {"task": "classify", "text": ["question"], "labels": labels}


def dialogsum_sheet(folder: Path) -> tuple[Path, dict]:
    rows = [json.loads(line) for line in (DATA / "summarization" / "dialogsum_test.jsonl").open()]
    # A sheet holds one right summary a row: the first of DialogSum's three.
    frame = pd.DataFrame({"dialogue": [r["dialogue"] for r in rows], "summary_given": [r["summary1"] for r in rows]})
    return _written(frame, folder / "dialogsum.csv"), {**SUMMARY_SPEC, "text": ["dialogue"]}


def _written(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


SHEETS = {"trec": (trec_sheet, "type"), "dialogsum": (dialogsum_sheet, "summary_given")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sheet", choices=SHEETS)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--latency-rows", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        os.environ["WORKBENCH_DATA_DIR"] = data_dir
        print(compared(args, Path(data_dir)).to_string(index=False))


def compared(args, data_dir: Path) -> pd.DataFrame:
    from workbench.config import get_settings
    from workbench.jobs import compare
    from workbench.jobs.comparison_notes import comparison_notes
    from workbench.tasks.spec import spec_from_dict

    settings = get_settings()
    make_sheet, answers = SHEETS[args.sheet]
    path, spec = make_sheet(data_dir)
    sheet = compare.Sheet(path, answers, rows=args.rows)
    comparison_id = compare.start_comparison(settings, spec_from_dict(spec), sheet, args.models, args.latency_rows)
    started = time.perf_counter()
    worker = subprocess.Popen([sys.executable, "-m", "workbench.jobs.worker"], cwd=ROOT)
    try:
        while any(j.status in ("queued", "running") for j in compare.comparison_jobs(settings, comparison_id)):
            time.sleep(2)
    finally:
        worker.terminate()
    print(f"{args.sheet}: {len(args.models)} models in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    table = compare.comparison_table(settings, comparison_id, PRICES)
    for note in comparison_notes(compare.comparison_jobs(settings, comparison_id), table,
                                 compare.right_answers(settings, comparison_id)):
        print(f"Note: {note}", file=sys.stderr)  # as the page and `workbench compare` say them
    return compare.with_plain_costs(table)


if __name__ == "__main__":
    main()
