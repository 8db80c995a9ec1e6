"""Export a Hugging Face folder to ONNX with optimum (the only place torch is imported)."""

from __future__ import annotations

import logging
import shutil
import warnings
from pathlib import Path

from workbench.models.finite_mask import drop_nan_guards
from workbench.models.grouped_attention import head_counts, rewrite_repeated_kv
from workbench.models.last_logits import insert_logits_slice
from workbench.models.manifest import Manifest
from workbench.models.split_cache import split_cache

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "config.json",
                   "chat_template.jinja", "generation_config.json")


# Raised when a change to the export makes models prepared before it worth preparing again.
# generator 2 (2026-11-25): last-position logits and grouped query heads, ~1.3x the rows/s of 1.
# generator 3 (2026-11-29): finite attention masks without the NaN guards, prompts read ~11% faster.
# generator 4 (2026-11-30): the cache read in a settled and a recent part, no whole-cache copy per step.
EXPORT_REVISIONS = {"encoder": 1, "generator": 4}


def is_outdated(manifest: Manifest) -> bool:
    return manifest.export_revision < EXPORT_REVISIONS.get(manifest.kind, 1)


def is_newer(manifest: Manifest) -> bool:
    """Prepared by a later version of the workbench (a models folder shared by two copies): this one may not be able
    to run its graph."""
    return manifest.export_revision > EXPORT_REVISIONS.get(manifest.kind, 1)


def export_onnx(source: Path, out_dir: Path, task: str = "feature-extraction") -> Path:
    """Write `model.onnx` and the tokenizer files into out_dir; returns the ONNX file."""
    from optimum.exporters.onnx import main_export  # heavy: pulls in torch, so only on export

    from workbench.models.position_ids import with_position_ids

    # optimum's and transformers' notes to developers ("`torch_dtype` is deprecated") would only alarm users.
    for library in ("optimum", "transformers"):
        logging.getLogger(library).setLevel(logging.ERROR)
    out_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # tracer warnings are expected for these graphs and only alarm users
        warnings.simplefilter("ignore")
        main_export(str(source), output=out_dir, task=task, library_name="transformers", do_validation=False,
                    custom_onnx_configs=with_position_ids(source, task))
    for name in TOKENIZER_FILES:
        if (Path(source) / name).exists() and not (out_dir / name).exists():
            shutil.copy(Path(source) / name, out_dir / name)
    if task.startswith("text-generation"):
        _speed_up_generation(out_dir / "model.onnx")
    return out_dir / "model.onnx"


def _speed_up_generation(model_path: Path) -> None:
    """Graph rewrites that give the same answers faster (each measured in docs/benchmarks_generator.md)."""
    import onnx

    model = onnx.load(str(model_path))
    insert_logits_slice(model)  # a prompt needs only its last position's logits
    rewrite_repeated_kv(model.graph, *head_counts(model_path.parent))  # no cache copies per query head
    drop_nan_guards(model.graph)  # no slow Where(IsNaN(p), 0, p) after every softmax
    split_cache(model.graph)  # after the grouped heads: it splits their products
    onnx.save(model, str(model_path))
