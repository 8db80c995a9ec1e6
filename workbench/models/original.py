"""A prepared model checked once against the original it was made from, run by transformers + PyTorch.

The agreement with the unquantized export shows what quantizing changed, never what the export itself got wrong
(a position or window misread, a tokenizer made badly): for a default, unquantized generator it compared the model
with itself and always said 1.0. This compares what the user will run with the original model's own answers, on the
same fixed prompts, when a model is prepared. Imported only then: it loads torch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from workbench.models.measure import NEW_TOKENS, PROMPTS, SENTENCES

# Half the fixed prompts: the original answers one at a time at PyTorch's speed (SmolLM2: ~15 s for these 8).
ORIGINAL_PROMPTS = PROMPTS[:8]
ORIGINAL_ON = {"generator": f"{len(ORIGINAL_PROMPTS)} fixed prompts, greedy, up to {NEW_TOKENS} new tokens, against "
                            "transformers",
               "encoder": f"{len(SENTENCES)} sentences; the lowest cosine to the original's vector (transformers)"}
Tick = Callable[[int, int], None]  # items compared so far, of how many


def agreement_with_original(kind: str, model_folder: Path, original: Path, tick: Tick = lambda _done, _all: None
                            ) -> dict:
    """The share of prompts answered token for token as the original answers them (an encoder: the lowest cosine
    between its vectors and the original's)."""
    agreement = (_generator_agreement if kind == "generator" else _encoder_agreement)(model_folder, original, tick)
    return {"agreement_with_original": agreement, "original_compared_on": ORIGINAL_ON[kind]}


def _generator_agreement(model_folder: Path, original: Path, tick: Tick) -> float:
    from workbench.models.generator import OnnxGenerator

    model = OnnxGenerator(model_folder)
    prompts = [model.chat.prompt(p) for p in ORIGINAL_PROMPTS]
    answers = [g.tokens for g in model.generate(prompts, max_new_tokens=NEW_TOKENS)]
    prompts = [model.encode(p) for p in prompts]  # the ids it read, so that only the two models differ
    ends = sorted(model.eos_ids)
    del model  # its memory back before the original is loaded beside it
    expected = _original_answers(original, prompts, ends, tick)
    return round(float(np.mean([a == e for a, e in zip(answers, expected, strict=True)])), 3)


def _original_answers(original: Path, prompts: list[list[int]], ends: list[int], tick: Tick) -> list[list[int]]:
    """Greedy answers one prompt at a time (no padding to differ by), each up to its first end token."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    reference = AutoModelForCausalLM.from_pretrained(str(original), torch_dtype=torch.float32).eval()
    greedy = GenerationConfig(max_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=ends, pad_token_id=ends[0])
    answers = []
    with torch.no_grad():
        for ids in prompts:
            written = reference.generate(torch.tensor([ids]), generation_config=greedy)[0, len(ids):].tolist()
            answers.append(next((written[:n] for n, token in enumerate(written) if token in ends), written))
            tick(len(answers), len(prompts))
    return answers


def _encoder_agreement(model_folder: Path, original: Path, _tick: Tick) -> float:
    """The original's tokens come from its own tokenizer (transformers'), so a tokenizer made for the export (from a
    SentencePiece file) is checked too; the pooling and Dense steps are the folder's, applied by the same code."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from workbench.models.encoder import OnnxEncoder

    model = OnnxEncoder(model_folder)
    tokenizer = AutoTokenizer.from_pretrained(str(original))
    reference = AutoModel.from_pretrained(str(original), torch_dtype=torch.float32).eval()
    cosines = []
    with torch.no_grad():
        for sentence in SENTENCES:  # one at a time: no padding
            features = tokenizer(model.manifest.prompt + sentence, return_tensors="pt", truncation=True,
                                 max_length=model.manifest.max_length)
            hidden = reference(input_ids=features["input_ids"], attention_mask=features["attention_mask"])[0].numpy()
            vector = model.sentence_vectors(hidden, features["attention_mask"].numpy())[0]
            cosines.append(float(vector @ model.embed([sentence])[0]))
    return round(min(cosines), 4)
