"""How much accuracy each way of quantizing the encoder costs, on every held-out BANKING77 row.

    .venv/bin/python benchmarks/encoder_quantization.py

For seeds 0-2, the 10-per-intent examples of classify_bench.split are the training set and all other
rows (about 9,233) are scored with plain logistic regression on examples + intent names. The float32
ONNX export gives the same embeddings as PyTorch, so its column is the float baseline.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from classify_bench import DATASET, split  # noqa: E402

from workbench.config import get_settings  # noqa: E402
from workbench.models.bundled import DEFAULT_ENCODER  # noqa: E402
from workbench.models.encoder import OnnxEncoder  # noqa: E402
from workbench.models.export import export_onnx  # noqa: E402
from workbench.models.registry import encoder_folder  # noqa: E402

VARIANTS = {
    "float32": None,
    "int8 per channel (default)": {"per_channel": True},
    "int8 per channel, reduced range": {"per_channel": True, "reduce_range": True},
    "int8 per tensor": {"per_channel": False},
}


def build_variant(float_model: Path, prepared: Path, folder: Path, options: dict | None) -> OnnxEncoder:
    """A prepared-encoder folder whose ONNX file is quantized with these options."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder.mkdir(parents=True)
    for name in ("tokenizer.json", "config.json"):
        shutil.copy(prepared / name, folder / name)
    manifest = json.loads((prepared / "manifest.json").read_text()) | {"onnx_file": "model.onnx"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    if options is None:
        shutil.copy(float_model, folder / "model.onnx")
    else:
        quantize_dynamic(float_model, folder / "model.onnx", weight_type=QuantType.QInt8, **options)
    return OnnxEncoder(folder, batch_size=64)


def accuracy_per_seed(vectors: np.ndarray, names: np.ndarray, frame: pd.DataFrame, ids: np.ndarray) -> list[float]:
    scores = []
    for seed in (0, 1, 2):
        examples, rows = split(frame, 10, len(frame), seed)
        training = np.vstack([vectors[examples.index], names])
        targets = np.concatenate([ids[examples.index], np.arange(len(names))])
        with threadpool_limits(limits=1):
            model = LogisticRegression(C=20, max_iter=3000).fit(training, targets)
        scores.append(round(float((model.predict(vectors[rows.index]) == ids[rows.index]).mean()), 4))
    return scores


def main() -> None:
    frame = pd.read_csv(DATASET)
    labels = sorted(frame["category"].unique())
    ids = frame["category"].map({label: i for i, label in enumerate(labels)}).to_numpy()
    prepared = encoder_folder(get_settings())
    with tempfile.TemporaryDirectory() as scratch:
        float_model = export_onnx(DEFAULT_ENCODER.source_path(), Path(scratch) / "float")
        for number, (name, options) in enumerate(VARIANTS.items()):
            encoder = build_variant(float_model, prepared, Path(scratch) / f"v{number}", options)
            started = time.perf_counter()
            vectors = encoder.embed(frame["text"].tolist())
            speed = len(frame) / (time.perf_counter() - started)
            scores = accuracy_per_seed(vectors, encoder.embed([name.replace("_", " ") for name in labels]), frame, ids)
            print(f"{name:34s} rows/s {speed:6.0f}  accuracy {scores}  mean {np.mean(scores):.4f}", flush=True)


if __name__ == "__main__":
    main()
