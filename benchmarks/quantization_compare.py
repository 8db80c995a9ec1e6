"""Quantization presets of the bundled generator: speed, agreement with the unquantized model, size.

    .venv/bin/python benchmarks/quantization_compare.py [--rows 256] [--batch-size 8] [--presets none,...]

Each preset is prepared once into the scratch models folder (data dir's bench-models/: the float model
through the real pipeline, then each preset quantized from it, see generator_bench.preset_folder). On
the first --rows prompts of benchmarks/generator_prompts.py, greedy, up to --max-new-tokens each:
tokens/s and rows/s at the batch size, the share of rows whose tokens are identical to the `none`
preset's, and the ONNX file's size. The recommendation is the fastest preset that keeps at least
--min-identical of the rows identical, the bar issue 3 sets.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generator_bench import identical_share, preset_folder, run_ours  # noqa: E402
from benchmarks.generator_prompts import chat_prompts  # noqa: E402
from workbench.models.generator import OnnxGenerator  # noqa: E402
from workbench.models.manifest import read_manifest  # noqa: E402

PRESETS = ("none", "int8-per-channel", "int8-block32", "int4-block32", "int8-block128", "int4-block128",
           "int8-block32-fp32", "int4-block32-fp32", "gguf-q4_1", "gguf-q4_1-int8")


def compare(presets: list[str], prompts: list[str], batch_size: int, max_new_tokens: int) -> dict[str, dict]:
    """One row of figures per preset; `none` runs first, as every other preset is compared with it."""
    reference = None
    table = {}
    for preset in ["none", *(p for p in presets if p != "none")]:
        folder = preset_folder(preset)
        figures, tokens = run_ours(folder, prompts, batch_size, max_new_tokens)
        reference = reference or tokens
        table[preset] = {**figures, "identical_to_unquantized": identical_share(tokens, reference),
                         "size_mb": round(read_manifest(folder).size_bytes / 1e6, 1)}
    return table


def recommend(table: dict[str, dict], min_identical: float) -> str | None:
    faithful = [p for p, row in table.items() if row["identical_to_unquantized"] >= min_identical]
    return max(faithful, key=lambda p: table[p]["rows_per_s"], default=None)  # long rambling answers inflate tokens/s


def markdown(table: dict[str, dict]) -> str:
    lines = ["| preset | tokens/s | rows/s | identical to unquantized | size MB |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {p} | {r['tokens_per_s']} | {r['rows_per_s']} | {r['identical_to_unquantized']:.1%} "
              f"| {r['size_mb']} |" for p, r in table.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--presets", default=",".join(PRESETS))
    parser.add_argument("--min-identical", type=float, default=0.95)
    args = parser.parse_args()
    prompts = chat_prompts(OnnxGenerator(preset_folder("none")).chat.prompt, args.rows)
    table = compare(args.presets.split(","), prompts, args.batch_size, args.max_new_tokens)
    print(json.dumps({"rows": args.rows, "batch_size": args.batch_size, "max_new_tokens": args.max_new_tokens,
                      "presets": table, "recommended": recommend(table, args.min_identical)}, indent=2))
    print(markdown(table), file=sys.stderr)


if __name__ == "__main__":
    main()
