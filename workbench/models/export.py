"""Export a Hugging Face folder to ONNX with optimum (the only place torch is imported)."""

from __future__ import annotations

import logging
import shutil
import warnings
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "config.json",
                   "chat_template.jinja", "generation_config.json")


def export_onnx(source: Path, out_dir: Path, task: str = "feature-extraction") -> Path:
    """Write `model.onnx` and the tokenizer files into out_dir; returns the ONNX file."""
    from optimum.exporters.onnx import main_export  # heavy: pulls in torch, so only on export

    logging.getLogger("optimum").setLevel(logging.ERROR)
    out_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # tracer warnings are expected for these graphs and only alarm users
        warnings.simplefilter("ignore")
        main_export(str(source), output=out_dir, task=task, library_name="transformers", do_validation=False)
    for name in TOKENIZER_FILES:
        if (Path(source) / name).exists() and not (out_dir / name).exists():
            shutil.copy(Path(source) / name, out_dir / name)
    return out_dir / "model.onnx"
