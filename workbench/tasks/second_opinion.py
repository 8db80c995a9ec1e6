"""The generator's second opinion on a row's label, for the rows the encoder is unsure of (classify).

The generator reads the labels with their descriptions and the row, and each label is scored as its answer
(option scoring: the probability of the label's name as the whole answer). A small generator leans towards
some labels whatever the text says, so what it answers to texts with no content ("N/A", nothing) is divided out
of its answers (contextual calibration); unlike centring on the job's own answers, this assumes nothing about
how the job's rows are spread over the labels. The two opinions are then multiplied, as two independent calibrated
opinions are.

It helped where a sentence encoder is weak: on SST-2 (positive / negative) zero-shot accuracy went from 0.660 to
0.772, while on TREC question types and the sample product reviews (positive / negative / mixed) the generator's
answers agreed with the encoder's no more than chance would, and joining them gained nothing or lost (docs/benchmarks.md,
"Second opinion from the generator"). On the sample support emails it passed the check below and still added
nothing (two rows of 64 lost without examples). So it is the user's choice, off by default, and a job first checks on
its own rows that the two agree beyond chance: if they do not, one of them reads these labels no better than a coin,
and the generator (the weaker reader of most label sets) is not asked. The check keeps it from doing harm there; it
does not tell where it helps.
"""

from __future__ import annotations

import numpy as np

from workbench.errors import TaskConfigError

# Texts with no content: the generator's answers to them measure its lean towards each label.
CONTENT_FREE = ("N/A", "", "[MASK]")
# Rows whose encoder confidence is under this are asked too; the others keep the encoder's answer.
ASK_BELOW = 0.9
# The job's rows the check reads, and how far beyond chance the two must agree on them (Cohen's kappa): SST-2 0.23,
# TREC -0.04, the sample reviews -0.01; on 200 rows a kappa of 0.1 is 1.4 (two labels) to 3 (six) standard errors
# above none.
CHECK_ROWS = 200
MIN_AGREEMENT_BEYOND_CHANCE = 0.1


def label_prompt(labels: list, text: str) -> str:
    """The labels, one per line with their descriptions (on one line each), then the row; the answer is a label's
    name."""
    listing = "\n".join(f"- {label.name}: {' '.join(label.description.split())}" if label.description.strip()
                        else f"- {label.name}" for label in labels)
    return f"Labels:\n{listing}\n\nText: {text}\nLabel:"


class SecondOpinion:
    """The generator's calibrated probabilities of each label, for rows of one job."""

    def __init__(self, generator, labels: list):
        self.generator, self.labels = generator, labels
        self.options = [" " + label.name for label in labels]  # the answer follows "Label:" after a space
        self.longest_answer = max(len(generator.encode(option)) for option in self.options) + 1  # and its end
        # The labels are listed in the user's order and reversed: a small generator favours a label for its place in
        # the list (on SST-2, 0.738 right with "positive" listed first, 0.784 with "negative" first), and the
        # answer should not depend on the order the labels were typed in.
        self.orders = [labels, labels[::-1]]
        if not self.fits(""):
            raise TaskConfigError(f"The labels and their descriptions are too long for the text generator's window "
                                  f"({generator.window:,} tokens): shorten the descriptions, or turn the second "
                                  "opinion off.")
        self.leans = [_log(self._asked(list(CONTENT_FREE), order)).mean(axis=0) for order in self.orders]
        self.checked: dict[str, np.ndarray] = {}  # the check's rows: asked once, their answers kept for the job

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row per text: the generator's probability of each label, its lean divided out."""
        new = [text for text in dict.fromkeys(texts) if text not in self.checked]
        answers = dict(zip(new, self._calibrated(new), strict=True)) if new else {}
        return np.stack([self.checked[text] if text in self.checked else answers[text] for text in texts])

    def check(self, sample: list[str], encoder_labels: np.ndarray) -> tuple[bool, str]:
        """Ask the generator about the job's first rows (its answers are kept for the job) and say whether its labels
        agree with the encoder's (label numbers, one per sample row) beyond chance, with a sentence that says how
        much."""
        rows = [i for i, text in enumerate(sample) if self.fits(text)]
        if not rows:
            return False, "No row the check read fits the text generator's window: the label model answers alone."
        self.checked = dict(zip([sample[i] for i in rows], self._calibrated([sample[i] for i in rows]), strict=True))
        mine = np.array([self.checked[sample[i]].argmax() for i in rows])
        agreement, chance = agreement_and_chance(encoder_labels[rows], mine, len(self.labels))
        useful = chance < 1 and (agreement - chance) / (1 - chance) >= MIN_AGREEMENT_BEYOND_CHANCE  # Cohen's kappa
        return useful, _check_note(len(rows), agreement, chance, useful)

    def forget_checked_rows(self) -> None:
        self.checked = {}

    def _calibrated(self, texts: list[str]) -> np.ndarray:
        """Each order's answers with its lean divided out, joined by their geometric mean."""
        leaned_out = [_log(self._asked(texts, order)) - lean for order, lean in zip(self.orders, self.leans, strict=True)]
        return _normalised(np.exp(np.mean(leaned_out, axis=0)))

    def fits(self, text: str) -> bool:
        """Whether the row, with the labels in either order and the longest answer, fits the generator's window (an
        order can read as a token more or less)."""
        longest = max(len(self.generator.encode(label_prompt(order, text))) for order in self.orders)
        return longest + self.longest_answer <= self.generator.window

    def _asked(self, texts: list[str], order: list) -> np.ndarray:
        """P(label) for each text with the labels listed in this order (columns: the user's order)."""
        return self.generator.option_probabilities([label_prompt(order, text) for text in texts], self.options)


def _check_note(rows: int, agreement: float, chance: float, useful: bool) -> str:
    said = (f"On the file's first {rows:,} rows the text generator gave the label model's answer {agreement:.0%} of "
            f"the time, where chance would give {chance:.0%}")
    if useful:
        return f"{said}: its second opinion is used."
    return f"{said}: it does not read these labels well enough, so the label model answers alone (the second opinion " \
           "is off for this job)."


def agreement_and_chance(first: np.ndarray, second: np.ndarray, labels: int) -> tuple[float, float]:
    """How often two labellings of the same rows agree, and how often they would if each kept its own label counts
    but chose rows at random."""
    if not len(first):
        return 0.0, 1.0
    shares = [(first == label).mean() * (second == label).mean() for label in range(labels)]
    return float((first == second).mean()), float(sum(shares))


def joined(encoder: np.ndarray, generator: np.ndarray) -> np.ndarray:
    """The two opinions multiplied, per row, made to sum to 1 (as two independent, calibrated opinions combine): a
    label both find likely wins, and a row they disagree on ends less sure. Their geometric mean, tried first, picks
    the same labels but was under-confident: on SST-2 a mean confidence of 0.674 for 0.772 right (calibration error
    0.099), against 0.769 (0.018) for the product (docs/benchmarks.md)."""
    return _normalised(encoder * generator)


def _log(probabilities: np.ndarray) -> np.ndarray:
    # A label the generator finds hopeless can round to a probability of 0; its log stays finite, so the mean over
    # orders (and the lean divided out) never meets -inf - -inf.
    return np.log(np.maximum(probabilities, 1e-300))


def _normalised(values: np.ndarray) -> np.ndarray:
    return values / values.sum(axis=1, keepdims=True)
