"""`names` fields: the names a text mentions (people, places, companies, products, titles…), found by the encoder.

Asked for names, the bundled generator copied the text's first word into every field (WNUT-17 entity F1
0.06). Names are written with capitals, so here the candidates are the text's runs of capitalised words
("Box of Crayons", "Taylor Swift"); each run is compared in meaning with every names field of the job (its
name and description, and the values its examples give) and goes to the field it is nearest to, when near
enough. Nothing is written by a model, so a name found is always the text's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from workbench.tasks.scoring import normalise

# A word: letters or digits, with inner apostrophes, dots, ampersands and hyphens (O'Neil, U.S., AT&T, Coca-Cola).
WORD = re.compile(r"[^\W_](?:[\w&'’.-]*[^\W_])?")
# Small words that may sit inside a name when a capitalised word follows: Bank of America, Game of Thrones.
JOINERS = {"of", "the", "de", "la", "van", "von", "da", "&"}
# Capitalised words that are not names: a sentence's first word, greetings, pronouns, chat abbreviations.
NOT_NAMES = set("""a an the and or but if so as at by in on of to for from with about into over after before
i i'm i've i'll i'd im you your yours he his him she her hers it its we our us they their them me my mine
this that these those there here what when where who whom whose why how which is are was were be been am
do does did have has had will would can could shall should may might must not no yes ok okay
hi hello hey dear thanks thank please regards best cheers sorry re fwd fw rt lol omg lmao fyi asap ps
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
january february march april june july august september october november december""".split())
MAX_NAME_WORDS = 6
# What may stand between a sentence's end and its first word: spaces, quotes, brackets, bullets. A colon does
# not end one: "RT @user: Trump says…", "Re: Invoice 4411".
OPENING = " \t\"'“‘(#@*-–—>"
SENTENCE_ENDS = ".!?;|\n"
POSSESSIVE = re.compile(r"['’]s$")
# How near in meaning (cosine, all-MiniLM-L6-v2) a capitalised run must be to a field's description, or to its
# examples' names, to be one of its names. Names sit nearer to other names than to a sentence describing them,
# so each has its own bar; with them a field finds names as well with no example as with a few. Chosen on
# WNUT-17 test rows 100-399 (not the scored first 100): docs/benchmarks.md, "Names fields".
DESCRIPTION_SIMILARITY = 0.2
EXAMPLE_SIMILARITY = 0.35
# Examples count by the mean of the two nearest: one stray example does not pull names in.
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


def candidate_names(text: str) -> list[str]:
    """The text's runs of capitalised words, in order, each once ("RT @Nazaire: Trump's budget" -> Nazaire, Trump).

    A lone word that starts a sentence or a line ("Invoice needs our VAT number") may be capitalised for that
    reason alone: it counts only when the text also capitalises it elsewhere ("Klarna reminders… paid with Klarna").
    """
    runs = _capitalised_runs(text)
    inside = {words[0] for start, words in runs if not _starts_sentence(text, start)}
    kept = (" ".join(words) for start, words in runs if len(words) > 1 or not _starts_sentence(text, start)
            or words[0] in inside)
    return list(dict.fromkeys(kept))


def _capitalised_runs(text: str) -> list[tuple[int, list[str]]]:
    """(where it starts, its words) for every run of capitalised words."""
    runs, start, run, previous_end = [], 0, [], None
    for match in WORD.finditer(text):
        word = POSSESSIVE.sub("", match.group())
        follows = bool(run) and previous_end is not None and _blank(text[previous_end:match.start()])
        if follows and len(run) < MAX_NAME_WORDS and _continues_name(word, text, match.end()):
            run.append(word)
        else:
            runs.append((start, run))
            start, run = match.start(), [word] if _capitalised(word) else []
        previous_end = match.end() if word == match.group() else None  # a possessive ends the name
    return [(start, words) for start, words in [*runs, (start, run)] if words]


def _starts_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(OPENING)
    return not before or before[-1] in SENTENCE_ENDS


def _blank(gap: str) -> bool:
    """Spaces only: a name does not run across punctuation or onto the next line (a column's value or a signature)."""
    return bool(gap) and not gap.strip(" \t\u00a0")


def _continues_name(word: str, text: str, end: int) -> bool:
    return _capitalised(word) or (word.lower() in JOINERS and _capitalised_next(text, end))


def _capitalised(word: str) -> bool:
    return word[0].isupper() and word.lower() not in NOT_NAMES


def _capitalised_next(text: str, end: int) -> bool:
    following = WORD.search(text, end)
    return bool(following) and _blank(text[end:following.start()]) and _capitalised(following.group())


class NameFinder:
    """Assigns each candidate name of a text to the nearest names field, if it is near enough."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], fields: list[NamesField]):
        self.embed = embed
        self.fields = fields
        self.descriptions = normalise(embed([f.described() for f in fields]))
        self.examples = [normalise(embed(list(f.examples))) if f.examples else None for f in fields]

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
        margins = self._margins(normalise(self.embed(names)))
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
