"""256 realistic generation prompts, the same on every run, for the generator benchmarks.

    .venv/bin/python benchmarks/generator_prompts.py [--count 256]   # prints them as JSON lines

They are the jobs a business user would give the bundled generator: summarise a support email, write
its subject line, route it, list the products a review names, summarise a conversation, pull names
out of a post, route a customer request. Rows come from sample_data/ and ../shared/datasets/; the
sources are interleaved so that any first N prompts mix every kind of job and length.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections.abc import Callable, Iterator
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DATA = ROOT / "sample_data"
DATASETS = ROOT.parent / "shared" / "datasets"
SEED = 0
EMAIL_DEPARTMENTS = "billing, technical support, account access, shipping, returns or feedback"

EMAIL_INSTRUCTIONS = (
    "Summarise this email in one sentence.",
    "Write a subject line for this email.",
    f"Which department should handle this email: {EMAIL_DEPARTMENTS}? Answer with the department only.",
)
REVIEW_INSTRUCTIONS = (
    "List the product names mentioned in this review.",
    "Summarise this product review in one sentence.",
    "What does the customer like and dislike about the product? Answer in two short lines.",
)
DIALOGUE_INSTRUCTIONS = (
    "Summarise this conversation in one sentence.",
    "What does each person want in this conversation? Answer briefly.",
)
NAMES_INSTRUCTION = "List the names of people, places, companies and products mentioned in this text."


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def email_messages() -> Iterator[str]:
    for i, row in enumerate(_read_csv(SAMPLE_DATA / "support_emails.csv")):
        instruction = EMAIL_INSTRUCTIONS[i % len(EMAIL_INSTRUCTIONS)]
        # Asked for a subject line, the model must not see the one the sender wrote.
        subject = "" if instruction.startswith("Write a subject") else f"Subject: {row['Subject']}\n\n"
        yield f"{instruction}\n\n{subject}{row['Body']}"


def review_messages() -> Iterator[str]:
    for i, row in enumerate(_read_csv(SAMPLE_DATA / "product_reviews.csv")):
        instruction = REVIEW_INSTRUCTIONS[i % len(REVIEW_INSTRUCTIONS)]
        yield f"{instruction}\n\nProduct: {row['product']}\nReview: {row['review']}"


def dialogue_messages(count: int = 48) -> Iterator[str]:
    for i, row in enumerate(_read_jsonl(DATASETS / "summarization" / "dialogsum_test.jsonl")[:count]):
        yield f"{DIALOGUE_INSTRUCTIONS[i % len(DIALOGUE_INSTRUCTIONS)]}\n\n{row['dialogue']}"


def names_messages(count: int = 44) -> Iterator[str]:
    rows = [r for r in _read_jsonl(DATASETS / "extraction" / "wnut17_test.jsonl") if r["entities"]]
    for row in random.Random(SEED).sample(rows, count):
        yield f"{NAMES_INSTRUCTION}\n\n{row['text']}"


def routing_messages(count: int = 40) -> Iterator[str]:
    departments = json.loads((DATASETS / "routing" / "clinc150_domains.json").read_text())
    names = ", ".join(name.replace("_", " ") for name in departments)
    rows = [r for r in _read_jsonl(DATASETS / "routing" / "clinc150_val.jsonl") if r["domain"] != "oos"]
    for row in random.Random(SEED).sample(rows, count):
        yield f"Which department should handle this customer request: {names}? Answer with one.\n\n{row['text']}"


def user_messages(count: int = 256) -> list[str]:
    """The user turns, round-robin over the sources (64 + 60 + 48 + 44 + 40 = 256 in all)."""
    sources = [list(s) for s in (email_messages(), review_messages(), dialogue_messages(), names_messages(),
                                 routing_messages())]
    mixed = [m for group in zip_longest(*sources) for m in group if m is not None]
    if count > len(mixed):
        raise ValueError(f"There are {len(mixed)} benchmark prompts; asked for {count}.")
    return mixed[:count]


def chat_prompts(format_prompt: Callable[[str], str], count: int = 256) -> list[str]:
    """The prompts as the model reads them, e.g. format_prompt=OnnxGenerator(...).chat.prompt."""
    return [format_prompt(message) for message in user_messages(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=256)
    for message in user_messages(parser.parse_args().count):
        print(json.dumps(message))


if __name__ == "__main__":
    main()
