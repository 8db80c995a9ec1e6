"""`route`: send every row to one of your queues, or to a fallback queue when none fits.

A queue usually gathers several kinds of request (a "banking" queue takes transfers, card freezes,
bill payments...), so a queue is not one point in embedding space but several. Each queue is scored
by its nearest prototype: its examples, its name, and each comma-separated phrase of its
description. A row whose nearest prototype is far from all of them matches no queue and goes to the
fallback; how far is "far" is learnt from the examples alone (how close each example is to the
others), unless the user sets it. On CLINC150's 10 departments the nearest prototype picked the right
department for 87% of in-scope rows, against 75% for the classify template (a logistic regression)
on the same queues and examples (docs/benchmarks.md). Adapting to the job's own rows (self-training)
was measured and left out: it moved in-scope accuracy and out-of-scope recall against each other,
never both up. Fine-tuning the encoder on the examples did not help either (same page), so route
refuses `fine_tune`.
"""

from __future__ import annotations

import re
from typing import ClassVar

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from workbench.errors import TaskConfigError
from workbench.tasks.base import RowOutput, Task
from workbench.tasks.classify import ClassifyConfig, LabelSpec, check_labels_as_written, check_new_labels
from workbench.tasks.long_rows import partly_read_notes
from workbench.tasks.registry import register
from workbench.tasks.scoring import softmax

# With no examples to learn from, rows less similar than this to every prototype match no queue.
DEFAULT_MIN_SIMILARITY = 0.3
# The fallback cut-off is this quantile of the examples' similarity to their nearest other prototype.
EXAMPLE_QUANTILE = 0.05
TEMPERATURE = 0.05  # queue scores are cosines; this spreads them into probabilities
SAME_ROW = 0.9999
NEAREST_QUEUE = "nearest_queue"  # of a row sent to the fallback queue  # cosine similarity of a text with itself, give or take rounding


class RouteConfig(ClassifyConfig):
    label_word: ClassVar[str] = "queue"
    fallback: str = "Other"
    # 0.0, as the New job page starts it: only rows that match no queue go to the fallback (PRODUCT.md §4 sends every
    # row under the threshold there, so a higher default would empty the queues of every row the model is unsure of).
    threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    # Below this cosine similarity to every prototype a row goes to the fallback; None: from the examples.
    min_similarity: float | None = Field(default=None, ge=-1.0, le=1.0)
    # Optional priority by rules the user can read and check: level -> words or phrases, first match wins
    # ({"high": ["urgent", "outage"], "low": ["newsletter"]}); rows matching none get default_priority.
    # Rules, not a model: urgency is the team's own policy, and a rule never guesses.
    priority: dict[str, list[str]] = Field(default_factory=dict)
    default_priority: str = "normal"

    @field_validator("priority", mode="before")
    @classmethod
    def _phrases_as_lists(cls, value):
        # A task file may give a level's phrases on one line: `high: urgent, asap, outage`.
        if not isinstance(value, dict):
            return value
        return {str(k): [p.strip() for p in v.split(",")] if isinstance(v, str) else v for k, v in value.items()}

    @field_validator("priority")
    @classmethod
    def _levels_have_words(cls, priority: dict[str, list[str]]) -> dict[str, list[str]]:
        empty = [level for level, phrases in priority.items() if not any(p.strip() for p in phrases)]
        if empty:
            raise ValueError(f"the priority level '{empty[0]}' lists no words; write it as `{empty[0]}: word, phrase`")
        return priority

    @field_validator("fine_tune")
    @classmethod
    def _no_fine_tuning(cls, value: bool) -> bool:
        if value:
            raise ValueError("fine-tuning is available for classify only; remove `fine_tune` from the route task")
        return value

    @field_validator("multi_label", "label_threshold")
    @classmethod
    def _one_queue_a_row(cls, value, info: ValidationInfo):
        # Settings of classify's it took on: a route task with `multi_label: true` was accepted and gave one queue.
        if value != cls.model_fields[info.field_name].default:
            raise ValueError(f"a row goes to one queue; `{info.field_name}` is for classify's label sets: remove it "
                             "from the route task")
        return value

    @field_validator("second_opinion", "second_opinion_model")
    @classmethod
    def _no_second_opinion(cls, value, info: ValidationInfo):
        if value:
            raise ValueError(f"the generator's second opinion is available for classify only; remove `{info.field_name}` "
                             "from the route task")
        return value


@register
class RouteTask(Task):
    name = "route"
    title = "Route"
    description = "Send every row to one of your queues, or to a fallback queue when none fits."
    config_model = RouteConfig
    config: RouteConfig
    scored_answer = "queue"

    @classmethod
    def check_new_spec(cls, config: RouteConfig, columns: list[str]) -> None:
        check_new_labels(cls.name, config)
        if not config.fallback.strip():  # its rows got an empty queue cell
            raise TaskConfigError("The route settings need fixing: fallback: name the queue for rows that fit no "
                                  "queue, e.g. `fallback: Other`")
        # Rows sent there for fitting no queue would be counted, charted and scored as that queue's.
        if config.fallback.casefold() in {label.name.casefold() for label in config.labels}:
            other = "Unmatched" if config.fallback.casefold() == "other" else "Other"
            raise TaskConfigError(f"The route settings need fixing: the fallback queue '{config.fallback}' is also one "
                                  f"of your queues; give the fallback another name (e.g. {other})")

    @classmethod
    def check_new_settings_as_written(cls, written: dict) -> None:
        check_labels_as_written(cls.name, written)

    @classmethod
    def output_columns(cls, config: RouteConfig) -> list[str]:
        return ["queue", "confidence", "needs_review", *(["priority"] if config.priority else [])]

    @classmethod
    def answer_choices(cls, config: RouteConfig) -> dict[str, list[str] | None]:
        choices = {"queue": [*(label.name for label in config.labels), config.fallback]}
        if config.priority:
            choices["priority"] = list(dict.fromkeys([*config.priority, config.default_priority]))
        return choices

    def setup(self) -> None:
        self.encoder = self.load_encoder(self.model)
        self.queues = [label.name for label in self.config.labels]
        texts, ids = self._prototype_texts()
        self.prototypes, self.prototype_ids = self.encoder.embed(texts), np.array(ids)
        self.min_similarity = self._min_similarity()
        self.priority_rules = {level: _phrase_pattern(phrases) for level, phrases in self.config.priority.items()}

    def adapt(self, texts: list[str]) -> None:
        self.notes += partly_read_notes(self.encoder, texts)

    def _prototype_texts(self) -> tuple[list[str], list[int]]:
        texts, ids = [], []
        for number, label in enumerate(self.config.labels):
            for text in _label_phrases(label):
                texts.append(text)
                ids.append(number)
        for example in self.config.examples:
            texts.append(example.text)
            ids.append(self.queues.index(example.label))
        return texts, ids

    def _min_similarity(self) -> float:
        if self.config.min_similarity is not None:
            return self.config.min_similarity
        examples = len(self.config.examples)
        if examples < 2:
            return DEFAULT_MIN_SIMILARITY
        similarities = self.prototypes[-examples:] @ self.prototypes.T  # the examples are the last prototypes
        similarities[similarities > SAME_ROW] = -1.0  # each example's nearest other prototype, not itself
        return float(np.quantile(similarities.max(axis=1), EXAMPLE_QUANTILE))

    def _queue_scores(self, vectors: np.ndarray) -> np.ndarray:
        """Each row's similarity to each queue's nearest prototype."""
        similarities = vectors @ self.prototypes.T
        return np.stack([similarities[:, self.prototype_ids == q].max(axis=1) for q in range(len(self.queues))], axis=1)

    def run_batch(self, texts: list[str]) -> list[RowOutput]:
        scores = self._queue_scores(self.encoder.embed(texts))
        rows = [self._row(row) for row in scores]
        if self.priority_rules:
            for row, text in zip(rows, texts, strict=True):
                row.outputs["priority"] = self._priority(text)
        return rows

    def _priority(self, text: str) -> str:
        """The first level, in the order given, with a word or phrase in the text."""
        return next((level for level, pattern in self.priority_rules.items() if pattern.search(text)),
                    self.config.default_priority)

    def _row(self, scores: np.ndarray) -> RowOutput:
        best = int(scores.argmax())
        confidence = round(float(softmax(scores[None] / TEMPERATURE)[0, best]), 4)
        matches = scores[best] >= self.min_similarity and confidence >= self.config.threshold
        queue = self.queues[best] if matches else self.config.fallback
        outputs = {"queue": queue, "confidence": confidence, "needs_review": not matches}
        if not matches:  # kept with the answer, not a column: the review card names it ("Other · 0.77" read as sure)
            outputs[NEAREST_QUEUE] = self.queues[best]
        return RowOutput(outputs=outputs, confidence=confidence)


def _label_phrases(label: LabelSpec) -> list[str]:
    """The queue's name, and each phrase of its description ("transfers, card freezes, bills")."""
    phrases = [label.prompt_text()]
    parts = [part.strip() for part in label.description.replace(";", ",").split(",") if part.strip()]
    return phrases + parts if len(parts) > 1 else phrases


def _phrase_pattern(phrases: list[str]) -> re.Pattern:
    """Any of the phrases as whole words, whatever the case ("urgent" matches "URGENT:", not "urgently")."""
    never = r"(?!x)x"  # a level listed without phrases matches no row
    alternatives = "|".join(re.escape(p.strip()) for p in phrases if p.strip()) or never
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def parse_priority_lines(text: str) -> dict[str, list[str]]:
    """Priority levels typed one per line, `level: words or phrases, comma-separated`. A line without its level or
    its words is refused, saying how to write it: such lines were left out without a word."""
    priority = {}
    for line in filter(str.strip, text.splitlines()):
        level, colon, words = line.partition(":")
        phrases = [w.strip() for w in words.split(",") if w.strip()]
        if not colon or not level.strip() or not phrases:
            raise TaskConfigError(f"The priority line '{line.strip()}' needs a level, a colon and its words, e.g. "
                                  "`high: urgent, asap`.")
        # A level on two lines has the words of both (the first line's were dropped without a word).
        priority[level.strip()] = [*priority.get(level.strip(), []), *phrases]
    return priority
