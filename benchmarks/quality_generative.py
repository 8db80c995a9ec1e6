"""Quality and speed of the generative templates on the bundled generator (issue 4).

- extract on WNUT-17 (emerging entities): entity F1 (type and text, case-insensitive), and the share
  of rows whose output parsed (guided decoding should make it 100%).
- summarize on DialogSum: ROUGE-1/2/L F1 against the three references, next to the lead-3 baseline
  (the dialogue's first three turns).
- rows/s of an extract job and a summarize job run through jobs.service and the job runner.
The templates are configured as a user would: field names, one-line descriptions, two made-up examples.

    WORKBENCH_DATA_DIR=data .venv/bin/python benchmarks/quality_generative.py --rows 20 --job-rows 40
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.config import get_settings  # noqa: E402
from workbench.db import repo  # noqa: E402
from workbench.db.session import session_scope  # noqa: E402
from workbench.eval.rouge import mean_rouge  # noqa: E402
from workbench.jobs import service  # noqa: E402
from workbench.jobs.runner import run_job  # noqa: E402
from workbench.models.registry import load_encoder, load_generator  # noqa: E402
from workbench.tasks.spec import spec_from_dict  # noqa: E402

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"  # ../shared beside the clone
ENTITY_FIELDS = {
    "person": "names of people", "location": "places, cities, countries", "group": "bands, teams, organisations",
    "creative_work": "titles of songs, films, books, shows", "corporation": "companies and brands",
    "product": "named products, apps, devices",
}
# `names` fields: the encoder finds the names among the text's capitalised words (tasks/names.py).
EXTRACT_SPEC = {"task": "extract", "text": "text", "fields": [
    {"name": name, "type": "names", "description": about} for name, about in ENTITY_FIELDS.items()],
    "examples": [  # written for this benchmark, not taken from the test set
        {"text": "Just saw Taylor Swift in Paris , best night ever",
         "values": {"person": ["Taylor Swift"], "location": ["Paris"]}},
        {"text": "my new iPhone from Apple keeps crashing while I watch Stranger Things",
         "values": {"product": ["iPhone"], "corporation": ["Apple"], "creative_work": ["Stranger Things"]}}]}
# The same fields as `list`: the generator copies pieces of the text into them (F1 0.059 on the scored rows).
GENERATED_LIST_SPEC = {**EXTRACT_SPEC, "fields": [{**f, "type": "list"} for f in EXTRACT_SPEC["fields"]]}
SUMMARY_SPEC = {"task": "summarize", "text": "dialogue", "summary": {"style": "one_sentence", "max_words": 30}}
# The same with one draft per text (the greedy answer), to show what choosing among the default 4 drafts buys.
ONE_DRAFT_SPEC = {**SUMMARY_SPEC, "summary": {**SUMMARY_SPEC["summary"], "drafts": 1}}


def read_jsonl(path: Path, rows: int) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for _, line in zip(range(rows), lines, strict=False)]


def build(spec: dict):
    settings = get_settings()
    task = spec_from_dict(spec).build(lambda n: load_encoder(settings, n), lambda n: load_generator(settings, n))
    task.setup()
    return task


def wnut_extract(rows: int, spec: dict = EXTRACT_SPEC, first: int = 0) -> dict:
    """Entity F1 on WNUT-17 test rows first..first+rows (the figures in docs/benchmarks.md score the first 100)."""
    data = read_jsonl(DATASETS / "extraction/wnut17_test.jsonl", first + rows)[first:]
    task = build(spec)
    outputs = [o for start in range(0, len(data), 8) for o in task.run_batch([d["text"] for d in data[start:start + 8]])]
    found = [_entities(o.outputs) for o in outputs]
    truth = [{(e["type"].replace("-", "_"), e["text"].lower()) for e in d["entities"]} for d in data]
    return {"rows": rows, "parsed": len(outputs) / len(data), **_f1(found, truth)}


def _entities(outputs: dict) -> set[tuple[str, str]]:
    return {(name, item.strip().lower()) for name in ENTITY_FIELDS for item in (outputs.get(name) or "").split(";")
            if item.strip()}


def _f1(found: list[set], truth: list[set]) -> dict:
    hits = sum(len(f & t) for f, t in zip(found, truth, strict=True))
    given, expected = sum(map(len, found)), sum(map(len, truth))
    precision, recall = hits / max(given, 1), hits / max(expected, 1)
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / max(precision + recall, 1e-9)}


def dialogsum(rows: int, spec: dict = SUMMARY_SPEC) -> dict:
    data = read_jsonl(DATASETS / "summarization/dialogsum_test.jsonl", rows)
    references = [[d[k] for k in ("summary1", "summary2", "summary3") if d.get(k)] for d in data]
    task = build(spec)
    summaries = [o.outputs["summary"] for s in range(0, len(data), 8) for o in task.run_batch([d["dialogue"] for d in data[s:s + 8]])]
    lead3 = ["\n".join(d["dialogue"].splitlines()[:3]) for d in data]
    return {"rows": rows, "model": mean_rouge(summaries, references), "lead3": mean_rouge(lead3, references)}


def job_speed(spec: dict, column: str, texts: list[str]) -> float:
    """Rows per second of a job created by jobs.service and run by the job runner."""
    settings = get_settings()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        pd.DataFrame({column: texts}).to_csv(path, index=False)
        job_id = service.create_job(settings, spec_from_dict(spec), path)
        with session_scope(settings) as session:
            repo.claim_job(session, job_id, os.getpid())
        started = time.perf_counter()
        status = run_job(settings, job_id)
        seconds = time.perf_counter() - started
    assert status == "completed", status
    return len(texts) / seconds


def dialogsum_flat(rows: int) -> dict:
    scores = dialogsum(rows)
    return {"rows": rows, **{f"model_{k}": v for k, v in scores["model"].items()},
            **{f"lead3_{k}": v for k, v in scores["lead3"].items()}}


# For benchmarks/quality.py, which runs every quality benchmark; a subset of rows (2 busy cores).
BENCHMARKS = {"wnut17_extract": lambda: wnut_extract(16), "dialogsum_summarize": lambda: dialogsum_flat(16)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--job-rows", type=int, default=40)
    args = parser.parse_args()
    print("load average at start:", os.getloadavg())
    print("extract WNUT-17, names fields:", wnut_extract(args.rows))
    print("extract WNUT-17, names fields, rows 100-1,286 (not the scored ones):", wnut_extract(1187, first=100))
    print("extract WNUT-17, list fields (the generator copies):", wnut_extract(args.rows, GENERATED_LIST_SPEC))
    print("summarize DialogSum:", dialogsum(args.rows))
    print("summarize DialogSum, one draft:", dialogsum(args.rows, ONE_DRAFT_SPEC)["model"])
    wnut = [d["text"] for d in read_jsonl(DATASETS / "extraction/wnut17_test.jsonl", args.job_rows)]
    dialogues = [d["dialogue"] for d in read_jsonl(DATASETS / "summarization/dialogsum_test.jsonl", args.job_rows)]
    print(f"extract job rows/s, names fields ({args.job_rows} rows):", round(job_speed(EXTRACT_SPEC, "text", wnut), 3))
    print(f"extract job rows/s, list fields ({args.job_rows} rows):",
          round(job_speed(GENERATED_LIST_SPEC, "text", wnut), 3))
    print(f"summarize job rows/s ({args.job_rows} rows):", round(job_speed(SUMMARY_SPEC, "dialogue", dialogues), 3))
    print(f"summarize job rows/s, one draft ({args.job_rows} rows):",
          round(job_speed(ONE_DRAFT_SPEC, "dialogue", dialogues), 3))
    print("load average at end:", os.getloadavg())


if __name__ == "__main__":
    main()
