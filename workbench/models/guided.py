"""JSON that follows a JSON Schema, enforced token by token, so the output always parses.

The structure (braces, keys, commas, quotes) is written by us; the model only chooses what it can
legally choose at each point: the characters of a string, the digits of a number, one of an enum's
values, whether an array goes on. Each row has a guide, a coroutine that yields either tokens to feed
(`Feed`) or a set of allowed next tokens (`Choose`, answered with the model's best allowed token).
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

MAX_STRING_TOKENS = 48
MAX_NUMBER_TOKENS = 8
MAX_ITEMS = 8
# A string schema with this key set to true may only spell a piece of the row's own text (`source`).
COPY = "x-copy-from-text"


@dataclass
class Feed:
    ids: list[int]


@dataclass
class Choose:
    allowed: np.ndarray  # bool mask over the vocabulary


Steps = Generator[Feed | Choose, int | None, None]


class Vocabulary:
    """What each token of a generator spells, and the masks JSON values are built from."""

    def __init__(self, generator):
        self.generator = generator
        self.size = generator.tokenizer.get_vocab_size()
        self.texts = [generator.tokenizer.decode([i], skip_special_tokens=False) for i in range(self.size)]
        # Control tokens (<|im_end|> and the like) never appear inside a JSON value.
        self.special = set(generator.tokenizer.get_added_tokens_decoder())
        self._ids: dict[str, np.ndarray] = {}

    def mask(self, predicate) -> np.ndarray:
        return np.array([i not in self.special and bool(t) and predicate(t) for i, t in enumerate(self.texts)])

    def ids_of(self, text: str) -> np.ndarray:
        """The tokens that spell exactly `text`; kept, as guides ask for '"', ']' or ',' at nearly every step
        (a walk over the vocabulary takes ~6 ms). Read-only, so no caller can change the kept mask."""
        if text not in self._ids:
            self._ids[text] = self.mask(lambda t: t == text)
            self._ids[text].flags.writeable = False
        return self._ids[text]

    @cached_property
    def string_body(self) -> np.ndarray:
        return self.mask(lambda t: '"' not in t and "\\" not in t and all(ord(c) >= 32 for c in t))

    @cached_property
    def string_pieces(self) -> dict[str, list[int]]:
        """Token ids by the text they spell, for tokens that may appear inside a JSON string."""
        pieces: dict[str, list[int]] = {}
        for token in np.flatnonzero(self.string_body):
            pieces.setdefault(self.texts[token], []).append(int(token))
        return pieces

    @cached_property
    def longest_piece(self) -> int:
        return max(map(len, self.string_pieces))

    def copy_options(self, source: str, written: str) -> np.ndarray:
        """Tokens that extend `written` to a longer piece of `source` (a copied value cannot be invented);
        a value starts at a word's start, and the closing quote may follow only a word's end."""
        allowed, longest = np.zeros(self.size, dtype=bool), self.longest_piece
        starts = _occurrences(source, written)
        for start in starts:
            rest = source[start + len(written) : start + len(written) + longest]
            for end in range(1, len(rest) + 1):
                allowed[self.string_pieces.get(rest[:end], [])] = True
        if not written or any(_word_edge(source, start + len(written)) for start in starts):
            allowed |= self.ids_of('"')
        return allowed

    @cached_property
    def digits(self) -> np.ndarray:
        return self.mask(str.isdigit) & self.mask(lambda t: t.isascii())

    @cached_property
    def zero_led(self) -> np.ndarray:
        """Digit tokens such as "05" that would give a number a leading zero."""
        return self.digits & self.mask(lambda t: len(t) > 1 and t.startswith("0"))

    @cached_property
    def number_end(self) -> np.ndarray:
        return self.mask(lambda t: t.strip() == "" or t.lstrip()[:1] in (",", "}", "]", "\n"))

    def encode(self, text: str) -> list[int]:
        return self.generator.encode(text)


@dataclass
class JsonGuide:
    """One row's walk through the schema; `tokens` is everything fed so far."""

    schema: dict
    vocab: Vocabulary
    source: str = ""  # the row's text, which strings marked COPY are copied from
    tokens: list[int] = field(default_factory=list)

    def __post_init__(self):
        self._steps: Steps = _value(self.schema, self.vocab, self.source)
        self._action: Feed | Choose | None = next(self._steps)

    @property
    def done(self) -> bool:
        """Whether the value is complete: nothing is left to choose or feed."""
        return self._action is None

    def next(self, logits: np.ndarray) -> list[int] | None:
        """Tokens to append after these logits, or None when the value is complete."""
        while isinstance(self._action, Choose):
            self._action = self._advance(_best(logits, self._action.allowed))
        if self._action is None:
            return None
        ids, self._action = self._action.ids, self._advance(None)
        self.tokens.extend(ids)
        return ids

    def _advance(self, answer: int | None) -> Feed | Choose | None:
        try:
            return self._steps.send(answer)
        except StopIteration:
            return None


def _word_edge(text: str, position: int) -> bool:
    """True between two characters that are not both letters or digits (and at either end)."""
    return position <= 0 or position >= len(text) or not (text[position - 1].isalnum() and text[position].isalnum())


def _occurrences(source: str, written: str) -> list[int]:
    """The places `written` can have been copied from: where source has it, starting at a word's start."""
    if not written:
        return [i for i in range(len(source)) if _word_edge(source, i)]
    found, start = [], source.find(written)
    while start >= 0:
        if _word_edge(source, start):
            found.append(start)
        start = source.find(written, start + 1)
    return found


def _best(logits: np.ndarray, allowed: np.ndarray) -> int:
    masked = np.full(logits.shape[-1], -np.inf, dtype=np.float32)
    size = min(len(allowed), len(masked))
    masked[:size] = np.where(allowed[:size], logits[:size], -np.inf)
    return int(masked.argmax())


def _types(schema: dict) -> list[str]:
    kind = schema.get("type", "string")
    return kind if isinstance(kind, list) else [kind]


def _value(schema: dict, vocab: Vocabulary, source: str = "") -> Steps:
    if "enum" in schema:
        yield from _enum([json.dumps(v) for v in schema["enum"]], vocab)
        return
    kind = next(t for t in _types(schema) if t != "null") if _types(schema) != ["null"] else "null"
    if "null" in _types(schema) and kind != "null":
        chosen = yield Choose(_opener(schema, vocab) | _first_tokens(["null"], vocab))
        if chosen in _first_token_ids(["null"], vocab):
            yield Feed(vocab.encode("null"))
            return
    yield from VALUE_WRITERS[kind](schema, vocab, source)


def _string(schema: dict, vocab: Vocabulary, source: str) -> Steps:
    quote, written = vocab.ids_of('"'), ""
    yield Feed(vocab.encode('"'))
    for _ in range(MAX_STRING_TOKENS):
        allowed = vocab.copy_options(source, written) if schema.get(COPY) else vocab.string_body | quote
        token = yield Choose(allowed if allowed.any() else quote)  # e.g. the text goes on with a '"'
        yield Feed([token])
        if quote[token]:
            return
        written += vocab.texts[token]
    yield Feed(vocab.encode('"'))


def _number(schema: dict, vocab: Vocabulary, _source: str = "") -> Steps:
    text, integer = "", _types(schema)[0] == "integer"
    for _ in range(MAX_NUMBER_TOKENS):
        token = yield Choose(_number_options(text, integer, vocab))
        if vocab.number_end[token] and not vocab.digits[token]:
            break
        text += vocab.texts[token]
        yield Feed([token])
    if not text[-1:].isdigit():  # "" or "-" or "3." would not parse
        yield Feed(vocab.encode("0"))


def _number_options(text: str, integer: bool, vocab: Vocabulary) -> np.ndarray:
    # JSON numbers have no leading zeros: a number starts "0" only alone, and after it only "." or the end.
    digits = text.lstrip("-")
    allowed = np.zeros_like(vocab.digits) if digits == "0" else vocab.digits.copy()
    if not digits:
        allowed &= ~vocab.zero_led
    if not text:
        allowed |= vocab.ids_of("-")
    if text[-1:].isdigit():
        allowed |= vocab.number_end
        if not integer and "." not in text:
            allowed |= vocab.ids_of(".")
    return allowed


def _boolean(_schema: dict, vocab: Vocabulary, _source: str = "") -> Steps:
    yield from _enum(["true", "false"], vocab)


def _null(_schema: dict, vocab: Vocabulary, _source: str = "") -> Steps:
    yield Feed(vocab.encode("null"))


def _enum(literals: list[str], vocab: Vocabulary) -> Steps:
    """Walk the token sequences of the allowed literals, letting the model pick at each fork."""
    sequences, prefix = [vocab.encode(literal) for literal in literals], []
    while True:
        candidates = [s for s in sequences if s[: len(prefix)] == prefix]
        longer = [s for s in candidates if len(s) > len(prefix)]
        if not longer:
            return
        allowed = np.zeros(vocab.size, dtype=bool)
        allowed[[s[len(prefix)] for s in longer]] = True
        if len(longer) < len(candidates):  # one literal ends here: stopping is allowed too
            allowed |= vocab.number_end
        token = yield Choose(allowed)
        if not allowed[token] or token not in {s[len(prefix)] for s in longer}:
            return
        prefix.append(token)
        yield Feed([token])


def _array(schema: dict, vocab: Vocabulary, source: str = "") -> Steps:
    items = schema.get("items", {"type": "string"})
    close, comma = vocab.ids_of("]"), vocab.ids_of(",")
    yield Feed(vocab.encode("["))
    token = yield Choose(_opener(items, vocab) | close)
    for count in range(schema.get("maxItems", MAX_ITEMS)):
        if close[token]:
            break
        yield from _value(items, vocab, source)
        if count + 1 < schema.get("maxItems", MAX_ITEMS):
            token = yield Choose(comma | close)
            if comma[token]:
                yield Feed(vocab.encode(", "))
    yield Feed(vocab.encode("]"))


def _object(schema: dict, vocab: Vocabulary, source: str = "") -> Steps:
    properties = list(schema.get("properties", {}).items())
    yield Feed(vocab.encode("{"))
    for position, (name, sub_schema) in enumerate(properties):
        yield Feed(vocab.encode((", " if position else "") + json.dumps(name) + ": "))
        yield from _value(sub_schema, vocab, source)
    yield Feed(vocab.encode("}"))


def _opener(schema: dict, vocab: Vocabulary) -> np.ndarray:
    """Tokens that can start a value of this schema (used where the model chooses whether one comes)."""
    if "enum" in schema:
        return _first_tokens([json.dumps(v) for v in schema["enum"]], vocab)
    kind = next((t for t in _types(schema) if t != "null"), "null")
    openers = {"string": lambda: _first_tokens(['"'], vocab), "number": lambda: vocab.digits | vocab.ids_of("-"),
               "integer": lambda: vocab.digits | vocab.ids_of("-"), "boolean": lambda: _first_tokens(["true", "false"], vocab),
               "array": lambda: _first_tokens(["["], vocab), "object": lambda: _first_tokens(["{"], vocab),
               "null": lambda: _first_tokens(["null"], vocab)}
    return openers[kind]()


def _first_token_ids(literals: list[str], vocab: Vocabulary) -> set[int]:
    return {vocab.encode(literal)[0] for literal in literals}


def _first_tokens(literals: list[str], vocab: Vocabulary) -> np.ndarray:
    allowed = np.zeros(vocab.size, dtype=bool)
    allowed[list(_first_token_ids(literals, vocab))] = True
    return allowed


VALUE_WRITERS = {"string": _string, "number": _number, "integer": _number, "boolean": _boolean,
                 "array": _array, "object": _object, "null": _null}


def token_budget(schema: dict) -> int:
    """An upper bound of the tokens a value of this schema can take (to check it fits the window)."""
    if "enum" in schema:
        return 2 + max(len(json.dumps(v)) for v in schema["enum"])
    kind = next((t for t in _types(schema) if t != "null"), "null")
    if kind == "object":
        return 2 + sum(8 + len(name) + token_budget(sub) for name, sub in schema.get("properties", {}).items())
    if kind == "array":
        return 2 + schema.get("maxItems", MAX_ITEMS) * (2 + token_budget(schema.get("items", {"type": "string"})))
    return {"string": MAX_STRING_TOKENS + 2, "number": MAX_NUMBER_TOKENS + 1, "integer": MAX_NUMBER_TOKENS + 1}.get(kind, 4)


@dataclass
class GuidedRow:
    text: str | None  # None when the row could not be run
    error: str | None = None


def guided_json(generator, prompts: list[str], schema: dict, sources: list[str] | None = None) -> list[GuidedRow]:
    """The JSON text each prompt's row produced under the schema, in order; strings marked COPY come from
    each row's source text."""
    vocab = generator.vocabulary()
    guides = [JsonGuide(schema, vocab, source) for source in sources or [""] * len(prompts)]
    errors = generator.run_guides(prompts, guides, budget=token_budget(schema))
    return [GuidedRow(None, error) if error else GuidedRow(generator.decode_raw(guide.tokens))
            for guide, error in zip(guides, errors, strict=True)]
