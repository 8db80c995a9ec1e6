"""Speed and quality of the classify template on BANKING77, against transformers + PyTorch.

    .venv/bin/python benchmarks/classify_bench.py [--rows 2000] [--shots 10] [--seed 0]

The template is configured the way a user would: the 77 intent names as labels and 10 labelled
examples per intent, drawn from the training file with a fixed seed; every score is on other rows.

* Speed: rows/s of a real job (read the file, embed on onnxruntime, classify, commit to SQLite)
  against the same template whose embeddings come from transformers + PyTorch (fp32, mean pooling,
  batches of 64 in file order, no database), in this same run.
* Quality: few-shot accuracy (examples + names) and zero-shot accuracy (names alone), each as a job
  runs it (adapted to the job's own first rows) and without that adaptation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.config import Settings, get_settings  # noqa: E402
from workbench.db import repo  # noqa: E402
from workbench.db.session import session_scope  # noqa: E402
from workbench.jobs import service  # noqa: E402
from workbench.jobs.results import results_frame  # noqa: E402
from workbench.jobs.runner import ADAPT_SAMPLE_ROWS, run_job  # noqa: E402
from workbench.models.bundled import DEFAULT_ENCODER  # noqa: E402
from workbench.models.registry import load_encoder, prepare  # noqa: E402
from workbench.tasks.spec import spec_from_dict  # noqa: E402

DATASET = ROOT.parent / "shared" / "datasets" / "routing" / "banking77_train.csv"
TORCH_BATCH = 64


def split(frame: pd.DataFrame, shots: int, rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`shots` examples per intent for the template; `rows` other rows to score."""
    shuffled = frame.sample(frac=1.0, random_state=seed)
    examples = shuffled.groupby("category", sort=False).head(shots)
    rest = shuffled.drop(examples.index)
    return examples, rest.head(rows)


def template(examples: pd.DataFrame | None, labels: list[str]) -> dict:
    spec = {"task": "classify", "text": ["text"], "labels": labels, "name": "banking77 bench"}
    if examples is not None:
        spec["examples"] = [{"text": t, "label": c} for t, c in zip(examples["text"], examples["category"], strict=True)]
    return spec


class TorchEncoder:
    """The baseline: the same model through transformers + PyTorch with mean pooling."""

    def __init__(self, folder: Path):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModel.from_pretrained(folder).eval()

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._batch(texts[i : i + TORCH_BATCH]) for i in range(0, len(texts), TORCH_BATCH)])

    def _batch(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=DEFAULT_ENCODER.max_length,
                                return_tensors="pt")
        with self.torch.inference_mode():
            hidden = self.model(**tokens).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.torch.nn.functional.normalize(pooled, dim=1).numpy()


def run_as_job(settings: Settings, spec: dict, rows: pd.DataFrame) -> tuple[list[str], float]:
    """A real job over a CSV of the rows: returns the labels in row order and rows/s."""
    path = settings.data_dir / "bench_rows.csv"
    rows[["text"]].to_csv(path, index=False)
    job_id = service.create_job(settings, spec_from_dict(spec), path)
    with session_scope(settings) as session:
        repo.claim_job(session, job_id, runner_pid=0)
    started = time.perf_counter()
    status = run_job(settings, job_id)
    seconds = time.perf_counter() - started
    assert status == "completed", service.get_job(settings, job_id).error
    labels = results_frame(settings, job_id)["label"].tolist()
    return labels, len(rows) / seconds


def run_with_encoder(spec: dict, encoder, texts: list[str], adapt: bool = True) -> tuple[list[str], float]:
    """The template in this process with any encoder, as a job runs it: labels and rows/s (setup included)."""
    started = time.perf_counter()
    task = spec_from_dict(spec).build(lambda _name: encoder)
    task.setup()
    if adapt:
        task.adapt(texts[:ADAPT_SAMPLE_ROWS])
    outputs = [o for i in range(0, len(texts), TORCH_BATCH) for o in task.run_batch(texts[i : i + TORCH_BATCH])]
    return [o.outputs["label"] for o in outputs], len(texts) / (time.perf_counter() - started)


def embedding_speed(encoder, texts: list[str]) -> float:
    started = time.perf_counter()
    encoder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def accuracy(predicted: list[str], truth: pd.Series) -> float:
    return round(float(np.mean(np.array(predicted) == truth.to_numpy())), 4)


def measure(args: argparse.Namespace) -> dict:
    frame = pd.read_csv(DATASET)
    examples, rows = split(frame, args.shots, args.rows, args.seed)
    labels, texts, truth = sorted(frame["category"].unique()), rows["text"].tolist(), rows["category"]
    few_shot, zero_shot = template(examples, labels), template(None, labels)
    prepare(get_settings())  # the user's prepared model, shared with the scratch data folder below
    os.environ["WORKBENCH_MODELS_DIR"] = str(get_settings().models_dir)
    onnx, torch_encoder = load_encoder(get_settings()), TorchEncoder(DEFAULT_ENCODER.source_path())
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch)).ensure_dirs()
        ours, ours_speed = run_as_job(settings, few_shot, rows)
        zero, _ = run_as_job(settings, zero_shot, rows)
    theirs, theirs_speed = run_with_encoder(few_shot, torch_encoder, texts)
    return {
        "rows": len(rows), "examples": len(examples), "labels": len(labels),
        "job_rows_per_s_onnx": round(ours_speed, 1), "same_template_rows_per_s_torch": round(theirs_speed, 1),
        "speedup": round(ours_speed / theirs_speed, 2),
        "embed_rows_per_s_onnx": round(embedding_speed(onnx, texts), 1),
        "embed_rows_per_s_torch": round(embedding_speed(torch_encoder, texts), 1),
        "few_shot_accuracy": accuracy(ours, truth), "few_shot_accuracy_torch": accuracy(theirs, truth),
        "zero_shot_accuracy": accuracy(zero, truth),
        "few_shot_accuracy_not_adapted": accuracy(run_with_encoder(few_shot, onnx, texts, adapt=False)[0], truth),
        "zero_shot_accuracy_not_adapted": accuracy(run_with_encoder(zero_shot, onnx, texts, adapt=False)[0], truth),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    print(json.dumps(measure(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
