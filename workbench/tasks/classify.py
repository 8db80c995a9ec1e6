"""`classify`: one label per row, zero-shot from label names and descriptions, few-shot from examples."""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workbench.config import get_settings
from workbench.errors import TaskConfigError
from workbench.eval.answers import as_label
from workbench.models.finetune import fine_tune_encoder
from workbench.tasks.base import RowOutput, Task, TaskConfig
from workbench.tasks.long_rows import partly_read_notes
from workbench.tasks.registry import register
from workbench.tasks.scoring import FewShotScorer, ZeroShotScorer, normalise
from workbench.tasks.second_opinion import ASK_BELOW, CHECK_ROWS, SecondOpinion, joined

logger = logging.getLogger(__name__)


class LabelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    description: str = ""

    def prompt_text(self) -> str:
        """What the encoder compares rows with: the name in plain words, then the description."""
        words = self.name.replace("_", " ").replace("-", " ").strip()
        return f"{words}: {self.description.strip()}" if self.description.strip() else words


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    label: str


# BANKING77 has 77 intents and CLINC150 150; 100,000 labels took minutes to import and froze the New job page.
MAX_LABELS = 1_000


class ClassifyConfig(TaskConfig):
    # What a label is called in messages: route's page and users call them queues.
    label_word: ClassVar[str] = "label"
    labels: list[LabelSpec] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    # Rows whose confidence is below it need review. 0.5, as the New job page starts it: a task file without it ran
    # with 0.0, and its job flagged no row at all.
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # Train the encoder on the examples before the job: minutes, once per set of examples, for 1.5-1.75
    # points of accuracy on BANKING77 (docs/benchmarks_finetune.md). Without examples nothing is trained.
    fine_tune: bool = False
    # Several labels per row: every label whose confidence reaches `label_threshold`, best first (the best
    # always). Confidences share 1 across labels, so 0.3 allows at most three labels on a row.
    multi_label: bool = False
    label_threshold: float = Field(default=0.3, gt=0.0, le=1.0)
    # Ask the bundled generator too about the rows the encoder is unsure of (tasks/second_opinion.py): a tenth (short
    # reviews) to a quarter (emails) of a second a row; SST-2 zero-shot 0.66 -> 0.77; TREC question types: no help
    # (its check turns it off).
    second_opinion: bool = False
    # The generator asked (a registered name); None: the bundled one. A bigger model the user added gives the hard
    # rows to it alone, the hybrid set-up of PRODUCT.md §1.
    second_opinion_model: str | None = None

    @field_validator("labels", mode="before")
    @classmethod
    def _names_as_labels(cls, value):
        # A task file may list bare names (labels: [billing, tech_support]), one line "billing, shipping", lines as
        # the New job page takes them ("billing: invoices, refunds", one per line), or "- billing: invoices";
        # YAML reads names such as 2024 as numbers, and they are meant as text.
        if isinstance(value, str):
            value = _labels_from_text(value)
        if not isinstance(value, list | tuple):
            return value  # pydantic says a list is wanted
        # A name inside a list ("- [billing]") is a mistake, not the name "['billing']".
        return [_label_item(v) for v in value]

    @model_validator(mode="after")
    def _model_with_its_switch(self) -> ClassifyConfig:
        if self.second_opinion_model and not self.second_opinion:
            raise ValueError("`second_opinion_model` names the generator of the second opinion: add `second_opinion: "
                             "true`, or remove it")
        return self

    @model_validator(mode="after")
    def _labels_cover_examples(self) -> ClassifyConfig:
        if not self.labels:
            # One label per name whatever its capitals, spelt as first seen.
            first_spelling = {e.label.casefold(): e.label for e in reversed(self.examples)}
            self.labels = [LabelSpec(name=n) for n in dict.fromkeys(first_spelling[e.label.casefold()] for e in self.examples)]
        names, word = [label.name for label in self.labels], self.label_word
        if len(names) < 2:
            raise ValueError(f"give at least two {word}s (or examples of at least two {word}s)")
        if len(set(names)) != len(names):
            raise ValueError(f"each {word} must appear once; repeated: {', '.join(_repeated(names, str))}")
        self.examples = _labels_as_listed(self.examples, names)
        unknown = sorted({e.label for e in self.examples} - set(names))
        if unknown:
            raise ValueError(f"examples use {word}s that are not in the {word} list: {', '.join(unknown)}; add them or "
                             "fix the examples")
        return self


def _labels_as_listed(examples: list[Example], names: list[str]) -> list[Example]:
    """An example labelled "Billing" or "Technical Support" for the label "billing" or "technical_support" (a labels
    column typed by several people) is that label's example, not an unknown label's, as a right answer is."""
    return [e.model_copy(update={"label": as_label(e.label, names)}) for e in examples]


# Generic phrasings (no label-specific wording), averaged into each label's zero-shot vector.
LABEL_PHRASINGS = ("{}", "a customer message about {}", "I have a question about {}", "I need help with {}")
# Below this many texts, a job's own sample is too small to adapt to (e.g. "Try on 5 rows").
MIN_ADAPT_ROWS = 50
# Zero-shot adaptation clusters the job's texts around the labels. With two labels (positive/negative,
# yes/no) the two clusters follow the texts' main topic, which is rarely the label: on SST-2 it took
# accuracy from 0.66 to 0.54, while it adds 10-20 points with 6 and 77 labels (docs/benchmarks.md).
MIN_ZERO_SHOT_ADAPT_LABELS = 3


def check_new_labels(task: str, config: ClassifyConfig) -> None:
    """Labels that differ only in capitals ("billing", "Billing") would split one label's rows in two; a label list of
    thousands is a column of answers, not a choice of labels. New settings only: a stored job still opens."""
    names = [label.name for label in config.labels]
    if len(names) > MAX_LABELS:
        raise TaskConfigError(f"The {task} settings need fixing: give at most {MAX_LABELS:,} {config.label_word}s; "
                              f"these settings have {len(names):,}")
    repeated = _repeated(names, str.casefold)
    if repeated:
        raise TaskConfigError(f"The {task} settings need fixing: each {config.label_word} must appear once, whatever its capitals; "
                              f"repeated: {', '.join(repeated)}")


def _listed(labels: str) -> list[str]:
    """The labels of a multi-label cell ("negative; mixed")."""
    return [part.strip() for part in labels.split(";") if part.strip()]


def _repeated(names: list[str], key) -> list[str]:
    """The names written more than once (by `key`), each spelling once: "finance", not "finance, finance"."""
    keys = [key(name) for name in names]
    return list(dict.fromkeys(name for name, k in zip(names, keys, strict=True) if keys.count(k) > 1))


@register
class ClassifyTask(Task):
    name = "classify"
    title = "Classify"
    description = "Give every row one of your labels, with a confidence score."
    config_model = ClassifyConfig
    config: ClassifyConfig
    scored_answer = "label"

    @classmethod
    def check_new_spec(cls, config: ClassifyConfig, columns: list[str]) -> None:
        check_new_labels(cls.name, config)

    @classmethod
    def check_new_settings_as_written(cls, written: dict) -> None:
        check_labels_as_written(cls.name, written)

    @classmethod
    def output_columns(cls, config: ClassifyConfig) -> list[str]:
        return ["label", "labels", "confidence", "needs_review"] if config.multi_label else \
            ["label", "confidence", "needs_review"]

    @classmethod
    def answer_choices(cls, config: ClassifyConfig) -> dict[str, list[str] | None]:
        # Several labels are written "a; b": any text (a choice list cannot hold every combination).
        return {"label": [label.name for label in config.labels], **({"labels": None} if config.multi_label else {})}

    @classmethod
    def reviewed_answers(cls, config: ClassifyConfig, answers: dict[str, str],
                         model_answers: dict[str, Any] | None = None) -> dict[str, str]:
        """Several labels: each must be a label of the job, and the best label is always among them. A reviewer who
        changed only the best label, to one the model did not list, meant that label alone: the model's other labels
        were its guesses around the answer the reviewer rejected."""
        if not config.multi_label or "labels" not in answers:
            return answers
        names = [label.name for label in config.labels]
        given = _listed(answers["labels"])
        unknown = [part for part in given if part not in names]
        if unknown:
            raise TaskConfigError(f"'{', '.join(unknown)}' is not a label of this job; labels are {', '.join(names)} "
                                  "(several: separate them with ;).")
        best = answers.get("label", given[0] if given else "")
        if best not in given and model_answers and given == _listed(str(model_answers.get("labels") or "")):
            given = []
        return {**answers, "labels": "; ".join(dict.fromkeys([best, *given]))}

    @classmethod
    def generator_of(cls, config: ClassifyConfig, model: str | None) -> str | None:
        return config.second_opinion_model or "default" if config.second_opinion else None

    def setup(self) -> None:
        self.encoder = self.load_encoder(self._encoder_name())
        self.label_names = [label.name for label in self.config.labels]
        self.known_vectors: dict[str, np.ndarray] = {}
        if self._learns_from_examples():
            self.scorer = self._few_shot(self.encoder.embed([label.prompt_text() for label in self.config.labels]))
        else:
            self.scorer = ZeroShotScorer(self._with_examples(self._label_vectors()))
        self.second = SecondOpinion(self.load_generator(self.config.second_opinion_model), self.config.labels) \
            if self.config.second_opinion else None

    def _learns_from_examples(self) -> bool:
        """A logistic regression on the examples, when every label has some. With labels left without examples
        (a few reviewed rows, examples for half the labels) it sends rows to the labels it has examples of: on
        BANKING77 it fell below zero-shot (0.60 against 0.68), so the examples move the labels' own vectors
        instead (0.71; docs/benchmarks.md)."""
        with_examples = {example.label for example in self.config.examples}
        return bool(with_examples) and with_examples >= set(self.label_names)

    def _with_examples(self, label_vectors: np.ndarray) -> np.ndarray:
        """Each label's vector moved halfway to the mean of its examples (unchanged for a label without any). It keeps
        its length: before adapting to a job, scores are dot products, and a longer vector would win more rows."""
        moved = label_vectors.copy()
        if not self.config.examples:
            return moved
        vectors = self.encoder.embed([example.text for example in self.config.examples])  # one call for them all
        labels = np.array([example.label for example in self.config.examples])
        for number, name in enumerate(self.label_names):
            if (labels == name).any():
                direction = normalise(normalise(label_vectors[number]) + vectors[labels == name].mean(axis=0))
                moved[number] = direction * np.linalg.norm(label_vectors[number])
        return moved

    def _encoder_name(self) -> str | None:
        """The chosen model, or its copy fine-tuned on the examples (trained on first use, then reused).

        The fine-tuned copy is loaded through the same loader as any model, so the job records its manifest.
        """
        if not (self.config.fine_tune and self.config.examples):
            return self.model
        examples = [(e.text, e.label) for e in self.config.examples]
        label_names = {label.name: label.prompt_text() for label in self.config.labels}
        return fine_tune_encoder(get_settings(), self.model, examples, label_names, _log_progress).name

    def _label_vectors(self) -> np.ndarray:
        """Each label as the mean of a few phrasings: steadier than the bare name alone."""
        texts = [template.format(label.prompt_text()) for label in self.config.labels for template in LABEL_PHRASINGS]
        vectors = self.encoder.embed(texts).reshape(len(self.config.labels), len(LABEL_PHRASINGS), -1)
        return vectors.mean(axis=1)

    def adapt(self, texts: list[str]) -> None:
        self.notes += partly_read_notes(self.encoder, texts)
        if len(texts) < MIN_ADAPT_ROWS:
            if self.second is not None:
                self.notes.append(f"{len(texts)} rows are too few to check the text generator's second opinion on "
                                  f"(it takes {MIN_ADAPT_ROWS}): it is used, as asked.")
            return
        if self._adapts_zero_shot():
            vectors = self.encoder.embed(texts)
            self.known_vectors = dict(zip(texts, vectors, strict=True))  # the first batches need not embed again
            self.scorer.adapt(vectors)
        if self.second is not None:
            self._check_second_opinion(texts[:CHECK_ROWS])

    def _check_second_opinion(self, sample: list[str]) -> None:
        """Keep the generator's second opinion only if, on the job's own rows, it agrees with the encoder beyond
        chance (tasks/second_opinion.py); the job's notes say which and why."""
        encoder_labels = self.scorer.probabilities(self._embed(sample)).argmax(axis=1)
        useful, note = self.second.check(sample, encoder_labels)
        self.notes.append(note)
        if not useful:
            self.second = None

    def knows(self, texts: list[str]) -> bool:
        # With the generator's second opinion a known row still asks it, which takes time.
        return self.second is None and bool(texts) and all(text in self.known_vectors for text in texts)

    def forget_seen_rows(self) -> None:
        self.known_vectors = {}
        if self.second is not None:
            self.second.forget_checked_rows()

    def _adapts_zero_shot(self) -> bool:
        return self._learns_from_examples() or len(self.label_names) >= MIN_ZERO_SHOT_ADAPT_LABELS

    def _few_shot(self, label_vectors: np.ndarray) -> FewShotScorer:
        # Each label's own text counts as one more example, so a label without examples can still win.
        example_vectors = self.encoder.embed([e.text for e in self.config.examples])
        example_ids = np.array([self.label_names.index(e.label) for e in self.config.examples])
        vectors = np.vstack([example_vectors, label_vectors])
        ids = np.concatenate([example_ids, np.arange(len(self.label_names))])
        return FewShotScorer(vectors, ids, len(self.label_names))

    def run_batch(self, texts: list[str]) -> list[RowOutput]:
        probabilities = self.scorer.probabilities(self._embed(texts))
        if self.second is not None:
            probabilities = self._with_second_opinion(texts, probabilities)
        return [self._row(p) for p in probabilities]

    def _with_second_opinion(self, texts: list[str], probabilities: np.ndarray) -> np.ndarray:
        """The encoder's answer joined with the generator's where the encoder is unsure (a row too long for the
        generator's window keeps the encoder's answer alone)."""
        unsure = [i for i, p in enumerate(probabilities) if p.max() < ASK_BELOW and self.second.fits(texts[i])]
        if not unsure:
            return probabilities
        joined_rows = joined(probabilities[unsure], self.second.probabilities([texts[i] for i in unsure]))
        probabilities = probabilities.copy()
        probabilities[unsure] = joined_rows
        return probabilities

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not all(text in self.known_vectors for text in texts):
            return self.encoder.embed(texts)
        return np.stack([self.known_vectors[text] for text in texts])

    def _row(self, probabilities: np.ndarray) -> RowOutput:
        best = int(probabilities.argmax())
        confidence = round(float(probabilities[best]), 4)
        outputs = {"label": self.label_names[best], "confidence": confidence,
                   "needs_review": confidence < self.config.threshold}
        if self.config.multi_label:
            outputs["labels"] = "; ".join(self._passing_labels(probabilities))
        return RowOutput(outputs=outputs, confidence=confidence)

    def _passing_labels(self, probabilities: np.ndarray) -> list[str]:
        """Every label whose confidence reaches the label threshold, best first; the best always."""
        order = np.argsort(-probabilities)
        return [self.label_names[i] for n, i in enumerate(order) if n == 0 or probabilities[i] >= self.config.label_threshold]


def _log_progress(fraction: float, message: str) -> None:
    logger.info("%s (%d%%)", message, round(100 * fraction))


# A label whose name holds a colon is written between double quotes: `"Tier 1: billing": invoices and charges`.
QUOTED_NAME = re.compile(r'^\s*"([^"]+)"\s*(?::(.*))?$')


def _labels_from_text(text: str) -> list:
    """Labels written as one text: one per line (`name: description`), or names on one line, comma-separated."""
    if "\n" in text.strip():
        return parse_label_lines(text)
    return [name.strip() for name in text.split(",") if name.strip()]


def _label_item(item):
    """A label of a list: a name, `{name: …, description: …}`, or `billing: invoices` (YAML reads it as one pair)."""
    if _one_pair(item):
        ((name, description),) = item.items()
        return {"name": str(name), "description": "" if description is None else str(description)}
    return item if isinstance(item, dict | list) else {"name": str(item)}


def _one_pair(item) -> bool:
    """`- billing: invoices`: a name and its description as YAML's one pair, not `{name: …, description: …}`."""
    return isinstance(item, dict) and len(item) == 1 and not set(item) & set(LabelSpec.model_fields)


def check_labels_as_written(task: str, written: dict) -> None:
    if mistake := label_list_mistake(written.get("labels")):
        raise TaskConfigError(f"The {task} settings need fixing: labels: {mistake}")


def label_list_mistake(labels) -> str | None:
    """How labels as written would be misread, for new settings (a stored job keeps reading them as it did): an empty
    item became the label "None", "a: x, b: y" on one line the labels "a: x" and "b: y"."""
    if isinstance(labels, str) and "\n" not in labels.strip() and ":" in labels:
        return ("a label with a description goes on a line of its own: write `labels: |` and then one "
                "`name: description` per line, or list them as `- {name: billing, description: invoices}`")
    items = labels if isinstance(labels, list | tuple) else []
    empty = next((n for n, item in enumerate(items, 1) if _empty_label(item)), None)
    return None if empty is None else f"label {empty} is empty: remove its `-` line, or write its name"


def _empty_label(item) -> bool:
    name = next(iter(item)) if _one_pair(item) else item.get("name", "") if isinstance(item, dict) else item
    return name is None or (isinstance(name, str) and not name.strip())


def parse_label_lines(text: str) -> list[dict[str, str]]:
    """Labels typed one per line, as `name` or `name: description` (label_line writes them so)."""
    labels = []
    for line in text.splitlines():
        quoted = QUOTED_NAME.match(line)
        name, _, description = (quoted.group(1), "", quoted.group(2) or "") if quoted else line.partition(":")
        if name.strip():
            labels.append({"name": name.strip(), "description": description.strip()})
    return labels


def label_line(name: str, description: str | None) -> str:
    """A label as parse_label_lines reads it back."""
    written = f'"{name}"' if ":" in name else name
    description = re.sub(r"\s*\n\s*", " ", description or "").strip()  # a task file's `description: |` of lines
    return f"{written}: {description}" if description else written
