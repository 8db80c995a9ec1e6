"""`summarize`: a summary of every row in the chosen style, never longer than `max_words`.

A text longer than the model's window, or than the model reads well, is cut into chunks at sentence ends; each chunk
is summarised and the chunk summaries are summarised again, so no part of the text is silently dropped (§4). The model
writes several drafts of each summary and the encoder keeps the one closest in meaning to the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from workbench.io.rows import column_name_labels
from workbench.tasks.amounts import NUMBER, SCALES, as_number
from workbench.tasks.base import RowOutput, TaskConfig, WrittenSettings
from workbench.tasks.generative import (
    BARE_OPENER,
    LABEL,
    QUOTES,
    SENTENCE_CLOSE,
    SENTENCE_MARK,
    WORD_SPAN,
    GenerativeTask,
    capitalised,
)
from workbench.tasks.registry import register
from workbench.tasks.speakers import speakers

STYLE_ASKS = {
    "one_sentence": "Summarize the text above in one sentence.",
    "short": "Summarize the text above in a few short sentences.",
    # Bullets are the sentences of a short summary: asked for a list, the bundled model copied the text itself
    # into its first bullet (34 of 78 lines on 32 sample emails, against 13 of 62 sentences of short summaries).
    "bullets": "Summarize the text above in a few short sentences.",
    "subject_line": "Write a short email subject line for the text above.",
}
# Without it the bundled model describes the text instead of summing it up ("The text conveys a friendly tone…",
# 42-50 of 100 held-out DialogSum rows). It replaces the model's default system prompt. A second sentence, "You
# never describe the text's tone or style.", made things worse: it primed "Tone: Critical Style: …" loops (6 of
# 128 sample-email summaries) and scored lower on held-out DialogSum rows (docs/benchmarks.md).
SUMMARY_SYSTEM = "You summarize texts: you state the facts, who wants what and what happens."
# What is left of that habit is cut from the reply's start: "The email is about a late parcel" -> "A late parcel".
ABOUT_THE_TEXT = re.compile(
    r"^((to summarize|in summary|in short),?\s+)?"
    r"((the|this) (text|email|message|conversation|dialogue|passage|article|review|letter)( above)? "
    r"(is about|is|conveys|describes|discusses|talks about|tells us|highlights|shows|states|says|provides|contains"
    r"|presents|outlines|explains|gives|mentions|notes|reports)( that)?\s+)?", re.I)
# A one-line style ends at the line's end (the model otherwise starts over: "Subject: ...Subject:"), and one
# sentence at its first sentence end: tidy keeps only that, and 22% of the tokens of one-sentence drafts of
# DialogSum came after it. The mark of a sentence stop stays in the reply.
# A sentence ends after ".", "!" or "?" and a space, but not after a title: "Mr. Fox asks" is one sentence (3 in
# 50 DialogSum dialogues and their summaries name someone "Mr.", "Mrs." or "Dr.").
SENTENCE_END = re.compile(rf"(?<={SENTENCE_MARK})\s+")
# The generator's stop at a sentence's end, by the same rule (the mark, then a space).
LINE_END, SENTENCE_STOP = ("\n",), re.compile(SENTENCE_MARK + " ")
STOPS = {"one_sentence": (*LINE_END, SENTENCE_STOP), "subject_line": LINE_END}
ONE_LINE_STYLES = tuple(STOPS)  # every style with stops ends at its line's end
TOKENS_PER_WORD = 2  # generous: the answer is cut by words afterwards, never mid-token by the budget
MAX_ROUNDS = 6
# Words of a piece's summary in a round that is not the last: at the user's 250 or 300 words, one such summary filled a
# piece of READ_WELL_TOKENS alone, the pieces never grew fewer, and 18 of 20 sections of a long text were cut off
# (an ideal fake model, tests/test_summarize.py). At 100, three or more fit in a piece.
PART_WORDS = 100
# A text longer than this is summarised in pieces of at most this many tokens, then the pieces' summaries together,
# even where the window (8,192 tokens for the bundled model) holds it whole: the 135M model reads a long text poorly.
# Four DialogSum dialogues in one cell (~800 tokens), "short" summaries of 60 words, two sets of 20 (rows 200-279,
# 300-379; benchmarks/summarize_long_texts.py, docs/benchmarks.md): ROUGE-L 0.171 -> 0.191 and 0.190 -> 0.208, ROUGE-1 0.253 -> 0.291
# and 0.284 -> 0.314, each dialogue's own summary words recalled more evenly; 1.35x and 2.5x the time. 1,024 tokens
# (one piece for these texts) scored as the whole window did.
READ_WELL_TOKENS = 512
# Four drafts, the encoder keeping the one closest to the text: DialogSum ROUGE-L 0.192 -> 0.243 and
# 0.205 -> 0.236 on two sets of 64 held-out rows, at 0.51-0.58x the rows/s of one draft (docs/benchmarks.md). The greedy
# answer of the 135M model often describes the text ("A humorous exchange...") or drifts from it; another
# opening often does not, and the encoder tells which. Subject lines keep one draft: on 64 sample emails the
# choice was no better and sometimes picked a reply ("I'm sorry for your loss, but...").
DRAFTS = 4
# A draft that shares at least this share of its word triples with the text is a quotation, not a summary.
# Nearest to the text, quotations would win: without this rule 38-42% of the chosen DialogSum drafts' triples
# were copied (greedy: 13-17%), with it 9-11%, for the same ROUGE-L.
QUOTED_SHARE = 0.5
# A sentence of a summary whose word triples were mostly said before in it is a repeat, dropped (without_repeats).
REPEATED_SHARE = 0.6
# DialogSum's speaker tags, "#Person1#": sentences that differ only in who are the same sentence again.
SPEAKER_TAGS = {"person1", "person2", "person3"}
WORD = re.compile(r"\w+")
# Bullets start with "•": a cell starting with "-" is guarded in a CSV download as a formula would be ("'- …").
BULLET = "• "
CUT = "…"  # ends a summary cut at its word limit mid-sentence
# How the bundled model starts a sentence about itself or the task rather than about the text.
SELF_TALK = re.compile(r"^(?:i(?:'ll|'m|'d| will| am| would| can(?:'t|not)?| cannot| apologi[sz]e| hope)\b|here(?:'s| is| are)\b"
                       r"|i(?:'ve| have)? (?:made|removed|added|changed|replaced|rephrased|reworded|rewr(?:ote|itten)|kept"
                       r"|used|included|omitted|corrected|simplified|shortened|condensed|combined|tried|focused)\b"
                       r"|this (?:\w+ )?(?:version|summary|rewrite|revision)\b|a possible (?:rephrasing|rewrite|version|edit)\b"
                       r"|to clarify\b|rephrased\b|as an ai\b|as a (?:text-based|language)|sorry\b|to correct\b"
                       r"|in a sentence, i\b|the (?:text|sentence|message) (?:can|could|should) be\b)", re.I)
# Words by which the model, taking the text for a draft to improve, comments on it or on its rewrite wherever they
# stand in a sentence: "A message of urgency, but it could be rephrased for better clarity and grammar."
ABOUT_THE_WRITING = re.compile(r"\b(?:rephras\w*|reword\w*|(?:rewritten|revised) version|original meaning|more concise"
                               r"|concise and (?:clear|direct)|for (?:better )?clarity|too long for a (?:short )?summary"
                               r"|convey(?:s|ing)? the (?:same )?(?:message|information)|overly complex language"
                               r"|(?:same as|identical to) the original|should read)\b", re.I)
# Lines of a letter the model wrote instead of a summary: its greeting ("Hi Margot,", "Dear Jürgen Müller,"), and its
# sign-off ("Thanks,", "Cheers,", "Best regards,"), after which comes the name signed under it ("Liam").
_HELLO = r"(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|bonjour|hola|hallo|guten tag|ciao|salut|hej)"
GREETING = re.compile(rf"^{_HELLO}\b[^.!?]{{0,40}}[,!]?$", re.I)
# The same greeting at the start of a line that goes on: "Dear Customer Service, I'm sorry for…", "Bonjour, Je…".
# The greeting word stands alone ("Hi-Fi system…" is none), and a sentence starts after it: "Hello Kitty backpack, bought
# in May…" is a summary.
GREETING_BEFORE = re.compile(rf"^{_HELLO}(?=[\s,])[^.!?,\n]{{0,40}},\s+(?=(?-i:[A-ZÀ-ÖØ-Þ]))", re.I)
SIGN_OFF = re.compile(r"^(?:many )?(?:thanks|thank you|cheers|best|regards|best regards|kind regards|sincerely"
                      r"|yours(?: sincerely| truly)?)(?: again| so much| in advance)?\s*[,!]?$", re.I)
# A list of the model's edits follows this: "I made the following changes: • Added "but" to connect the clauses."
EDITS_FOLLOW = re.compile(r"\b(?:following|these) changes\s*:?\s*$|^changes(?: made)?\s*:", re.I)
# A conversation's summary says who does what: its drafts open with its speakers' names as the text writes them
# ("Agent", "#Person1#"), and the model goes on from there. Left to itself the bundled model quoted a turn
# ("#Person1#: I'm starving.") or described the exchange ("A humorous scene where…"): DialogSum ROUGE-L 0.233 ->
# 0.291 on the scored rows, above lead-3's 0.243 (docs/benchmarks.md). Every opening is read, and the `drafts` the model
# finds likeliest after the text go on (models/openings.py): in a fixed order "Agent asks for a refund" was written
# as often as "Customer asks"; the model, having read the chat, mostly knows who asked.
CONVERSATION_OPENINGS = ("{a} and {b}", "{a} asks", "{b} asks", "{a} wants", "{b} wants", "{a} tells", "{b} tells")


class SummaryStyle(WrittenSettings):
    style: Literal["one_sentence", "short", "bullets", "subject_line"] = "short"
    max_words: int = Field(default=40, ge=3, le=300)
    # Summaries the model drafts per text, each opening differently; the one closest in meaning to the text is
    # kept. 1 is the plain greedy answer, fastest. Unset: 1 for subject lines, DRAFTS for the other styles.
    drafts: int | None = Field(default=None, ge=1, le=8)

    @model_validator(mode="after")
    def _drafts_for_the_style(self) -> SummaryStyle:
        if self.drafts is None:
            self.drafts = default_drafts(self.style)
        return self


def default_drafts(style: str) -> int:
    return 1 if style == "subject_line" else DRAFTS


class SummarizeConfig(TaskConfig):
    summary: SummaryStyle = SummaryStyle()


@register
class SummarizeTask(GenerativeTask):
    name = "summarize"
    title = "Summarize"
    description = "A one-sentence, short, bullet-point or subject-line summary of every row."
    config_model = SummarizeConfig

    @classmethod
    def output_columns(cls, config: SummarizeConfig) -> list[str]:
        return ["summary"]

    def run_batch(self, texts: list[str]) -> list[RowOutput]:
        voices = [speakers(text) for text in texts]  # read before chunking, which joins a chunk's lines
        chunked = [self.chunks(text) for text in texts]
        flat = [(chunk, said) for chunks, said in zip(chunked, voices, strict=True) for chunk in chunks]
        partial = iter(self.summaries([c for c, _ in flat], [said for _, said in flat]) if flat else [])
        combined = [self.combine([next(partial) for _ in chunks], said) for chunks, said in zip(chunked, voices, strict=True)]
        return [RowOutput({"summary": summary}) for summary in combined]

    def combine(self, parts: list[str], voices: list[str]) -> str:
        """One summary per text: a text cut into chunks gets a summary of its chunks' summaries, in rounds until they
        fit one chunk; each round but the last asks for summaries of at most PART_WORDS, so that the chunks grow
        fewer."""
        for _ in range(MAX_ROUNDS):
            if len(parts) <= 1:
                break
            chunks = self.chunks("\n".join(parts))
            with self._words_at_most(PART_WORDS if len(chunks) > 1 else self.config.summary.max_words):
                parts = self.summaries(chunks, [voices] * len(chunks))
        # Pieces still left after the last round (a text of some 40,000 words) are joined and cut to the word limit.
        return within_words("\n".join(parts), self.config.summary.max_words)

    @contextmanager
    def _words_at_most(self, words: int) -> Iterator[None]:
        """The summaries asked for within this block have at most `words` words (and the user's limit)."""
        chosen = self.config.summary
        self.config.summary = chosen.model_copy(update={"max_words": min(words, chosen.max_words)})
        try:
            yield
        finally:
            self.config.summary = chosen

    def setup(self) -> None:
        super().setup()
        # The encoder compares each draft with its text; with a single draft there is nothing to choose.
        self.encoder = self.load_encoder(None) if self.config.summary.drafts > 1 else None

    def summaries(self, texts: list[str], voices: list[list[str]]) -> list[str]:
        """A summary of each text; `voices` are each text's speakers when it is a conversation."""
        style = self.config.summary
        # The text comes first and the request last: the small bundled model follows a request it has just read
        # (ROUGE-L 0.198 -> 0.211 on 50 DialogSum rows kept apart from the benchmark's, docs/benchmarks.md).
        prompts = [self.prompt(t) for t in texts]
        stop = STOPS.get(style.style, ())
        budget = style.max_words * TOKENS_PER_WORD + 8
        openings = [self.openings(v) for v in voices]
        drafts = without_quoted_turns(self.alternative_replies(prompts, style.drafts, budget, stop, openings), openings)
        shaped = [[self.shaped(d) for d in row] for row in drafts]
        chosen = self.closest(texts, shaped) if self.encoder is not None else [row[0] for row in shaped]
        return self.asked_again_if_empty(prompts, chosen, budget, stop, [bool(own) for own in openings])

    def openings(self, voices: list[str]) -> list[str]:
        """How a conversation's drafts may open (none for other texts, and for subject lines); the generator goes
        on from the `drafts` the model finds likeliest."""
        if len(voices) < 2 or self.config.summary.style == "subject_line":
            return []
        return [opening.format(a=voices[0], b=voices[1]) for opening in CONVERSATION_OPENINGS]

    def asked_again_if_empty(self, prompts: list[str], chosen: list[str], budget: int, stop: tuple[str, ...],
                             opened: list[bool]) -> list[str]:
        """Rows left without a summary are asked again plainly, with no opening and at most the line's end as a
        stop, when that asks something new: a reply that opened with chatter ("Sure! Here is…") stopped at its
        "!", or every draft of a conversation went on as a quoted turn or ended with its opening."""
        plain_stop = tuple(s for s in stop if s in LINE_END)
        empty = [i for i, summary in enumerate(chosen) if not summary and (opened[i] or plain_stop != stop)]
        again = self.replies([prompts[i] for i in empty], budget, plain_stop) if empty else []
        for i, reply in zip(empty, again, strict=True):
            chosen[i] = self.shaped(reply)
        return self._other_drafts_if_empty(prompts, chosen, budget, stop)

    def _other_drafts_if_empty(self, prompts: list[str], chosen: list[str], budget: int, stop: tuple[str, ...]) -> list[str]:
        """With a single draft, rows still without a summary get DRAFTS others, and the first that tidying leaves
        something of: one greedy reply all about itself ("To clarify, the text suggests…") left 5 of 40 sample emails
        blank, with nothing said. (With DRAFTS or more, these were asked already.)"""
        empty = [i for i, summary in enumerate(chosen) if not summary]
        if not empty or self.config.summary.drafts >= DRAFTS:
            return chosen
        for i, own in zip(empty, self.alternative_replies([prompts[i] for i in empty], DRAFTS, budget, stop), strict=True):
            chosen[i] = next((summary for summary in map(self.shaped, own) if summary), "")
        return chosen

    def shaped(self, reply: str) -> str:
        return tidy(self.unlabelled(reply), self.config.summary)

    def closest(self, texts: list[str], drafts: list[list[str]]) -> list[str]:
        """Per text, the draft whose embedding is nearest to the text's; a draft cut at the word limit comes after the
        whole ones (8 of 30 one-sentence summaries of 20 words ended in "…" where a whole draft was at hand), one that
        writes a number the text does not after those, one that quotes the text after every other, and an empty one
        last (ties: the earlier draft)."""
        if not texts:
            return []
        owners = [row for row, own in enumerate(drafts) for _ in own]
        flat = [draft for own in drafts for draft in own]
        similarity = self.nearness(texts, drafts)
        similarity -= 3 * np.array([self.quotes(d, texts[row]) for d, row in zip(flat, owners, strict=True)])
        similarity -= 2 * np.array([invents_numbers(d, texts[row]) for d, row in zip(flat, owners, strict=True)])
        similarity -= np.array([d.endswith(CUT) for d in flat])  # a whole draft within the limit reads better
        similarity[np.array([not d for d in flat])] = -np.inf
        ends = np.cumsum([len(own) for own in drafts])
        return [own[int(np.argmax(similarity[end - len(own) : end]))] for own, end in zip(drafts, ends, strict=True)]

    # The bundled encoder's 8-bit activations share one scale over all the texts embedded together, so a text's
    # embedding moved with the rows batched beside it (1 - cosine 0.008 on average) and a row's chosen draft with
    # --limit or a retry. Embedded alone (a text; a row's drafts together) a row's summary depends on the row alone.
    def nearness(self, texts: list[str], drafts: list[list[str]]) -> np.ndarray:
        """Each draft's cosine with its own text, the rows' drafts one after the other."""
        owners = [row for row, own in enumerate(drafts) for _ in own]
        return np.einsum("dk,dk->d", self._each_rows_own(drafts), self._each_alone(texts)[owners])

    def _each_alone(self, texts: list[str]) -> np.ndarray:
        return np.concatenate([self.encoder.embed([text]) for text in texts])

    def _each_rows_own(self, drafts: list[list[str]]) -> np.ndarray:
        return np.concatenate([self.encoder.embed([d or " " for d in own]) for own in drafts])

    def quotes(self, draft: str, text: str) -> bool:
        """Whether the draft copies the text (its column names aside) more than it sums it up, or is one of its
        columns copied whole: a copied row cut at its second column left "Price list", the email's subject, too
        short to have word triples."""
        labels = self._column_labels
        columns = [_squashed(value) for value in labels.split(text)] if labels else []
        return quoted_share(draft, labels.sub(" ", text) if labels else text) >= QUOTED_SHARE \
            or _squashed(draft) in columns

    def unlabelled(self, reply: str) -> str:
        """The reply without the column names the model copied from the row ("Slow pages Body: Your pages…").

        A one-line summary ends where a later column's name begins: what follows is that column, copied."""
        labels = self._column_labels
        if labels is None:
            return reply
        reply = labels.sub("", reply.strip(), count=1) if labels.match(reply.strip()) else reply.strip()
        if self.config.summary.style in ONE_LINE_STYLES:
            return labels.split(reply, maxsplit=1)[0].strip()
        return _joined_as_sentences(labels.split(reply))

    @cached_property
    def _column_labels(self):
        return column_name_labels(self.text_columns)

    @cached_property
    def _tokens_around_text(self) -> int:
        """The prompt's own tokens (system prompt, request, chat markup); + 8: a piece's edges may tokenize
        differently inside it."""
        return len(self.generator.encode(self.prompt(""))) + 8

    def prompt(self, text: str) -> str:
        style = self.config.summary
        return self.chat(f"Text:\n{text}\n\n{STYLE_ASKS[style.style]} Use at most {style.max_words} words.",
                         system=SUMMARY_SYSTEM)

    def chunks(self, text: str) -> list[str]:
        """The text in pieces of at most READ_WELL_TOKENS, each fitting the window with the prompt and the answer."""
        room = self.generator.window - self._tokens_around_text - self.config.summary.max_words * TOKENS_PER_WORD - 8
        return split_to_fit(text, min(room, READ_WELL_TOKENS), lambda piece: len(self.generator.encode(piece)))


def _joined_as_sentences(pieces: list[str]) -> str:
    """The pieces between column labels, with a sentence's end where one has none ("Thank you to the delivery team
    The delivery guys…" ran the Subject into the Body where "Body: " was taken out)."""
    joined = ""
    for piece in (p.strip() for p in pieces):
        if piece:
            joined += piece if not joined else (" " if joined[-1] in ".!?:;," else ". ") + piece
    return joined


def split_to_fit(text: str, room: int, count_tokens) -> list[str]:
    """Sentences packed greedily into chunks of at most `room` tokens; an over-long sentence is cut by words."""
    chunks, current = [], ""
    for piece in _pieces(text, room, count_tokens):
        joined = f"{current} {piece}".strip()
        if current and count_tokens(joined) > room:
            chunks.append(current)
            joined = piece
        current = joined
    return chunks + [current] if current or not chunks else chunks


def _pieces(text: str, room: int, count_tokens):
    for sentence in SENTENCE_END.split(text.strip()):
        yield from _fitting(sentence.split(), room, count_tokens)


def _fitting(words: list[str], room: int, count_tokens):
    """The words in as few halvings as it takes for each piece to fit: a 'word' of junk can be many tokens."""
    piece = " ".join(words)
    if len(words) <= 1 or count_tokens(piece) <= room:
        yield piece
        return
    middle = len(words) // 2
    yield from _fitting(words[:middle], room, count_tokens)
    yield from _fitting(words[middle:], room, count_tokens)


def tidy(reply: str, style: SummaryStyle) -> str:
    """The reply in the chosen style's shape, without an opening about the text itself, cut to max_words."""
    if BARE_OPENER.fullmatch(reply):  # "Sure" cut at its "!" by one sentence's stop: nothing was summed up yet
        return ""
    reply = capitalised(ABOUT_THE_TEXT.sub("", GREETING_BEFORE.sub("", reply.strip(), count=1), count=1))
    if style.style == "bullets":
        lines = [sentence for line in reply.splitlines()
                 for sentence in SENTENCE_END.split(LABEL.sub("", _unmarked(line), count=1))]  # "• Summary: The…"
        kept = _whole_lines_within(_new_sentences(_without_self_talk([x for x in lines if x])), style.max_words)
        return "\n".join(f"{BULLET}{line}" for line in kept)
    if style.style == "subject_line":  # one line, and the model sometimes starts over with "Subject:"
        first = next((line for line in reply.splitlines() if line.strip()), "")
        return subject_within(re.split(r"\s+subject( line)?:", first, flags=re.I)[0].strip().rstrip("."), style.max_words)
    flat = " ".join(_without_letter_frame(reply).split())
    if style.style == "one_sentence":  # the first sentence about the text
        flat = next(iter(_without_self_talk(SENTENCE_END.split(flat))), "")
    elif style.style == "short":
        flat = " ".join(_without_self_talk(SENTENCE_END.split(flat)))
    return within_words(without_repeats(flat), style.max_words)


def _without_letter_frame(reply: str) -> str:
    """The reply without a letter's greeting line ("Hi Margot,") and what follows its sign-off ("Thanks,\nLiam"): read
    after the lines were joined, "Hi Margot, The parcel…" was no greeting and "Thanks, Liam" no sign-off."""
    kept = []
    for line in reply.splitlines():
        if GREETING.match(line.strip()):
            continue
        sentences = SENTENCE_END.split(line.strip())
        signed = next((n for n, sentence in enumerate(sentences) if SIGN_OFF.match(sentence)), None)
        if signed is not None:
            kept.append(" ".join(sentences[:signed]))
            break
        kept.append(line)
    return "\n".join(kept)


def without_repeats(text: str) -> str:
    """The text without sentences that say again what an earlier one said: the bundled model loops on long inputs
    ("Ann is told to pay the bill. Bob is told to pay the bill. Ann is told to pay the bill.")."""
    return " ".join(_new_sentences(SENTENCE_END.split(text)))


def _new_sentences(sentences: list[str]) -> list[str]:
    """Each sentence unless most of its word triples (the speakers' names aside) were in the sentences kept."""
    kept, seen = [], set()
    for sentence in sentences:
        triples = _triples([w for w in WORD.findall(sentence.lower()) if w not in SPEAKER_TAGS])
        if not triples or len(triples & seen) < REPEATED_SHARE * len(triples):
            kept.append(sentence)
            seen |= triples
    return kept


def within_words(text: str, limit: int) -> str:
    """The text, if over `limit` words, cut at the end of its last whole sentence within them (the line breaks kept);
    a first sentence longer than the limit is cut at the limit and ends in "…", so it does not read as whole."""
    words = list(WORD_SPAN.finditer(text))
    if len(words) <= limit:
        return text.strip()
    kept = text[: words[limit - 1].end()]
    ends = list(SENTENCE_CLOSE.finditer(kept))
    return kept[: ends[-1].end()].strip() if ends else f"{kept.strip()}{CUT}"


# Where a subject line over its word limit may end: before a colon's or a dash's second part, a comma, a bracket.
SUBJECT_BREAK = re.compile(r"\s*(?::(?=\s)|\s[-–—]\s|,(?=\s)|;(?=\s)|\s\()")  # not inside "$1,299.00" nor "10:30"
# Words a subject line cut short must not end on: "Refund of delivery charge for" reads as broken.
DANGLING = re.compile(r"(?:\s+(?:a|an|the|of|for|to|and|or|with|in|on|at|by|from|about|my|your|our))+$", re.I)


def subject_within(subject: str, limit: int) -> str:
    """A subject line within `limit` words: over it, cut where a part of it ends ("Refund request: …" -> "Refund
    request") or before its last phrase ("… for order 77"), never on a dangling "for"; only where neither is found, at
    the limit with "…". Cut at the limit alone, 10 of 23 test subject lines read as broken ("…charge for 3…")."""
    words = list(WORD_SPAN.finditer(subject))
    if len(words) <= limit:
        return subject.strip()
    kept = subject[: words[limit - 1].end()]
    parts = [b.start() for b in SUBJECT_BREAK.finditer(kept) if len(kept[: b.start()].split()) >= 3]
    if parts:
        return _without_dangling(kept[: parts[-1]])
    # Or before its last phrase: "…a missing invoice for order 77" -> "…a missing invoice", keeping half the words
    # at least: "Refund for my broken lamp" was cut to "Refund", "Delete my account request" to "Delete".
    phrases = [_without_dangling(kept[: w.start()]) for w in words[limit // 2: limit] if DANGLING.fullmatch(" " + w.group())]
    phrases = [phrase for phrase in phrases if len(phrase.split()) >= max(2, (limit + 1) // 2)]
    return phrases[-1] if phrases else f"{_without_dangling(kept).rstrip(' ,;:-–—')}{CUT}"  # not "Error code E-204:…"


def _without_dangling(kept: str) -> str:
    return DANGLING.sub("", kept.rstrip(" ,;:-–—")).strip()


def without_quoted_turns(drafts: list[list[str]], openings: list[list[str]]) -> list[list[str]]:
    """A conversation's drafts, with those that went on as a turn ("Ann and Bob: You're late.") or stopped after
    their opening made empty: neither is a summary (after "{a} and {b}" the bundled model sometimes quotes)."""
    return [[_unless_a_turn(d, own) for d in row] for row, own in zip(drafts, openings, strict=True)]


def _unless_a_turn(draft: str, openings: list[str]) -> str:
    """The draft, or nothing when it is a quoted turn or its opening alone ("Agent asks")."""
    rest = next((draft[len(o):].strip() for o in openings if draft.startswith(o)), None)
    return "" if rest is not None and (not rest.rstrip(".!?") or rest.startswith(":")) else draft


NUMBER_WORDS = {word: value for value, words in enumerate((
    "zero", "one first", "two second", "three third", "four fourth", "five fifth", "six sixth", "seven seventh",
    "eight eighth", "nine ninth", "ten tenth", "eleven eleventh", "twelve twelfth", "thirteen", "fourteen", "fifteen",
    "sixteen", "seventeen", "eighteen", "nineteen", "twenty twentieth")) for word in words.split()}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                     "hundred": 100, "thousand": 1000, "million": 1e6, "dozen": 12, "half": 0.5})
_SCALED = re.compile(r"\s?([km])\b", re.I)
DIGITS = re.compile(r"\d+")


def invents_numbers(draft: str, text: str) -> bool:
    """Whether the draft writes a number the text does not: the bundled model adds years, totals and times ("In 2022…
    a total of 100,000 US dollars") to 4 of 23 test summaries. Numbers are compared by value, as the text may write
    them otherwise: "1,000" for 1000, "05/03/2024" for 5 March 2024, "twenty" for 20, "10am" for 10:00, "$1.5k" for
    1,500."""
    known = _values_in(text)
    return any(as_number(match.group()) not in known for match in NUMBER.finditer(draft))


def _values_in(text: str) -> set[float]:
    """Every number the text writes, in digits (each digit group too, and scaled: "1.5k") or in words."""
    values = set()
    for match in NUMBER.finditer(text):
        value = as_number(match.group())
        values |= {float(g) for g in DIGITS.findall(match.group())}
        if value is not None:
            scale = _SCALED.match(text, match.end())
            values |= {value, value * SCALES[scale.group(1).lower()] if scale else value}
    words = {w.lower() for w in WORD.findall(text)}
    return values | {float(NUMBER_WORDS[w]) for w in words if w in NUMBER_WORDS} | {0.0}  # "10:00" for "10am"


def quoted_share(draft: str, text: str) -> float:
    """The share of the draft's word triples that are in the text too (0 for a draft under three words)."""
    draft_triples = _triples(WORD.findall(draft.lower()))
    if not draft_triples:
        return 0.0
    return len(draft_triples & _triples(WORD.findall(text.lower()))) / len(draft_triples)


def _squashed(text: str) -> str:
    """The words of a text alone, lower case: "Price list." and "price  list" are one."""
    return " ".join(WORD.findall(text.lower()))


def _triples(words: list[str]) -> set[tuple[str, ...]]:
    return set(zip(words, words[1:], words[2:], strict=False))


def _unmarked(line: str) -> str:
    return re.sub(r"^\s*([-*•]|\d+[.)])\s*", "", line).strip()


def _whole_lines_within(lines: list[str], limit: int) -> list[str]:
    """The lines while they fit in `limit` words together (a bullet cut mid-sentence read as broken); a first line
    longer than the limit alone, cut and ended with "…"."""
    kept, used = [], 0
    for line in lines:
        count = len(line.split())
        if used + count > limit:
            return kept or [within_words(line, limit)]
        kept.append(line)
        used += count
    return kept


def _without_self_talk(sentences: list[str]) -> list[str]:
    """The sentences that sum up the text, not the model speaking of itself or the task ("I'll provide a rewritten
    version…", "Here's a revised version:", "As a text-based AI…"): bullets and short summaries of the sample emails
    had them. What follows a colon in such a sentence ("Here's a revised version: The pages are slow.") is kept."""
    kept = []
    for sentence in sentences:
        if EDITS_FOLLOW.search(sentence) or SIGN_OFF.match(sentence):
            break  # what follows lists the model's edits, or signs a letter: not the text's content
        if SELF_TALK.match(sentence):  # 'I'll just rephrase it to: "Please refund the purchase."'
            sentence = sentence.partition(":")[2].strip().strip(QUOTES).strip()
        sentence = capitalised(ABOUT_THE_TEXT.sub("", sentence, count=1))  # "To summarize, the text states that …"
        if sentence and not ABOUT_THE_WRITING.search(sentence) and not GREETING.match(sentence):
            kept.append(sentence)
    return kept
