"""Long texts through summarize: read whole (the window holds them) or in pieces of READ_WELL_TOKENS.

A long text here is several DialogSum dialogues in one cell (a thread of conversations, ~800 tokens for four), its
reference the dialogues' own first reference summaries one after another. Besides ROUGE against that, the script
reports how many of each dialogue's own summary words (function words aside) the summary recalls, by the dialogue's
place in the text: a summary of the start alone, or of the end alone, shows there.

    WORKBENCH_MODELS_DIR=data/models WORKBENCH_DATA_DIR=/tmp/long/data .venv/bin/python \
        benchmarks/summarize_long_texts.py --threads 20 --first-row 200 --pieces 0 512
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.quality_generative import DATASETS, build, read_jsonl  # noqa: E402
from workbench.eval.rouge import mean_rouge, words  # noqa: E402
from workbench.tasks import summarize  # noqa: E402

# Words every summary shares whatever it says: left out of the recall by position.
FUNCTION_WORDS = {"the", "a", "an", "and", "to", "of", "in", "is", "for", "that", "with", "on", "it", "he", "she",
                  "they", "s", "person1", "person2"}


def threads(count: int, per_thread: int, first_row: int) -> list[list[dict]]:
    rows = read_jsonl(DATASETS / "summarization/dialogsum_test.jsonl", first_row + count * per_thread)[first_row:]
    return [rows[n * per_thread:(n + 1) * per_thread] for n in range(count)]


def recall(summary: str, reference: str) -> float:
    wanted = set(words(reference)) - FUNCTION_WORDS
    return len(wanted & set(words(summary))) / max(len(wanted), 1)


def run(groups: list[list[dict]], spec: dict, pieces: int) -> dict:
    """pieces: READ_WELL_TOKENS for this run; 0 for the whole window."""
    summarize.READ_WELL_TOKENS = pieces or 10**9
    task = build(spec)
    texts = ["\n\n".join(d["dialogue"] for d in group) for group in groups]
    started = time.perf_counter()
    summaries = [o.outputs["summary"] for s in range(0, len(texts), 4) for o in task.run_batch(texts[s:s + 4])]
    seconds = time.perf_counter() - started
    references = [[" ".join(d["summary1"] for d in group)] for group in groups]
    by_place = [round(sum(recall(s, g[k]["summary1"]) for s, g in zip(summaries, groups, strict=True)) / len(groups), 3)
                for k in range(len(groups[0]))]
    return {"pieces": pieces or "whole window", "seconds": round(seconds), "rouge": mean_rouge(summaries, references),
            "recall_by_place": by_place}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--per-thread", type=int, default=4)
    parser.add_argument("--first-row", type=int, default=200)
    parser.add_argument("--style", default="short")
    parser.add_argument("--max-words", type=int, default=60)
    parser.add_argument("--pieces", type=int, nargs="+", default=[0, summarize.READ_WELL_TOKENS])
    args = parser.parse_args()
    groups = threads(args.threads, args.per_thread, args.first_row)
    spec = {"task": "summarize", "text": "dialogue", "summary": {"style": args.style, "max_words": args.max_words}}
    for pieces in args.pieces:
        print(json.dumps(run(groups, spec, pieces)), flush=True)


if __name__ == "__main__":
    main()
