"""Measure a freshly prepared model against its unquantized export, for its manifest.

A user choosing between models sees how fast each is here and how much quantizing changed its
answers: for a generator, the share of fixed prompts whose greedy output is identical to the
unquantized model's; for an encoder, how close its embeddings are to the unquantized ones.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

# Short, realistic requests of the kind the templates make; fixed, so figures compare across models.
PROMPTS = [
    "Summarise in one sentence: My parcel was due on Monday and the tracking page has not changed for four days.",
    "Write a subject line for this email: Hi, I was charged twice for my March subscription, please refund one.",
    "Which department should handle this: 'The app crashes every time I open the settings page.'?",
    "List the product names in: 'The AeroPress is great but the Baratza grinder broke after a week.'",
    "What does the customer want? 'Please change the delivery address on order 4471 to 12 High Street.'",
    "Summarise: Two colleagues agree to move the weekly meeting from Tuesday to Thursday afternoon.",
    "Extract the date from: 'The invoice dated 3 February 2024 is still unpaid.'",
    "Is this review positive or negative? 'Battery lasts two days and the screen is gorgeous.'",
    "Write a one-line reply thanking the customer for their feedback about faster checkout.",
    "What is the main complaint? 'I waited 40 minutes on the phone and nobody answered.'",
    "Summarise in one sentence: The hotel room was clean, but the wifi kept dropping and breakfast was cold.",
    "Which queue: billing, shipping or returns? 'I want to send back the shoes, they are too small.'",
    "List the people mentioned: 'Anna asked Tom to send the report to Dr. Patel by Friday.'",
    "Write a subject line: Our team cannot log in since the password reset email never arrives.",
    "What product is this about? 'The Kindle Paperwhite froze during the last software update.'",
    "Summarise: A customer asks whether the 30-day return window applies to sale items.",
]
SENTENCES = [prompt.split(": ", 1)[-1] for prompt in PROMPTS]
NEW_TOKENS = 32


def measure(kind: str, model_folder: Path, reference_folder: Path | None) -> dict:
    """Speed, and agreement with the unquantized model in reference_folder (None: this is it)."""
    return (_measure_generator if kind == "generator" else _measure_encoder)(model_folder, reference_folder)


def _measure_generator(model_folder: Path, reference_folder: Path | None) -> dict:
    from workbench.models.generator import OnnxGenerator

    model = OnnxGenerator(model_folder)
    prompts = [model.chat.prompt(p) for p in PROMPTS]
    started = time.perf_counter()
    outputs = model.generate(prompts, max_new_tokens=NEW_TOKENS)
    seconds = time.perf_counter() - started
    reference = OnnxGenerator(reference_folder).generate(prompts, NEW_TOKENS) if reference_folder else outputs
    same = [a.tokens == b.tokens for a, b in zip(outputs, reference, strict=True)]
    return {"tokens_per_second": round(sum(len(o.tokens) for o in outputs) / seconds, 1),
            "agreement_with_unquantized": round(float(np.mean(same)), 3),
            "measured_on": f"{len(prompts)} fixed prompts, greedy, up to {NEW_TOKENS} new tokens"}


def _measure_encoder(model_folder: Path, reference_folder: Path | None) -> dict:
    from workbench.models.encoder import OnnxEncoder

    model = OnnxEncoder(model_folder)
    texts = SENTENCES * 4
    started = time.perf_counter()
    vectors = model.embed(texts)
    seconds = time.perf_counter() - started
    reference = OnnxEncoder(reference_folder).embed(texts) if reference_folder else vectors
    cosine = np.sum(vectors * reference, axis=1)  # both unit length
    return {"rows_per_second": round(len(texts) / seconds, 1),
            "agreement_with_unquantized": round(float(cosine.min()), 4),
            "measured_on": f"{len(texts)} sentences; agreement is the lowest cosine to the unquantized embedding"}
