"""Speed, agreement and memory of the bundled generator against transformers + PyTorch and llama.cpp.

    make bench-env                                    # once: llama-cpp-python in .venv-bench
    make bench-generator                              # or, with any of the options:
    WORKBENCH_DATA_DIR=data .venv/bin/python benchmarks/generator_bench.py [--rows 64] [--max-new-tokens 48]
        [--preset int8-block32]

On the first --rows prompts of benchmarks/generator_prompts.py, greedy, up to --max-new-tokens each,
all in this one run and on the same token ids:

* ours: OnnxGenerator on the bundled model prepared with the default preset (or --preset), batch
  sizes 8 and 16;
* transformers + PyTorch `generate` on the float32 model read from the same GGUF file, one row at a
  time and in length-sorted batches of 8 with left padding;
* llama.cpp (llama-cpp-python, temperature 0) on the GGUF file itself, one row at a time, run by
  .venv-bench/bin/python benchmarks/llama_cpp_runner.py;
* agreement: the share of rows whose tokens are identical to the unquantized model's (preset `none`,
  same runtime, batch 8; its answers do not depend on the batch, those of int8 block-wise do);
* peak memory (VmHWM) of a fresh process that loads that model and generates, at each batch size.

Models are prepared once into the data dir's bench-models/ folder (set WORKBENCH_DATA_DIR; `make
bench-generator` does), so the user's own prepared models are never touched. Every runtime gets a
short warm-up; model loading is not timed. Threads: every core, for each. The machine's load average
is reported too: other work on the machine slows every runtime, so compare figures from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generator_prompts import chat_prompts  # noqa: E402
from workbench.config import get_settings  # noqa: E402
from workbench.jobs.measure import peak_memory_mb as own_peak_memory_mb  # noqa: E402  (VmHWM: this process alone)
from workbench.models.bundled import DEFAULT_GENERATOR  # noqa: E402
from workbench.models.generator import OnnxGenerator  # noqa: E402
from workbench.models.manifest import read_manifest, sha256_file, write_manifest  # noqa: E402
from workbench.models.prepare import QUANTIZED_NAME, is_prepared, model_dir, prepare_encoder  # noqa: E402
from workbench.models.quantize import DEFAULT_GENERATOR_PRESET, PRESETS, quantize  # noqa: E402

BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
LLAMA_RUNNER = ROOT / "benchmarks" / "llama_cpp_runner.py"
THREADS = int(os.environ.get("WORKBENCH_THREADS", os.cpu_count() or 1))


# -- models -----------------------------------------------------------------------------------------


BATCH_SIZES = (8, 16, 32)  # peak memory is measured for each; the default must stay <= 1.5 GB


def scratch_models_dir() -> Path:
    """Benchmark-only model copies live next to the user's models, outside git, and are reused."""
    return get_settings().data_dir / "bench-models"


def preset_folder(preset: str, scratch: Path | None = None) -> Path:
    """The bundled generator prepared with this preset; the float model is prepared once, then quantized."""
    scratch = scratch or scratch_models_dir()
    target = model_dir(SimpleNamespace(models_dir=scratch / preset), DEFAULT_GENERATOR.name)
    if is_prepared(target):
        return target
    (scratch / "none").mkdir(parents=True, exist_ok=True)
    unquantized = prepare_encoder(SimpleNamespace(models_dir=scratch / "none"), DEFAULT_GENERATOR, preset="none")
    return target if preset == "none" else quantized_copy(unquantized, preset, target)


def quantized_copy(unquantized: Path, preset: str, target: Path) -> Path:
    """Quantize the unquantized folder's ONNX file with another preset; same tokenizer and manifest."""
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(unquantized, staging, ignore=shutil.ignore_patterns(QUANTIZED_NAME))
    onnx_file = quantize(unquantized / QUANTIZED_NAME, staging / QUANTIZED_NAME, preset,
                         source=DEFAULT_GENERATOR.source_path())
    manifest = read_manifest(unquantized).model_copy(update={
        "quantization": {"preset": preset, **PRESETS[preset]}, "onnx_sha256": sha256_file(onnx_file),
        "size_bytes": onnx_file.stat().st_size})
    write_manifest(staging, manifest)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


# -- runtimes ---------------------------------------------------------------------------------------


# Every runtime is timed this many times and keeps its best pass: passes of the same runtime in one run differed by
# up to 10% on this shared machine, and the best pass is the one least disturbed by other work.
REPEATS = 2


def best_of(passes: int, run):
    """The (speed, output) of run() with the most rows/s over this many passes."""
    return max((run() for _ in range(passes)), key=lambda result: result[0]["rows_per_s"])


def speed(rows: int, tokens: int, seconds: float) -> dict:
    return {"rows_per_s": round(rows / seconds, 2), "tokens_per_s": round(tokens / seconds, 1),
            "seconds": round(seconds, 1), "new_tokens": tokens}


def run_ours(folder: Path, prompts: list[str], batch_size: int, max_new_tokens: int) -> tuple[dict, list[list[int]]]:
    """Speed of OnnxGenerator on these prompts and each row's new tokens."""
    generator = OnnxGenerator(folder, batch_size=batch_size)
    generator.generate(prompts[:1], max_new_tokens=4)
    started = time.perf_counter()
    outputs = generator.generate(prompts, max_new_tokens=max_new_tokens)
    seconds = time.perf_counter() - started
    tokens = [o.tokens for o in outputs]
    return speed(len(prompts), sum(map(len, tokens)), seconds), tokens


class TorchBaseline:
    """transformers + PyTorch `generate` on the float32 model de-quantized from the GGUF file."""

    def __init__(self, gguf_file: Path, pad_id: int, eos_ids: set[int]):
        import torch
        from transformers import AutoModelForCausalLM

        torch.set_num_threads(THREADS)
        self.torch, self.pad_id, self.eos_ids = torch, pad_id, sorted(eos_ids)
        self.model = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name,
                                                          dtype=torch.float32).eval()

    def run(self, encoded: list[list[int]], batch_size: int, max_new_tokens: int) -> tuple[dict, list[list[int]]]:
        self._batch(encoded[:1], 4)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        tokens: list[list[int]] = [[] for _ in encoded]
        started = time.perf_counter()
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            for row, new in zip(rows, self._batch([encoded[i] for i in rows], max_new_tokens), strict=True):
                tokens[row] = new
        return speed(len(encoded), sum(map(len, tokens)), time.perf_counter() - started), tokens

    def _batch(self, rows: list[list[int]], max_new_tokens: int) -> list[list[int]]:
        width = max(map(len, rows))
        ids = self.torch.tensor([[self.pad_id] * (width - len(r)) + r for r in rows])
        mask = self.torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
        with self.torch.inference_mode():
            out = self.model.generate(ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                                      eos_token_id=self.eos_ids, pad_token_id=self.pad_id)
        return [self._until_eos(row.tolist()) for row in out[:, width:]]

    def _until_eos(self, tokens: list[int]) -> list[int]:
        ends = [i for i, t in enumerate(tokens) if t in self.eos_ids]
        return tokens[: ends[0]] if ends else tokens


def run_llama_cpp(gguf_file: Path, prompts: list[str], max_new_tokens: int) -> dict | None:
    """The llama.cpp runner's JSON, or None when `make bench-env` has not been run."""
    if not BENCH_PYTHON.exists():
        print("llama.cpp skipped: run `make bench-env` first.", file=sys.stderr)
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as job:
        json.dump({"model": str(gguf_file), "prompts": prompts, "max_new_tokens": max_new_tokens,
                   "threads": THREADS}, job)
    try:
        done = subprocess.run([str(BENCH_PYTHON), str(LLAMA_RUNNER), job.name], capture_output=True, text=True,
                              check=True)
    finally:
        os.unlink(job.name)
    return json.loads(done.stdout)


# -- agreement and memory ---------------------------------------------------------------------------


def identical_share(tokens: list[list[int]], reference: list[list[int]]) -> float:
    return round(sum(a == b for a, b in zip(tokens, reference, strict=True)) / len(reference), 4)


def text_identical_share(texts: list[str], reference: list[str]) -> float:
    """For llama.cpp, which reports text: the same answer up to surrounding whitespace."""
    return round(sum(a.strip() == b.strip() for a, b in zip(texts, reference, strict=True)) / len(reference), 4)


def peak_memory_mb(folder: Path, rows: int, batch_size: int, max_new_tokens: int) -> float:
    """Max RSS of a fresh process that loads the model and generates (so nothing else here counts)."""
    command = [sys.executable, __file__, "--peak-memory-of", str(folder), "--rows", str(rows),
               "--batch-size", str(batch_size), "--max-new-tokens", str(max_new_tokens)]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)["max_rss_mb"]


def generate_and_report_memory(args: argparse.Namespace) -> None:
    """The child side of peak_memory_mb."""
    generator = OnnxGenerator(Path(args.peak_memory_of), batch_size=args.batch_size)
    generator.generate(chat_prompts(generator.chat.prompt, args.rows), max_new_tokens=args.max_new_tokens)
    print(json.dumps({"max_rss_mb": own_peak_memory_mb()}))


# -- the run ----------------------------------------------------------------------------------------


def prepare_in_own_process(preset: str) -> None:
    """Prepare the models before timing anything, in a process of their own: exporting loads torch, whose
    threads should not share this process with the runtimes being timed (the one run that prepared in-process
    measured every batch size at the same, lower speed)."""
    subprocess.run([sys.executable, __file__, "--prepare-only", "--preset", preset], check=True)


def measure_ours(args: argparse.Namespace, prompts: list[str]) -> tuple[dict, list[list[int]]]:
    default = preset_folder(args.preset)
    reference_speed, reference = best_of(args.repeats, lambda: run_ours(preset_folder("none"), prompts, 8,
                                                                        args.max_new_tokens))
    results = {"preset": args.preset, "unquantized_batch_8": reference_speed}
    for batch_size in BATCH_SIZES:
        results[f"batch_{batch_size}"], tokens = best_of(args.repeats, lambda b=batch_size: run_ours(
            default, prompts, b, args.max_new_tokens))
        results[f"batch_{batch_size}"]["identical_to_unquantized"] = identical_share(tokens, reference)
        results[f"batch_{batch_size}"]["peak_memory_mb"] = peak_memory_mb(default, args.rows, batch_size,
                                                                          args.max_new_tokens)
    return results, reference


def measure_baselines(args: argparse.Namespace, prompts: list[str], reference: list[list[int]]) -> dict:
    generator = OnnxGenerator(preset_folder("none"))
    gguf_file = DEFAULT_GENERATOR.source_path()
    encoded = [generator.encode(p) for p in prompts]
    torch_model = TorchBaseline(gguf_file, generator.pad_id, generator.eos_ids)
    results = {}
    for name, batch_size in (("torch_one_row", 1), ("torch_batch_8", 8)):
        results[name], tokens = best_of(args.repeats, lambda b=batch_size: torch_model.run(encoded, b,
                                                                                          args.max_new_tokens))
        results[name]["identical_to_unquantized"] = identical_share(tokens, reference)
    llama = max((run_llama_cpp(gguf_file, prompts, args.max_new_tokens) for _ in range(args.repeats)),
                key=lambda result: result["tokens"] / result["seconds"] if result else 0)
    if llama is not None:
        texts = [generator.decode(t) for t in reference]
        results["llama_cpp_one_row"] = {**speed(len(prompts), llama["tokens"], llama["seconds"]),
                                        "same_text_as_unquantized": text_identical_share(
                                            [r["text"] for r in llama["rows"]], texts)}
    return results


def ratios(results: dict) -> dict:
    """Our best rows/s over each baseline's, the figures issue 3 sets targets for."""
    ours = max(results[f"batch_{b}"]["rows_per_s"] for b in BATCH_SIZES)
    baselines = ("llama_cpp_one_row", "torch_one_row", "torch_batch_8")
    return {f"ours_over_{k}": round(ours / results[k]["rows_per_s"], 2) for k in baselines if k in results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--preset", default=DEFAULT_GENERATOR_PRESET, choices=sorted(PRESETS))
    parser.add_argument("--repeats", type=int, default=REPEATS, help="passes per runtime; the best is kept")
    parser.add_argument("--batch-size", type=int, default=16, help=argparse.SUPPRESS)
    parser.add_argument("--peak-memory-of", help=argparse.SUPPRESS)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_memory_of:
        return generate_and_report_memory(args)
    if args.prepare_only:
        for preset in ("none", args.preset):
            preset_folder(preset)
        return None
    prepare_in_own_process(args.preset)
    prompts = chat_prompts(OnnxGenerator(preset_folder("none")).chat.prompt, args.rows)
    results = {"rows": args.rows, "max_new_tokens": args.max_new_tokens, "threads": THREADS,
               "load_average_before": round(os.getloadavg()[0], 2)}
    ours, reference = measure_ours(args, prompts)
    results.update(**ours, **measure_baselines(args, prompts, reference))
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps({**results, **ratios(results)}, indent=2))


if __name__ == "__main__":
    main()
