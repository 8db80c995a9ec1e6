"""How well zero-shot classify's confidence matches how often it is right, for each temperature.

    WORKBENCH_MODELS_DIR=data/models .venv/bin/python benchmarks/zero_shot_calibration.py

The confidence decides which rows are flagged `needs_review` and the order of the review queue, so a
confidence of 0.9 should be right about 9 times in 10. For each labelled set, configured as a user would
(label names, one-line descriptions, no examples), the template is set up and adapted to the rows as a job
does; the rows are embedded once, then scored at each temperature. Reported: accuracy (the same at every
temperature), mean confidence, expected calibration error (ECE, 15 bins) and log-loss.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classify_bench import DATASET, split  # noqa: E402
from quality_classify import DATA, SST2_LABELS, TREC_TYPES, clinc_setup  # noqa: E402

from workbench.config import get_settings  # noqa: E402
from workbench.io.rows import RowText, row_texts  # noqa: E402
from workbench.jobs.runner import adaptation_sample  # noqa: E402
from workbench.models.registry import load_encoder  # noqa: E402
from workbench.tasks.scoring import softmax  # noqa: E402
from workbench.tasks.spec import load_task_file, spec_from_dict  # noqa: E402

TEMPERATURES = (5, 8, 10, 12, 15, 20, 25, 30, 40, 60)
BINS = 15


def banking77() -> tuple[list[str], list[str], list]:
    _, scored = split(pd.read_csv(DATASET), shots=10, rows=2000, seed=0)
    return scored["text"].tolist(), scored["category"].tolist(), sorted(scored["category"].unique())


def trec() -> tuple[list[str], list[str], list]:
    lines = (DATA / "classification" / "trec_test.label").read_text(encoding="latin-1").splitlines()
    labels = [{"name": name, "description": description} for name, description in TREC_TYPES.items()]
    return [line.split(" ", 1)[1] for line in lines], [line.split(":", 1)[0] for line in lines], labels


def sst2() -> tuple[list[str], list[str], list]:
    lines = (DATA / "classification" / "sst2_test.txt").read_text().splitlines()
    return [line[2:] for line in lines], ["positive" if line[0] == "1" else "negative" for line in lines], SST2_LABELS


def clinc_domains() -> tuple[list[str], list[str], list]:
    """CLINC150's in-scope val rows by department, each described by its intents (as the route benchmark)."""
    rows = [json.loads(line) for line in (DATA / "routing" / "clinc150_val.jsonl").open()]
    domains = json.loads((DATA / "routing" / "clinc150_domains.json").read_text())
    labels = [{"name": d, "description": ", ".join(i.replace("_", " ") for i in intents)} for d, intents in domains.items()]
    kept = [r for r in rows if r["domain"] != "oos"]
    return [r["text"] for r in kept], [r["domain"] for r in kept], labels


def support_emails() -> tuple[list[str], list[str], list]:
    """The sample emails with the sample task file's labels, without its examples."""
    frame = pd.read_csv(ROOT / "sample_data" / "support_emails.csv")
    spec = load_task_file(ROOT / "sample_data" / "support_emails.task.yaml")
    texts = [f"Subject: {s}\nBody: {b}" for s, b in zip(frame["Subject"], frame["Body"], strict=True)]
    return texts, frame["category"].tolist(), spec.config["labels"]


def banking77_half_examples() -> tuple[list[str], list[str], list, bool, list]:
    """BANKING77 with 10 examples for every other intent: a user who labelled a few rows of some labels."""
    frame = pd.read_csv(DATASET)
    examples, scored = split(frame, shots=10, rows=2000, seed=0)
    labels = sorted(frame["category"].unique())
    kept = examples[examples["category"].isin(labels[::2])]
    return scored["text"].tolist(), scored["category"].tolist(), labels, True, \
        [{"text": t, "label": c} for t, c in zip(kept["text"], kept["category"], strict=True)]


SETS = {"BANKING77 with examples for half the intents": banking77_half_examples, "BANKING77": banking77, "TREC": trec, "SST-2": sst2, "CLINC150 departments": clinc_domains,
        "support emails": support_emails}


def scored_at_temperatures(texts: list[str], truth: list[str], labels: list, adapt: bool = True,
                           examples: list | None = None) -> list[dict]:
    """adapt=False: each row scored alone, as a job too small to adapt to (or with two labels) scores it. Examples
    for some labels only keep the zero-shot scorer (their labels' vectors moved towards them)."""
    settings = get_settings()
    spec = {"task": "classify", "text": "text", "labels": labels, "examples": examples or []}
    task = spec_from_dict(spec).build(lambda n: load_encoder(settings, n))
    task.setup()
    if adapt:
        task.adapt(adaptation_sample([RowText(i, t) for i, t in enumerate(texts)]))
    vectors = task.encoder.embed(texts)
    right = np.array([task.label_names.index(t) for t in truth])
    adapted = task.scorer.job_mean is not None
    return [{"temperature": t, "adapted": adapted, **calibration(_at(task.scorer, vectors, t), right)} for t in TEMPERATURES]


def _at(scorer, vectors: np.ndarray, temperature: float) -> np.ndarray:
    scorer.temperature = temperature
    return scorer.probabilities(vectors)


def calibration(probabilities: np.ndarray, right: np.ndarray) -> dict:
    confidence, given = probabilities.max(axis=1), probabilities.argmax(axis=1)
    hits = given == right
    bins = np.minimum((confidence * BINS).astype(int), BINS - 1)
    gaps = [abs(hits[bins == b].mean() - confidence[bins == b].mean()) * (bins == b).mean() for b in np.unique(bins)]
    # A row whose right answer is no label (route's out of scope) is left out of the log-loss.
    known = right >= 0
    log_loss = -np.log(np.maximum(probabilities[np.arange(len(right))[known], right[known]], 1e-12)).mean()
    return {"rows": len(right), "accuracy": hits.mean(), "mean_confidence": confidence.mean(), "ece": sum(gaps),
            "log_loss": log_loss}


ROUTE_TEMPERATURES = (0.01, 0.02, 0.03, 0.05, 0.08, 0.1)  # route divides its cosines by it


def route_banking77() -> tuple[list[str], list[str], dict]:
    frame = pd.read_csv(DATASET)
    examples, scored = split(frame, shots=10, rows=2000, seed=0)
    spec = {"task": "route", "text": "text", "labels": sorted(frame["category"].unique()),
            "examples": [{"text": t, "label": c} for t, c in zip(examples["text"], examples["category"], strict=True)]}
    return scored["text"].tolist(), scored["category"].tolist(), spec


def route_clinc() -> tuple[list[str], list[str], dict]:
    spec, scored = clinc_setup()
    return [r["text"] for r in scored], [r["domain"] for r in scored], spec


def route_support_emails() -> tuple[list[str], list[str], dict]:
    frame = pd.read_csv(ROOT / "sample_data" / "support_emails.csv")
    spec = load_task_file(ROOT / "sample_data" / "support_emails.route.task.yaml")
    texts = [row.text for row in row_texts(frame, spec.text, 100_000)]
    return texts, frame["category"].tolist(), {**spec.to_dict(), "text": "text"}


ROUTE_SETS = {"BANKING77 route": route_banking77, "CLINC150 route (out of scope: never right)": route_clinc,
              "support emails route": route_support_emails}


def route_at_temperatures(texts: list[str], truth: list[str], spec: dict) -> list[dict]:
    """The confidence of the nearest queue, against whether it is the right one (out-of-scope rows: never)."""
    settings = get_settings()
    task = spec_from_dict(spec).build(lambda n: load_encoder(settings, n))
    task.setup()
    scores = task._queue_scores(task.encoder.embed(texts))
    right = np.array([task.queues.index(t) if t in task.queues else -1 for t in truth])
    return [{"temperature": t, **calibration(softmax(scores / t), right)} for t in ROUTE_TEMPERATURES]


def main() -> None:
    for name, load in ROUTE_SETS.items():
        print(f"\n{name}\n{pd.DataFrame(route_at_temperatures(*load())).round(4).to_string(index=False)}")
    for name, load in SETS.items():
        data = load()
        table = pd.DataFrame(scored_at_temperatures(*data) + scored_at_temperatures(*data[:3], False, *data[4:]))
        table = table.drop_duplicates(["temperature", "adapted"])  # SST-2 (two labels) is never adapted
        print(f"\n{name}\n{table.round(4).to_string(index=False)}")


if __name__ == "__main__":
    main()
