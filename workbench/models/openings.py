"""Answers that must start with given words, and of a prompt's several openings only the likeliest going on.

A prompt can be given more openings than answers are wanted ("Agent asks", "Customer asks", ...). When its
rows join a batch, all its openings are read in one call after the prompt, the model's log-probability of each
summed, and only the `keep` likeliest go on (written as the answers' first tokens); the model, having read the
text, knows better than a fixed order which speaker asks and which tells.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np


class Openings:
    def __init__(self, tokens: list[list[int]], prompts: list[int], keep: int):
        """`tokens` and `prompts`: per answer row, the tokens it must start with ([] for none) and the prompt it
        answers; `keep`: how many of one prompt's answers go on past their openings."""
        self.tokens, self.keep = tokens, keep
        self.scores = np.zeros(len(tokens))
        self._prompt_of = prompts
        self._rows_of: dict[int, list[int]] = defaultdict(list)
        for row, prompt in enumerate(prompts):
            self._rows_of[prompt].append(row)
        self._went_on: Counter[int] = Counter()
        self.dropped: set[int] = set()

    @classmethod
    def none(cls, rows: int) -> Openings:
        return cls([[] for _ in range(rows)], list(range(rows)), keep=1)

    def choose(self, rows: list[int]) -> list[int]:
        """Of these rows, just scored, the indices of those that go on: each prompt's likeliest, `keep` of them in
        all (a prompt too long for a batch to hold `keep` rows is read in parts); the others are dropped."""
        chosen = []
        for prompt in dict.fromkeys(self._prompt_of[row] for row in rows):
            present = [i for i, row in enumerate(rows) if self._prompt_of[row] == prompt]
            room = max(0, self.keep - self._went_on[prompt])
            best = sorted(present, key=lambda i: -self.scores[rows[i]])[:room]
            self._went_on[prompt] += len(best)
            self.dropped.update(rows[i] for i in present if i not in best)
            chosen += best
        return sorted(chosen)

    def places(self, rows: list[int]) -> int:
        """Places in a batch these rows take: a prompt's answers past `keep` take none, as all but `keep` of its
        openings are dropped as soon as they are read."""
        return sum(min(count, self.keep) for count in Counter(self._prompt_of[row] for row in rows).values())

    def kept(self) -> list[list[int]]:
        """Per prompt, its answer rows that went on, likeliest opening first (rows without openings: as given), at
        most `keep` (a prompt too long to read keeps all its rows unread: the first `keep` of them stand for it)."""
        return [sorted((r for r in members if r not in self.dropped), key=lambda r: -self.scores[r])[: self.keep]
                for _, members in sorted(self._rows_of.items())]
