"""Answers that must start with given words, and of a prompt's several openings only the likeliest going on.

A prompt can be given more openings than answers are wanted ("Agent asks", "Customer asks", ...): every opening
is written as the answer's first tokens, which costs a few decoding steps, and the model's log-probability of
each is summed on the way. Once all of a prompt's openings are written, only the `keep` likeliest are continued;
the model, having read the text, knows better than a fixed order which speaker asks and which tells.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


class Openings:
    def __init__(self, tokens: list[list[int]], prompts: list[int], keep: int):
        """`tokens` and `prompts`: per answer row, the tokens it must start with ([] for none) and the prompt it
        answers; `keep`: how many of one prompt's answers go on past their openings."""
        self.tokens, self.keep = tokens, keep
        self.scores = np.zeros(len(tokens))
        self.dropped: set[int] = set()
        self._rows_of: dict[int, list[int]] = defaultdict(list)
        for row, prompt in enumerate(prompts):
            self._rows_of[prompt].append(row)
        self._prompt_of = prompts
        self._decided: set[int] = set()

    @classmethod
    def none(cls, rows: int) -> Openings:
        return cls([[] for _ in range(rows)], list(range(rows)), keep=1)

    def forced(self, row: int, written: int) -> int | None:
        """The token the row must write next, if it is still writing its opening."""
        opening = self.tokens[row]
        return opening[written] if written < len(opening) else None

    def opened(self, row: int, written: int) -> bool:
        return written >= len(self.tokens[row])

    def drop_unlikely(self, rows: list[int], written: list[int]) -> None:
        """Of each prompt among `rows` whose answers have all written their openings (`written`: tokens per answer
        row), mark all but the `keep` likeliest as dropped."""
        for prompt in {self._prompt_of[row] for row in rows} - self._decided:
            members = self._rows_of[prompt]
            if len(members) <= self.keep or not all(self.opened(r, written[r]) for r in members):
                continue
            self._decided.add(prompt)
            self.dropped.update(sorted(members, key=lambda r: -self.scores[r])[self.keep :])

    def kept(self) -> list[list[int]]:
        """Per prompt, its answer rows that went on, likeliest opening first (rows without openings: as given)."""
        return [sorted((r for r in members if r not in self.dropped), key=lambda r: -self.scores[r])
                for _, members in sorted(self._rows_of.items())]
