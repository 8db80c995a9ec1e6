"""The names a text may mention: its runs of capitalised words ("Box of Crayons", "Mr. Brown", "Marks & Spencer").

Which of them are names of the kind a field wants is decided by meaning (tasks/names.py); this module only says
where names can be. Capitals are the signal, so what is capitalised for another reason is left out: a sentence's
first word (unless the text capitalises it elsewhere too), a line written in capitals, codes with digits, links.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# A word: letters or digits, with inner apostrophes, dots, ampersands and hyphens (O'Neil, U.S, AT&T, Coca-Cola);
# or a lone ampersand, which joins names (Marks & Spencer).
WORD = re.compile(r"[^\W_](?:[\w&'’.-]*[^\W_])?|&")
LINKS = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
POSSESSIVE = re.compile(r"['’]s$")
# Small words that may sit inside a name when a capitalised word follows: Bank of America, University of the West.
JOINERS = {"of", "the", "de", "la", "van", "von", "da", "&"}
# Capitalised words that are not names: a sentence's first word, greetings, pronouns, chat abbreviations.
NOT_NAMES = set("""a an the and or but if so as at by in on of to for from with about into over after before
i i'm i've i'll i'd im you your yours he his him she her hers it its we our us they their them me my mine
this that these those there here what when where who whom whose why how which is are was were be been am
do does did have has had will would can could shall should may might must not no yes ok okay
hi hello hey dear thanks thank please regards best cheers sorry re fwd fw rt lol omg lmao fyi asap ps
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
january february march april june july august september october november december""".split())
# Words after which a dot does not end the sentence, and the name goes on: Mr. Brown, St. Louis, J. K. Rowling.
TITLES = {"mr", "mrs", "ms", "dr", "prof", "st", "mt", "jr", "sr"}
# A colon does not end a sentence: "RT @user: Trump says…", "Re: Invoice 4411". A new line does, unless the line
# before ends with a comma ("Kind regards,\nSarah").
SENTENCE_ENDS = ".!?;|"
SPACES = " \t\u00a0"
QUOTES_OPENING = "\"'“‘(["
MAX_NAME_WORDS = 6
# A line is written in capitals when at least this share of its words (and three or more) are: "URGENT: PLEASE
# REFUND MY ORDER". Its capitals say nothing of names.
SHOUTING_SHARE, SHOUTING_WORDS = 0.6, 3


@dataclass(frozen=True)
class Word:
    start: int
    end: int  # after the word, a possessive 's left out
    text: str
    gap: str  # what stands between the previous word and this one
    capitalised: bool
    starts_sentence: bool
    possessive: bool  # "John's": the name ends here


def candidate_names(text: str) -> list[str]:
    """The text's runs of capitalised words, each once, as the text spells them ("RT @Nazaire: Trump's budget" ->
    Nazaire, Trump). A lone word starting a sentence or line ("Invoice needs our VAT number") may be capitalised
    for that reason alone: it counts only when the text also capitalises it elsewhere ("Klarna… paid with Klarna")."""
    text = LINKS.sub(lambda link: " " * len(link.group()), text)
    runs = _runs(_words(text))
    inside = {run[0].text for run in runs if not run[0].starts_sentence}
    kept = [run for run in runs if len(run) > 1 or not run[0].starts_sentence or run[0].text in inside]
    return list(dict.fromkeys(" ".join(text[run[0].start:run[-1].end].split()) for run in kept))


def _words(text: str) -> list[Word]:
    shouting, line_starts = _shouting_lines(text)
    words, previous = [], None
    for match in WORD.finditer(text):
        spelled = POSSESSIVE.sub("", match.group())
        gap = text[previous.end + (2 if previous.possessive else 0) if previous else 0:match.start()]
        in_capitals = bisect.bisect_right(line_starts, match.start()) - 1 in shouting
        words.append(Word(match.start(), match.start() + len(spelled), spelled, gap, _capitalised(spelled, in_capitals),
                          previous is None or _ends_sentence(previous, gap), spelled != match.group()))
        previous = words[-1]
    return words


def _runs(words: list[Word]) -> list[list[Word]]:
    runs, run = [], []
    for index, word in enumerate(words):
        if run and _goes_on(run, word) and (word.capitalised or _joins(words, index)):
            run.append(word)
            continue
        runs.append(run)
        run = [word] if word.capitalised else []
    return [r for r in [*runs, run] if r]


def _goes_on(run: list[Word], word: Word) -> bool:
    return len(run) < MAX_NAME_WORDS and not run[-1].possessive and _joined(run[-1], word.gap)


def _joins(words: list[Word], index: int) -> bool:
    """A joiner, with a capitalised word after it (past any other joiners): 'of' in Bank of America."""
    if words[index].text.lower() not in JOINERS:
        return False
    following = index + 1
    while following < len(words) and _joined(words[following - 1], words[following].gap):
        if words[following].capitalised:
            return True
        if words[following].text.lower() not in JOINERS:
            return False
        following += 1
    return False


def _joined(previous: Word, gap: str) -> bool:
    """Only spaces between the two words (a dot too after a title or an initial): one name may go on."""
    if _abbreviated(previous) and gap.startswith("."):
        gap = gap[1:]
    return bool(gap) and not gap.strip(SPACES)


def _ends_sentence(previous: Word, gap: str) -> bool:
    if _abbreviated(previous):
        gap = gap.lstrip(".")
    line, new_line, _ = gap.partition("\n")
    opening = line.rstrip(SPACES)[-1:]
    quoted = bool(opening) and opening in QUOTES_OPENING and line[:1] in SPACES  # 'the error "Device not found"'
    return any(mark in line for mark in SENTENCE_ENDS) or quoted or (bool(new_line) and not line.rstrip().endswith(","))


def _abbreviated(word: Word) -> bool:
    return word.text.lower() in TITLES or (len(word.text) == 1 and word.text.isupper())


def _capitalised(word: str, in_capitals: bool) -> bool:
    if not word[0].isupper() or word.lower() in NOT_NAMES or any(c.isdigit() for c in word):
        return False
    return not (in_capitals and word.isupper() and len(word) > 1)


def _shouting_lines(text: str) -> tuple[set[int], list[int]]:
    """The numbers of the lines written in capitals, and where each line starts."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    shouting = set()
    for number, line in enumerate(lines):
        words = [w for w in WORD.findall(line) if any(c.isalpha() for c in w)]
        capitals = sum(1 for w in words if w.isupper() and len(w) > 1)
        if len(words) >= SHOUTING_WORDS and capitals >= SHOUTING_SHARE * len(words):
            shouting.add(number)
    return shouting, starts
