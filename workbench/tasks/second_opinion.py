"""The generator's second opinion on a row's label, for the rows the encoder is unsure of (classify).

The generator reads the labels with their descriptions and the row, and each label is scored as its answer
(option scoring: the probability of the label's name as the whole answer). A small generator leans towards
some labels whatever the text says, so what it answers to texts with no content ("N/A", nothing) is divided out
of its answers (contextual calibration); unlike centring on the job's own answers, this assumes nothing about
how the job's rows are spread over the labels. The two opinions are then joined as a geometric mean.

It helps where a sentence encoder is weak: on SST-2 (positive / negative) zero-shot accuracy went from 0.660 to
0.75, while on TREC question types the generator's opinion is close to chance (docs/benchmarks.md, "Second
opinion from the generator"); so it is the user's choice, off by default.
"""

from __future__ import annotations

import numpy as np

# Texts with no content: the generator's answers to them measure its lean towards each label.
CONTENT_FREE = ("N/A", "", "[MASK]")
# Rows whose encoder confidence is under this are asked too; the others keep the encoder's answer.
ASK_BELOW = 0.9


def label_prompt(labels: list, text: str) -> str:
    """The labels, one per line with their descriptions, then the row; the answer is a label's name."""
    listing = "\n".join(f"- {label.name}: {label.description}" if label.description.strip() else f"- {label.name}"
                        for label in labels)
    return f"Labels:\n{listing}\n\nText: {text}\nLabel:"


class SecondOpinion:
    """The generator's calibrated probabilities of each label, for rows of one job."""

    def __init__(self, generator, labels: list):
        self.generator, self.labels = generator, labels
        self.options = [" " + label.name for label in labels]  # the answer follows "Label:" after a space
        self.lean = np.log(self._asked(list(CONTENT_FREE))).mean(axis=0)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row per text: the generator's probability of each label, its lean divided out."""
        return _normalised(np.exp(np.log(self._asked(texts)) - self.lean))

    def fits(self, text: str) -> bool:
        """Whether the row, with the labels and the longest answer, fits the generator's window."""
        longest_answer = max(len(self.generator.encode(option)) for option in self.options) + 1
        return len(self.generator.encode(label_prompt(self.labels, text))) + longest_answer <= self.generator.window

    def _asked(self, texts: list[str]) -> np.ndarray:
        return self.generator.option_probabilities([label_prompt(self.labels, text) for text in texts], self.options)


def joined(encoder: np.ndarray, generator: np.ndarray) -> np.ndarray:
    """The two opinions' geometric mean, per row, made to sum to 1: a label both find likely wins, and a row they
    disagree on ends less sure than either alone."""
    return _normalised(np.sqrt(encoder * generator))


def _normalised(values: np.ndarray) -> np.ndarray:
    return values / values.sum(axis=1, keepdims=True)
