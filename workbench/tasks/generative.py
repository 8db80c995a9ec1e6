"""What the generative templates share: the generator, a chat prompt, and tidying the model's reply."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from workbench.errors import RowsFailed, TaskConfigError
from workbench.tasks.base import Task
from workbench.tasks.fields import MONTH_NAMES
from workbench.tasks.name_candidates import TITLES

if TYPE_CHECKING:
    from workbench.models.stops import Stops

# Openers small chat models put before the answer; they are chatter, not content: "Sure! ", "Okay, ", "Here is the
# summary:". Only the opener goes, never the words after it: "Here is the invoice." is a translation's first sentence,
# and a reply of just "OK" is an answer (the whole line went, leaving nothing).
# Asked to translate, it opens in the target language: "Bien sûr ! Voici la traduction :", "Claro, aquí está:".
_OPENER = r"(?:sure|certainly|of course|okay|ok|bien sûr|d'accord|claro|por supuesto|natürlich|gerne|certo)"
_HERE_IS = r"(?:here is|here's|here are|voici|voilà|aquí (?:está|tienes|tiene)|hier (?:ist|sind)|ecco)\b[^:\n]*:"
CHATTER = re.compile(rf"^\s*(?:{_OPENER}\s*(?:[,!.]\s*(?:{_HERE_IS})?|:)|{_HERE_IS})\s*", re.I)
# A reply that is nothing but an opener: an answer where one was asked for ("Reply OK if…"), never a summary.
BARE_OPENER = re.compile(rf"\s*{_OPENER}\s*[,!.:]?\s*", re.I)
# A label before the answer: "Summary:", and the bundled model's "Sentence:", "Text:", "A:" (as in Q and A).
LABEL = re.compile(r"^\s*(subject( line)?|summary|answer|output|sentence|(original )?text|response|a)\s*:\s*", re.I)
QUOTES = "\"'“”‘’`"
# A sentence ends after ".", "!" or "?", but not after a title: "Mr. Fox asks" is one sentence (3 in 50 DialogSum
# dialogues and their summaries name someone "Mr.", "Mrs." or "Dr.").
SENTENCE_MARK = "".join(rf"(?<!\b{title.capitalize()})" for title in sorted(TITLES)) + "[.!?]"
SENTENCE_CLOSE = re.compile(rf"{SENTENCE_MARK}(?=\s|$)")
# Where a reply cut short may end: a sentence mark before what starts another (a capital, a list's item, an emoji) or
# at the reply's end; not before a lowercase word or a number, nor after "no." or "e.g." ("order no. 77"), a day before
# its month ("am 12. März") or a list's number ("\n3.").
_NOT_AN_END = "".join(rf"(?<!\b{re.escape(word)})" for word in ("no", "No", "nr", "Nr", "e.g", "i.e", "vs", "ca", "approx"))
_MONTHS = "|".join(sorted((name for names in MONTH_NAMES for name in names), key=len, reverse=True))
SENTENCE_BEFORE_MORE = re.compile(rf"{_NOT_AN_END}{SENTENCE_MARK}(?<!\n\d\.)(?<!\n\d\d\.)(?!(?<=\d\.)\s+(?i:{_MONTHS})\b)"
                                  rf"(?=\s+[^a-zß-öø-ÿ0-9\s]|\s*\n\s*(?:\d+[.)]|[-*•])|$)")


# A Markdown code block, "```json\n{…}\n```", or its opening alone where the reply was cut short: the marks are no
# answer, and stripped as quotes they left "json" as the answer's first word.
CODE_FENCE = re.compile(r"```(?:[\w+-]*[ \t]*\n)?(?P<code>.*?)(?:\n?[ \t]*```|$)", re.S)


def clean_reply(text: str) -> str:
    """The answer without 'Sure! Here is...:', 'Summary:' labels, code block marks or wrapping quotes, and JSON without
    the words after it; a reply that is nothing else ("OK.") stays as it is."""
    text = CODE_FENCE.sub(lambda m: m["code"], text).strip()
    unopened = CHATTER.sub("", text, count=1).strip()
    if unopened and unopened != text:
        text = capitalised(unopened)
    text = LABEL.sub("", text, count=1).strip() or text
    return without_loop(_json_alone(text.strip(QUOTES).strip()))


def _json_alone(text: str) -> str:
    """A reply that opens with a JSON object (or a list of them) is that JSON: the words after it ("This JSON object
    holds the customer's…") are about the answer, not part of it, and spoil it for whoever reads the column as JSON."""
    if not text.startswith(("{", "[")):
        return text
    try:
        value, end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return text
    is_objects = isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value))
    return text[:end] if is_objects else text


WORD_SPAN = re.compile(r"\S+")
# A small model that loops repeats a span of words back to back: "A German-German: A German-German: …", "I'm sorry for
# the error, but I'm sorry for the error, but". Five words or more twice, two to four words three times (a refrain
# said twice, "let it be, let it be", and a word said twice are left).
LOOPING = (*((length, 3) for length in range(2, 5)), *((length, 2) for length in range(5, 21)))


def _wordy(span: list[str]) -> bool:
    """A span that could be a loop: two words or more with letters or digits, no table's bars ("| --- | --- |")."""
    return len([w for w in span if any(c.isalnum() for c in w)]) >= 2 and "|" not in span


def without_loop(text: str) -> str:
    """The text up to where it starts repeating itself word for word, ended at its last whole sentence there (or with
    "…" where it has none); a text that does not loop, as it is."""
    words = list(WORD_SPAN.finditer(text))
    plain = [w.group().lower() for w in words]
    for start in range(len(words)):
        for length, times in LOOPING:
            span = plain[start:start + length]
            if len(span) == length and _wordy(span) and all(plain[start + n * length:start + (n + 1) * length] == span for n in range(times)):
                return ended_at_a_sentence(text[: words[start + length - 1].end()])
    return text


def ended_at_a_sentence(text: str) -> str:
    """A text cut mid-way, back to its last real sentence end, or marked with "…" where it has none."""
    ends = list(SENTENCE_BEFORE_MORE.finditer(text))
    return text[: ends[-1].end()] if ends else f"{text.rstrip(' ,;:')}…"


def capitalised(text: str) -> str:
    """A sentence whose opener was taken off ("Okay, the customer wants a refund.") starts as a sentence; "iPhone"
    and "eBay" stay as written."""
    return text[:1].upper() + text[1:] if text[:1].islower() and not text[1:2].isupper() else text


class GenerativeTask(Task):
    """A template that asks the generator one question per row."""

    # Rows per call: the generator sorts them by length and keeps a rolling batch of 16 busy; more rows per
    # call means less padding and fewer half-empty batches, and a progress update every ~20 s.
    batch_size = 64
    # A full batch takes a minute or more on two cores; 16 rows (the generator's own batch) take a quarter of it.
    first_batch_size = 16
    # 64 emails of ~500 characters take a minute and a half; 9 texts of 3,000 to 20,000 characters, all in the first
    # batch, took 928 s with no row shown (the first batch holds 8,000 characters, about 80 s of a long text).
    batch_chars = 32_000
    max_new_tokens = 64
    model_kind = "generator"

    def setup(self) -> None:
        self.generator = self.load_generator(self.model)

    def chat(self, instruction: str, system: str | None = None) -> str:
        return self.generator.chat.prompt(instruction, system=system)

    def replies(self, prompts: list[str], max_new_tokens: int, stop: Stops = (), one_per_row: bool = False) -> list[str]:
        """The cleaned reply to each prompt; a prompt that cannot be answered fails the batch with its reason.

        The runner then retries the batch row by row, so only that row fails, with the reason shown; `one_per_row`
        (the prompts are the batch's rows, in order): it fails those rows alone and answers the others together.
        """
        generations = self.generator.generate(prompts, max_new_tokens=max_new_tokens, stop=stop)
        if one_per_row:
            failed_rows(generations)
        return [_finished(g) for g in _answered(generations)]

    def alternative_replies(self, prompts: list[str], count: int, max_new_tokens: int, stop: Stops = (),
                            openings: list[list[str]] | None = None) -> list[list[str]]:
        """`count` cleaned replies to each prompt, each starting differently, or one per opening where a prompt has
        openings (generator.generate_alternatives)."""
        alternatives = self.generator.generate_alternatives(prompts, count, max_new_tokens=max_new_tokens, stop=stop,
                                                            openings=openings)
        return [[_finished(g) for g in _answered(replies)] for replies in alternatives]


def _finished(generation) -> str:
    """The cleaned reply; one that ran out of new tokens ends at its last whole sentence, or with "…" where it has
    none: numbers and emoji take several tokens a word, and "Total: $13" of a $131.22 total read as finished. Cleaned
    first, so that "Sure! Here is…:" is not taken for the sentence to end at."""
    reply = clean_reply(_ended(generation))
    if not generation.cut_short or reply.endswith("…"):  # a loop already cut ends in "…" or a whole sentence
        return reply
    return ended_at_a_sentence(reply)


def _ended(generation) -> str:
    """The text with the mark of the stop string it ended at, if any: ". " ends a sentence with its full stop. Never
    half an emoji's bytes (a multi-byte character cut by the budget decodes as U+FFFD)."""
    return (generation.text + (generation.stop_string or "").rstrip()).rstrip("\ufffd")


def failed_rows(generations: list) -> None:
    """Raise RowsFailed for the generations (one per row of the batch) that have an error."""
    errors = {position: g.error for position, g in enumerate(generations) if g.error}
    if errors:
        raise RowsFailed(errors)


def _answered(generations: list) -> list:
    failed = next((g.error for g in generations if g.error), None)
    if failed:
        raise TaskConfigError(failed)
    return generations
