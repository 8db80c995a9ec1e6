"""Fine-tune an encoder on a template's examples, then prepare it like the bundled one (ONNX, int8, manifest).

SetFit-style contrastive training: every example is pulled towards another example of its label and
pushed away from the other labels in its batch (symmetric multiple-negatives ranking loss). On
BANKING77 with 10 examples per intent this lifts few-shot accuracy by 1.5-1.75 points
(docs/benchmarks_finetune.md). torch is imported only while training: running a job on the
fine-tuned encoder needs onnxruntime alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from workbench.config import Settings, onnx_threads
from workbench.errors import ModelNotReadyError, WorkbenchError
from workbench.models.export import export_onnx
from workbench.models.manifest import Manifest, read_manifest, sha256_file, write_manifest
from workbench.models.prepare import (
    KEPT_FILES,
    QUANTIZED_NAME,
    Progress,
    is_prepared,
    model_dir,
    new_staging,
    no_progress,
)
from workbench.models.quantize import DEFAULT_ENCODER_PRESET, PRESETS, quantize
from workbench.models.registry import FINE_TUNED_SOURCE, encoder_folder, source_of

logger = logging.getLogger(__name__)

# Shares of the progress bar: training is most of the time, export and quantization a few seconds.
TRAINING_DONE = 0.85


@dataclass(frozen=True)
class FineTuneRecipe:
    """How to train; every field is part of the fine-tuned model's identity (its folder name)."""

    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup_share: float = 0.1
    scale: float = 20.0  # cosine similarities times this are the logits of the ranking loss
    max_length: int = 64  # examples are short messages; the cap bounds the time of a training step
    freeze_embeddings: bool = True  # as in the measured recipe: only the layers above the token embeddings learn
    seed: int = 0
    preset: str = DEFAULT_ENCODER_PRESET


DEFAULT_RECIPE = FineTuneRecipe()


def fine_tune_encoder(
    settings: Settings,
    base_name: str | None,
    examples: Sequence[tuple[str, str]],
    label_names: Mapping[str, str],
    progress: Progress = no_progress,
    source: Path | None = None,
    recipe: FineTuneRecipe = DEFAULT_RECIPE,
) -> Path:
    """The prepared folder of `base_name` fine-tuned on these examples, trained only if it is not there yet.

    examples are (text, label) pairs; label_names maps each label to its text in plain words, which
    is trained on as one more example of that label. `source` is the base model's Hugging Face folder
    (by default the one it was prepared from).
    """
    base = read_manifest(encoder_folder(settings, base_name))
    _check_mean_pooled(base)
    pairs = training_pairs(examples, label_names)
    target = model_dir(settings, fine_tuned_name(base, pairs, recipe))
    if not is_prepared(target):
        weights = weights_source(base, source)
        with _staged(settings, target, base.name) as staging:
            measured = {"examples": len(examples), **_build(staging, weights, pairs, recipe, progress)}
            write_manifest(staging, _manifest(staging, target.name, base, recipe, measured))
    progress(1.0, f"{target.name} is ready")
    return target


def _check_mean_pooled(base: Manifest) -> None:
    """Training averages the token vectors, as all-MiniLM-L6-v2 does: a model that pools otherwise (bge's first token),
    has Dense steps or a prompt would come out another model, with none of its own vectors."""
    if base.pooling != ["mean"] or base.dense or base.prompt:
        raise ModelNotReadyError(f"Fine-tuning trains models that average their words' vectors, and '{base.name}' "
                                 "makes its vectors another way (its sentence-transformers settings). Run the job "
                                 "without fine-tuning, or with the bundled model.")


def training_pairs(examples: Sequence[tuple[str, str]], label_names: Mapping[str, str]) -> list[tuple[str, str]]:
    """Examples plus each label's name, sorted: the same set in any order trains (and is named) alike."""
    return sorted([(str(text), str(label)) for text, label in examples]
                  + [(str(name), str(label)) for label, name in label_names.items()])


def fine_tuned_name(base: Manifest, pairs: list[tuple[str, str]], recipe: FineTuneRecipe) -> str:
    identity = {"base_onnx_sha256": base.onnx_sha256, "pairs": pairs, "recipe": asdict(recipe)}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return f"{base.name}-fine-tuned-{digest[:12]}"


def weights_source(base: Manifest, source: Path | None = None) -> Path:
    """The Hugging Face folder with the base model's float weights: `source`, or the one it was prepared from."""
    folder = Path(source) if source else source_of(base)
    if not (folder / "config.json").exists():
        raise ModelNotReadyError(
            f"Fine-tuning needs the original weights of '{base.name}' (a Hugging Face folder), and there are none "
            f"in '{folder}'. Fine-tune a bundled model, or prepare this one again from its Hugging Face folder."
        )
    return folder


@contextmanager
def _staged(settings: Settings, target: Path, base_name: str) -> Iterator[Path]:
    """A scratch folder that becomes `target` only if the whole build succeeds; nothing is left otherwise."""
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    staging = new_staging(settings.models_dir, target.name)  # a killed fine-tune's folder goes with the next one
    try:
        yield staging
        if not is_prepared(target):  # another process may have finished the same model meanwhile
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
    except WorkbenchError:
        raise  # already says what to do
    except Exception as exc:
        logger.warning("Fine-tuning %s failed", base_name, exc_info=True)  # the library's words, for whoever looks
        raise ModelNotReadyError(f"Fine-tuning {base_name} failed on a problem the app did not expect. Nothing was "
                                 "kept; run the job again, or run it without fine-tuning.") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _build(staging: Path, weights: Path, pairs: list[tuple[str, str]], recipe: FineTuneRecipe,
           progress: Progress) -> dict:
    """Train, export and quantize into staging, keeping only what inference needs; returns measurements."""
    started = time.perf_counter()
    steps = train(weights, staging / "hf", pairs, recipe, progress)
    seconds = time.perf_counter() - started
    progress(TRAINING_DONE, "Exporting the fine-tuned encoder to ONNX")
    exported = export_onnx(staging / "hf", staging / "export")
    progress(0.93, f"Quantizing the fine-tuned encoder ({recipe.preset})")
    quantize(exported, staging / QUANTIZED_NAME, recipe.preset)
    for name in KEPT_FILES:
        if (staging / "export" / name).exists():
            shutil.copy(staging / "export" / name, staging / name)
    for folder in ("export", "hf"):
        shutil.rmtree(staging / folder)
    return {"epochs": recipe.epochs, "steps": steps, "training_seconds": round(seconds, 1)}


def _manifest(staging: Path, name: str, base: Manifest, recipe: FineTuneRecipe, measured: dict) -> Manifest:
    quantized = staging / QUANTIZED_NAME
    return Manifest(
        name=name,
        kind="encoder",
        source=f"{FINE_TUNED_SOURCE}{base.name}",
        source_sha256=base.onnx_sha256,
        onnx_file=quantized.name,
        onnx_sha256=sha256_file(quantized),
        quantization={"preset": recipe.preset, **PRESETS[recipe.preset]},
        size_bytes=quantized.stat().st_size,
        max_length=base.max_length,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        measurements={**measured, "recipe": asdict(recipe)},
    )


def train(weights: Path, out_dir: Path, pairs: list[tuple[str, str]], recipe: FineTuneRecipe,
          progress: Progress = no_progress) -> int:
    """Contrastive fine-tuning of the Hugging Face model in `weights`; saves it to out_dir, returns the steps."""
    from transformers import AutoModel, AutoTokenizer

    texts, label_ids = [text for text, _ in pairs], np.unique([label for _, label in pairs], return_inverse=True)[1]
    rng = np.random.RandomState(recipe.seed)
    batches = [batch for _ in range(recipe.epochs) for batch in epoch_batches(label_ids, recipe.batch_size, rng)]
    with _torch_state(recipe.seed):
        tokenizer, model = AutoTokenizer.from_pretrained(weights), AutoModel.from_pretrained(weights)
        tokenizer.save_pretrained(out_dir)  # now: each call below leaves its truncation and padding in the saved file
        if recipe.freeze_embeddings:
            model.embeddings.requires_grad_(False)
        _optimise(model, lambda batch: _ranking_loss(model, tokenizer, texts, batch, recipe), batches, recipe, progress)
        model.eval().save_pretrained(out_dir)
    return len(batches)


def epoch_batches(label_ids: np.ndarray, batch_size: int, rng: np.random.RandomState) -> list[list[tuple[int, int]]]:
    """One epoch: each example is an anchor once, with a random other example of its label as positive.

    A batch never holds a label twice, since the other anchors of a batch are its negatives. Examples
    alone in their label have no positive and are only ever someone else's negative.
    """
    members = {label: np.flatnonzero(label_ids == label) for label in np.unique(label_ids)}
    pool = [int(i) for i in rng.permutation(len(label_ids)) if len(members[label_ids[i]]) > 1]
    batches = []
    while pool:
        anchors, pool = _distinct_labels(pool, label_ids, batch_size)
        batches.append([(i, int(rng.choice(members[label_ids[i]][members[label_ids[i]] != i]))) for i in anchors])
    return batches


def _distinct_labels(pool: list[int], label_ids: np.ndarray, size: int) -> tuple[list[int], list[int]]:
    """The first anchors of the pool with no label twice (at most `size`), and the ones left for later."""
    seen, chosen, rest = set(), [], []
    for i in pool:
        if label_ids[i] not in seen and len(chosen) < size:
            seen.add(label_ids[i])
            chosen.append(i)
        else:
            rest.append(i)
    return chosen, rest


@contextmanager
def _torch_state(seed: int) -> Iterator[None]:
    """Seeded, on the workbench's thread budget, and leaving torch's global state as it found it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(onnx_threads())  # the same budget as the models' sessions, read the same way
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)


def _optimise(model, loss_of, batches: list, recipe: FineTuneRecipe, progress: Progress) -> None:
    """AdamW with a linear warm-up over the first steps, then a linear decay to zero."""
    import torch

    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=recipe.learning_rate)
    total, warmup = len(batches), max(int(recipe.warmup_share * len(batches)), 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(total - warmup, 1))))
    model.train()
    for step, batch in enumerate(batches, start=1):
        optimizer.zero_grad()
        loss_of(batch).backward()
        optimizer.step()
        schedule.step()
        progress(TRAINING_DONE * step / total, f"Fine-tuning the encoder: step {step} of {total}")


def _ranking_loss(model, tokenizer, texts: list[str], batch: list[tuple[int, int]], recipe: FineTuneRecipe):
    """Each anchor must pick its own positive among the batch's positives, and each positive its anchor."""
    import torch
    import torch.nn.functional as F

    anchors = _embed(model, tokenizer, [texts[i] for i, _ in batch], recipe.max_length)
    positives = _embed(model, tokenizer, [texts[j] for _, j in batch], recipe.max_length)
    scores = anchors @ positives.T * recipe.scale
    target = torch.arange(len(batch))
    return (F.cross_entropy(scores, target) + F.cross_entropy(scores.T, target)) / 2


def _embed(model, tokenizer, texts: list[str], max_length: int):
    """Mean pooling and unit length, as the onnxruntime encoder computes it at inference."""
    import torch.nn.functional as F

    tokens = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    hidden = model(**tokens).last_hidden_state
    mask = tokens["attention_mask"].unsqueeze(-1).float()
    return F.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=-1)
