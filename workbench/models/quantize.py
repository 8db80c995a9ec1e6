"""Quantize an ONNX model with onnxruntime, by named preset."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workbench.errors import ModelNotReadyError

# Per-channel int8 kept the encoder's accuracy within noise of float32 on BANKING77 in our measurement,
# while per-tensor int8 lost about 4 points (docs/benchmarks.md).
# Block-wise weight-only presets store weights in 8 or 4 bits per block of 32 or 128 (MatMulNBits).
# The generator stays in float32 by default: over 256 prompts no re-quantized preset kept even two thirds
# of its greedy answers identical to float32's (8-bit block-wise 44%, dynamic int8 4%, 4-bit under 1%;
# issue 3 asks for 95%), and at batch 8 the quantized ones wrote at most 18% more rows/s. The GGUF's own
# blocks (gguf-q4_1) keep 100% of the answers but run at 0.80x float32's rows/s
# (docs/benchmarks.md, docs/benchmarks_generator.md, benchmarks/quantization_compare.py).
PRESETS: dict[str, dict[str, Any]] = {
    "int8-per-channel": {"method": "dynamic", "weight_type": "QInt8", "per_channel": True},
    "int8-per-tensor": {"method": "dynamic", "weight_type": "QInt8", "per_channel": False},
    "int8-block32": {"method": "blockwise", "bits": 8, "block_size": 32, "accuracy_level": 4},
    "int4-block32": {"method": "blockwise", "bits": 4, "block_size": 32, "accuracy_level": 4},
    "int8-block128": {"method": "blockwise", "bits": 8, "block_size": 128, "accuracy_level": 4},
    "int4-block128": {"method": "blockwise", "bits": 4, "block_size": 128, "accuracy_level": 4},
    # accuracy_level 4 also rounds activations to int8 inside each matmul; 1 keeps them in float32.
    "int8-block32-fp32": {"method": "blockwise", "bits": 8, "block_size": 32, "accuracy_level": 1},
    "int4-block32-fp32": {"method": "blockwise", "bits": 4, "block_size": 32, "accuracy_level": 1},
    # The GGUF source's own Q4_1 blocks as MatMulNBits weights: 4 bits, dequantizing to exactly the float
    # weights (workbench/models/gguf_exact.py). Needs the GGUF file as source; other sources cannot use it.
    "gguf-q4_1": {"method": "gguf_exact", "accuracy_level": 1},
    "gguf-q4_1-int8": {"method": "gguf_exact", "accuracy_level": 4},
    "none": {"method": "none"},
}
# What each preset means for a user choosing one on the Models page (figures: docs/benchmarks*.md).
GGUF_ONLY = ("This quantization reuses a GGUF file's own 4-bit blocks, and this model was not added from a GGUF file. "
             "Choose another quantization for it.")
PRESET_ADVICE = {
    "int8-per-channel": "8-bit, the encoder's default: about twice as fast, accuracy within noise; "
                        "generator answers change on nearly every row",
    "int8-per-tensor": "8-bit, coarser: barely smaller than per-channel (22.8 against 22.9 MB for the bundled encoder), "
                       "lost about 4 points of accuracy on it",
    "int8-block32": "8-bit blocks: generator answers change on about half the rows",
    "int4-block32": "4-bit blocks: smallest for a generator (an encoder's grows: its embeddings stay float32), "
                    "generator answers change on nearly every row",
    "int8-block128": "8-bit, larger blocks: generator answers change on about two rows in three",
    "int4-block128": "4-bit, larger blocks: generator answers change on nearly every row",
    "int8-block32-fp32": "8-bit blocks, float arithmetic: slow on this kind of CPU",
    "int4-block32-fp32": "4-bit blocks, float arithmetic: generator answers change on nearly every row",
    "gguf-q4_1": "4-bit from a GGUF file's own blocks: same answers as float32, a third of the size, "
                 "a fifth slower on plain prompts, nearly half in a 4-draft summarize job (GGUF sources only)",
    "gguf-q4_1-int8": "as gguf-q4_1 with 8-bit arithmetic: answers change on about half the rows (GGUF sources only)",
    "none": "no quantization (float32): the generator's default, fastest on this kind of CPU, largest",
}
DEFAULT_ENCODER_PRESET = "int8-per-channel"
DEFAULT_GENERATOR_PRESET = "none"


def quantize(model_path: Path, out_path: Path, preset: str = DEFAULT_ENCODER_PRESET, source: Path | None = None) -> Path:
    """Write the quantized model to out_path; the preset 'none' copies the float model.

    source is the GGUF file the model was converted from, needed by the gguf_exact presets only."""
    options = PRESETS[preset]
    if options["method"] == "gguf_exact":
        return _gguf_exact(Path(model_path), out_path, source, options)
    if options["method"] == "none":
        out_path.write_bytes(Path(model_path).read_bytes())
        return out_path
    with _quiet_root_logger():  # onnxruntime warns about pre-processing on every call
        if options["method"] == "blockwise":
            _blockwise(Path(model_path), out_path, options)
        else:
            _dynamic(Path(model_path), out_path, options)
    return out_path


def _gguf_exact(model_path: Path, out_path: Path, source: Path | None, options: dict[str, Any]) -> Path:
    from workbench.models.gguf_exact import convert

    if source is None or Path(source).suffix.lower() != ".gguf":
        raise ModelNotReadyError(GGUF_ONLY)
    if not convert(model_path, Path(source), out_path, options["accuracy_level"]):
        # The float model would be kept under a manifest that says 4-bit.
        raise ModelNotReadyError(f"'{Path(source).name}' holds no Q4_1 weights, so this quantization has nothing to "
                                 "keep. Choose another quantization, such as int8-block32.")
    return out_path


def _dynamic(model_path: Path, out_path: Path, options: dict[str, Any]) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(model_path, out_path, weight_type=getattr(QuantType, options["weight_type"]),
                     per_channel=options["per_channel"], use_external_data_format=_is_large(model_path))


def _blockwise(model_path: Path, out_path: Path, options: dict[str, Any]) -> None:
    import onnx

    quantizer = _nbits_quantizer()(onnx.load(str(model_path)), bits=options["bits"], block_size=options["block_size"],
                                     is_symmetric=True, accuracy_level=options["accuracy_level"])
    quantizer.process()
    quantizer.model.save_model_to_file(str(out_path), use_external_data_format=False)


def _nbits_quantizer() -> type:
    """onnxruntime's MatMulNBitsQuantizer. Its module calls logging.basicConfig(level=INFO) as it is imported, and a
    process that had set up no logging (the command line) printed thousands of INFO lines, one or two per matrix: the
    root logger is put back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    root.handlers[:] = handlers
    root.setLevel(level)
    return MatMulNBitsQuantizer


def _is_large(model_path: Path) -> bool:
    return model_path.stat().st_size > 1_900_000_000  # protobuf's 2 GB limit, with room


@contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)
