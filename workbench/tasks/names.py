"""`names` fields: the names a text mentions (people, places, companies, products, titles…), found by the encoder.

Asked for names, the bundled generator copied the text's first word into every field (WNUT-17 entity F1
0.06). Names are written with capitals, so here the candidates are the text's runs of capitalised words
("Box of Crayons", "Taylor Swift": tasks/name_candidates.py); each run is compared in meaning with every names
field of the job (its name and description, and the values its examples give) and goes to the field it is
nearest to, when near enough. Nothing is written by a model, so a name found is always the text's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from workbench.tasks.name_candidates import candidate_names
from workbench.tasks.scoring import normalise

# How near in meaning (cosine, all-MiniLM-L6-v2) a capitalised run must be to a field's description, or to its
# examples' names, to be one of its names. Names sit nearer to other names than to a sentence describing them,
# so each has its own bar; with them a field finds names as well with no example as with a few. Chosen on
# WNUT-17 test rows 100-399 (not the scored first 100): docs/benchmarks.md, "Names fields".
DESCRIPTION_SIMILARITY = 0.2
EXAMPLE_SIMILARITY = 0.35
# Names kept with their vectors during a job (names recur: a 100,000-row job holds far fewer distinct ones).
MAX_KNOWN_NAMES = 50_000
# Examples count by the mean of the two nearest: with two or more, one stray example does not pull names in.
NEAREST = 2


@dataclass(frozen=True)
class NamesField:
    """A names field as the finder sees it: what it is called and described as, and the names its examples give."""

    name: str
    description: str = ""
    examples: tuple[str, ...] = ()

    def described(self) -> str:
        words = self.name.replace("_", " ").replace("-", " ").strip()
        return f"{words}: {self.description.strip()}" if self.description.strip() else words


class NameFinder:
    """Assigns each candidate name of a text to the nearest names field, if it is near enough."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], fields: list[NamesField]):
        self.embed = embed
        self.fields = fields
        self.known: dict[str, np.ndarray] = {}
        self.descriptions = self.vectors([f.described() for f in fields])
        self.examples = [self.vectors(list(f.examples)) if f.examples else None for f in fields]

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Each text's unit vector, read alone. The int8 encoder scales its numbers to each batch it reads, so a
        name read with others comes out a little different (WNUT-17 F1 moved 0.357-0.380 with the batch size):
        alone, a name near a field's bar is answered the same in a try on 5 rows, in the job and in a rerun."""
        return np.stack([self._vector(text) for text in texts])

    def _vector(self, text: str) -> np.ndarray:
        vector = self.known.get(text)
        if vector is None:
            vector = normalise(self.embed([text]))[0]
            if len(self.known) < MAX_KNOWN_NAMES:
                self.known[text] = vector
        return vector

    def find(self, texts: list[str]) -> list[dict[str, list[str]]]:
        """For each text, field name -> the names found for it, in the order the text gives them."""
        candidates = [candidate_names(t) for t in texts]
        unique = list(dict.fromkeys(c for names in candidates for c in names))
        nearest = dict(zip(unique, self._nearest_fields(unique), strict=True))
        return [self._grouped(names, nearest) for names in candidates]

    def _nearest_fields(self, names: list[str]) -> list[tuple[str, float]]:
        """Each name's nearest field, and how far above that field's bar it is (below it when negative)."""
        if not names:
            return []
        margins = self._margins(self.vectors(names))
        return [(self.fields[b].name, float(margins[i, b])) for i, b in enumerate(margins.argmax(axis=1))]

    def _margins(self, vectors: np.ndarray) -> np.ndarray:
        """Name x field: how far above its bar the name is, by the field's description or by its examples."""
        margins = vectors @ self.descriptions.T - DESCRIPTION_SIMILARITY
        for column, examples in enumerate(self.examples):
            if examples is not None:
                nearest = np.sort(vectors @ examples.T, axis=1)[:, -NEAREST:].mean(axis=1)
                margins[:, column] = np.maximum(margins[:, column], nearest - EXAMPLE_SIMILARITY)
        return margins

    def _grouped(self, names: list[str], nearest: dict[str, tuple[str, float]]) -> dict[str, list[str]]:
        found = {f.name: [] for f in self.fields}
        for name in names:
            field, margin = nearest[name]
            if margin >= 0:
                found[field].append(name)
        return found
