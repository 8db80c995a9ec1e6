"""Whether a number the generator copied reads as its own field.

Told to copy a field's value from the text, the bundled 135M generator copies some number of the text when the
text has none for the field: a price ("the full €119") or a count ("been 35 days") as an order number. The encoder
reads the number with one word on each side and compares that with each written field's name and description; a
number that reads nearer another field's than its own is dropped. There is no threshold to tune: on the 64 sample
emails the order number's precision went from 0.34 to 0.75 with every right one kept, and a second number field
that nothing was chosen on (how long the customer waited) from 0.21 to 0.50, the same right ones kept
(docs/benchmarks.md, "Numbers that read as another field"). Text and money fields are not checked: for them the
encoder ranked junk above right values, and money already needs its currency beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from workbench.tasks.fields import FieldSpec
from workbench.tasks.scoring import normalise

CONTEXT_WORDS = 1  # on each side: wider contexts let the sentence's topic outweigh the number's own words


class FieldFit:
    """The written fields' descriptions, each read alone (the int8 encoder scales its numbers to the batch it reads,
    and a number's context is read alone too, so the same row is judged the same in a try and in a job)."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], fields: list[FieldSpec]):
        self.embed = embed
        self.names = [field.name for field in fields]
        self.vectors = np.stack([self._vector(described(field)) for field in fields])

    def nearer_field(self, field_name: str, context: str) -> str | None:
        """The other field whose description `context` reads at least as near as its own field's; None when its own
        is nearest."""
        similarity = self.vectors @ self._vector(context)
        own = similarity[self.names.index(field_name)]
        rivals = [(score, name) for name, score in zip(self.names, similarity, strict=True) if name != field_name]
        best, name = max(rivals)
        return name if best >= own else None

    def _vector(self, text: str) -> np.ndarray:
        return normalise(self.embed([text]))[0]


def described(field: FieldSpec) -> str:
    """"order number: the order or invoice number": the field as the encoder reads it."""
    words = field.name.replace("_", " ").replace("-", " ").strip()
    description = (field.description or "").strip()
    return f"{words}: {description}" if description else words


def context_of(text: str, start: int, end: int, words: int = CONTEXT_WORDS) -> str:
    """The whitespace-separated word(s) holding text[start:end], with `words` words on each side: "been 35 days,"."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    before = text[:start].split()[-words:] if words else []
    return " ".join([*before, *text[start:end].split(), *text[end:].split()[:words]])
