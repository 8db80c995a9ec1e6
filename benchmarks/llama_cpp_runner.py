"""The llama.cpp baseline: greedy generation one row at a time through llama-cpp-python.

    .venv-bench/bin/python benchmarks/llama_cpp_runner.py JOB.json     # `make bench-env` builds that venv

JOB.json holds {"model": GGUF path, "prompts": [chat-formatted text], "max_new_tokens": N, "threads": N}.
Prints one JSON object: rows/s, tokens/s, and each row's text and token count. Runs in its own venv
because llama-cpp-python is a benchmark baseline, not a project dependency; it imports nothing else
from the project.
"""

from __future__ import annotations

import json
import sys
import time

from llama_cpp import Llama

CONTEXT = 4096  # room for the longest benchmark prompt and its answer


def load(model_path: str, threads: int) -> Llama:
    return Llama(model_path=model_path, n_ctx=CONTEXT, n_threads=threads, n_threads_batch=threads, seed=0,
                 verbose=False)


def generate(llm: Llama, prompt: str, max_new_tokens: int) -> dict:
    """Greedy (temperature 0) continuation of a prompt that already carries the chat template."""
    # special=True so the template's <|im_start|> markers become their single special tokens.
    ids = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    out = llm.create_completion(ids, max_tokens=max_new_tokens, temperature=0.0, top_k=1, repeat_penalty=1.0)
    return {"text": out["choices"][0]["text"], "tokens": out["usage"]["completion_tokens"]}


def run(job: dict) -> dict:
    llm = load(job["model"], job["threads"])
    generate(llm, job["prompts"][0], 4)  # warm-up, as every other runtime gets
    started = time.perf_counter()
    rows = [generate(llm, prompt, job["max_new_tokens"]) for prompt in job["prompts"]]
    seconds = time.perf_counter() - started
    tokens = sum(r["tokens"] for r in rows)
    return {"rows_per_s": len(rows) / seconds, "tokens_per_s": tokens / seconds, "seconds": seconds,
            "tokens": tokens, "rows": rows}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print(json.dumps(run(json.load(handle))))
