"""Extraction fields: the JSON Schema each type is generated under, and the check and tidy of each value.

A value is kept only if it is well formed for its type and, for the types copied from the text
(text, email, phone, list items), actually appears in the text: a small model that cannot find a
value tends to invent a plausible one, and an invented value is worse than an empty cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Literal, NamedTuple

from dateutil import parser as dateparser
from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator

from workbench.models.guided import COPY
from workbench.tasks.amounts import (
    NUMBER,
    as_amount,
    as_number,
    first_number,
    money_at,
    money_in,
    money_text,
    number_at,
    numbers_in,
    places,
)

FieldType = Literal["text", "number", "money", "date", "email", "phone", "choice", "list", "names"]
# Strings are not nullable: the bundled model answers null for nearly everything when it may, and a
# value it makes up instead is caught by the in-the-text check, so asking for a string loses nothing.
STRING = {"type": "string"}
# Text, emails, phone numbers, amounts of money and list items are copied from the row: the guide lets the
# model spell only pieces of the row's own text, so it cannot write a placeholder or an example's value
# instead (written freely, the example's "£20" came back on every sample email; copied, 10 of 11 amounts). Numbers
# too: written freely, the example's order number 5531 came back on every sample email.
COPIED = {"type": "string", COPY: True}
COPIED_TYPES = ("text", "email", "phone", "money", "number")
# Types whose value is several items, written in a cell as "Ann; Bob".
LIST_TYPES = ("list", "names")
MAX_LIST_ITEMS = 5
# An address as texts write it: letters, digits and . _ + - ' before the @ (ann.o'neil@x.ie).
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL = re.compile(rf"^{ADDRESS.pattern}$")
# Months as English, French, German, Dutch, Spanish and Italian texts write them: dateutil reads English alone, and
# "4 mars 2025" was no date (its right value dropped). Short forms that are also English words ("ago", "set") are not
# months here.
MONTH_NAMES = (
    ("january", "jan", "janvier", "janv", "januar", "jänner", "januari", "enero", "gennaio"),
    ("february", "feb", "février", "fevrier", "févr", "fév", "februar", "februari", "febrero", "febbraio"),
    ("march", "mar", "mars", "märz", "maerz", "mrz", "maart", "mrt", "marzo"),
    ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    ("may", "mai", "mei", "mayo", "maggio"),
    ("june", "jun", "juin", "juni", "junio", "giugno"),
    ("july", "jul", "juillet", "juil", "juli", "julio", "luglio"),
    ("august", "aug", "août", "aout", "augustus", "agosto"),
    ("september", "sep", "sept", "septembre", "septiembre", "settembre"),
    ("october", "oct", "octobre", "oktober", "okt", "octubre", "ottobre"),
    ("november", "nov", "novembre", "noviembre"),
    ("december", "dec", "décembre", "decembre", "déc", "dezember", "dez", "diciembre", "dicembre"),
)


class _Months(dateparser.parserinfo):
    MONTHS = list(MONTH_NAMES)
    JUMP = [*dateparser.parserinfo.JUMP, "de"]  # "5 de mayo de 2025"


MONTHS_READ = _Months()
_MONTH = "(?:" + "|".join(sorted((n for names in MONTH_NAMES for n in names), key=len, reverse=True)) + r")(?![^\W\d_])\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?\b\.?"  # "4. März": German writes the day with a full stop
# A date as texts write it: 2024-03-05(T10:00), 05/03/2024, 5.3.24, 5/3, 20240305; 3 March 2024, 05-Mar-24,
# 3rd of March; March 3, 2024; March 2024. Two numbers with a dot or a dash are left out: versions and ranges
# (2.1, 10-12) are not dates; so are three numbers without a year of two or four digits at one end (version 2.4.1),
# after a lone "v" or a version's first number (v2.4.10, 1.1.2.10), or with a dot and more digits after them (a phone
# written 06.12.34.56.78, version 1.2.10.4). A range is two dates: 23.12.2024-02.01.2025.
DATE_PIECE = re.compile(
    rf"(?<!\d)(?<!\d\.)(?<!\bv)(?<!\bV)"
    rf"(?:\d{{4}}([-/.])\d{{1,2}}\1\d{{1,2}}|\d{{1,2}}([-/.])\d{{1,2}}\2(?:\d{{4}}|\d{{2}}))(?!\d|\.\d)"
    rf"|(?<!\d)\d{{1,2}}/\d{{1,2}}(?![\d/])|\b(?:19|20)\d{{6}}\b"
    rf"|\b{_DAY}[-\s]+(?:(?:of|de)\s+)?{_MONTH}(?:[-,\s]+(?:de\s+)?\d{{2,4}}\b)?"
    rf"|\b{_MONTH}\s+(?:\d{{4}}\b|{_DAY}(?:,?\s+\d{{4}}\b)?)", re.I)
# A phone number as texts write it: digit groups joined by one space, dot, dash or bracket ("+44 (0)20 7946-0958").
# A slash after the first group too, as German numbers write the area code ("030/123456"), but not between two numbers
# ("0161 555 0199 / 0161 555 0200"). Dates are blanked out before it is read.
PHONE = re.compile(r"\+?\(?\d+\)?(?:\s?/\s?\d+)?(?:[ .\-]?\(?\d+\)?)*")
# An extension after the number ("ext. 204", "x204") is not part of what is dialled first: the number is kept without it.
EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x)\s*\d{1,6}\s*$", re.I)
# A number the text names as something else: "order number 123456", "invoice 12345678", "ticket #7946095", "User ID:
# 7781234", "PIN 123456". The words that name such numbers alone ("Invoice 12345678") are followed by the number at
# once; the others need "no.", "number", "ID" or "#" ("account: 07700 900123" and "Just in case: …" are phone numbers).
_NUMBER_MARK = r"\s*(?:number|no\.?|num|nr\.?|id|#)\s*[:#]?\s*$"
_NAMES_ALONE = r"order|invoice|ticket|ref(?:erence)?|tracking|transaction|iban|pin|serial|sku|vat"
# "SIM card 07700 900123" and "Caller ID 07700 900123" are phone numbers: a card or an ID needs "number", "no." or "#".
_NAMES_WITH_MARK = (r"case|account|booking|po|customer|client|member|membership|user|contract|policy|claim|employee|"
                    r"staff|student|patient|tax|shipment|parcel|item|product|part|model|licen[cs]e|passport|device|card")
NAMED_AS_OTHER = re.compile(rf"\b(?:(?:{_NAMES_ALONE})\s*#?\s*$|(?:{_NAMES_ALONE}|{_NAMES_WITH_MARK}){_NUMBER_MARK})",
                            re.I)
# No phone number has more digits (ITU E.164): a card number of 16 is none.
MAX_PHONE_DIGITS = 15
# A number of fewer digits followed by more groups was cut short by the model ("020 7946" of "020 7946 0958"): with the
# trunk 0 or the country code, whole numbers have 10 digits or more in most countries.
WHOLE_PHONE_DIGITS = 10
ISO_LIKE = re.compile(r"^\d{4}")  # year first: read month-first only
# Day, month and year between dots (05.03.2024, 5.3.24) are written day first wherever dots are used.
DOTTED = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}\b")  # with a time after it too ("05.03.2024 10:30")
# Words that are no value on their own: the model copied "a" from "just a thank-you note" as a city.
FUNCTION_WORDS = frozenset("a an the and or but of to in on at by for from with as is are was be it its i you he she we they "
                           "me my your our their this that these those here there just no not yes so".split())


class FieldSpec(BaseModel):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=1)
    type: FieldType = "text"
    description: str = ""
    # `choices` as PRODUCT.md writes it, `options` as the page's `(choice: a, b)` reads: either, in a task file.
    options: list[str] = Field(default=[], validation_alias=AliasChoices("options", "choices"))

    @field_validator("options", mode="before")
    @classmethod
    def _options_on_one_line(cls, value):
        # `choices: "low, normal, high"`, as the page's `(choice: low, normal, high)` reads them.
        return [option.strip() for option in value.split(",") if option.strip()] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _choice_has_options(self):
        if self.type == "choice" and not self.options:
            raise ValueError(f"field '{self.name}' is a choice: list its options, e.g. `{self.name} (choice: low, high)` "
                             "on the page, or `options: [low, high]` in a task file")
        return self


class Rejected(ValueError):
    """A value that is dropped (or, for a list, cut to `kept`), with the reason shown in extraction_errors."""

    def __init__(self, message: str, kept: Any = None):
        super().__init__(message)
        self.kept = kept


def schema_of(field: FieldSpec) -> dict:
    if field.type == "choice":
        return {"enum": field.options}
    if field.type == "list":
        return {"type": "array", "items": COPIED, "maxItems": MAX_LIST_ITEMS}
    return COPIED if field.type in COPIED_TYPES else STRING


def normalise(field: FieldSpec, value: Any, source: str, day_first: bool = False) -> Any:
    """The value in its type's canonical form, or Rejected; None and empty values stay None. `day_first`: the job's
    dates such as 03/04/2024 are 3 April."""
    if value is None or value == "" or value == []:
        return None
    if field.type == "date":  # the one type that reads differently by where its writer lives
        return _date(value, source, day_first)
    return NORMALISERS[field.type](field, value, source)


def _text(_field: FieldSpec, value: Any, source: str) -> str:
    value = " ".join(str(value).split())
    if not in_text_as_words(value, source):
        raise Rejected(f"'{value}' is not in the text")
    if _squash(value) in FUNCTION_WORDS:
        raise Rejected(f"'{value}' alone is no value")
    return value


def in_text_as_words(value: str, source: str) -> bool:
    """The value is written in the text, its first and last words whole: "Ann" is not in "planning"."""
    value, source = _squash(value), _squash(source)
    start = source.find(value) if value else -1
    while start >= 0:
        if _word_ends_at(source, start - 1, value[0]) and _word_ends_at(source, start + len(value), value[-1]):
            return True
        start = source.find(value, start + 1)
    return False


def _word_ends_at(source: str, beyond: int, edge: str) -> bool:
    """No word of the text runs on past the value's edge character. Scripts written without spaces (Chinese,
    Japanese, Thai...) have no word edges to check."""
    if beyond < 0 or beyond >= len(source):
        return True
    neighbour = source[beyond]
    return not (neighbour.isalnum() and edge.isalnum()) or _unspaced(neighbour) or _unspaced(edge)


def _unspaced(character: str) -> bool:
    code = ord(character)
    return code >= 0x2E80 or 0x0E00 <= code <= 0x0EFF or 0x1000 <= code <= 0x109F or 0x1780 <= code <= 0x17FF


def _number(_field: FieldSpec, value: Any, source: str) -> float | int | None:
    """The number the copied piece of text writes ("order #48877" -> 48877, "1.299,00" -> 1299), where the text
    writes it whole and outside its dates (the model took the 1 of 01/03/2024 as an order number); a piece without
    one means none, as for money."""
    if isinstance(value, int | float):
        return _whole(_checked_in_text(float(value), source))
    written = first_number(str(value))
    if written is None:
        return None
    text = outside_dates(source)
    found = list(places(written, text))
    place = next((p for p in found if not _inside_code(p, text)), None)
    if place is None and found:
        raise Rejected(f"{written} is only part of '{_token_at(found[0], text)}' in the text")
    if place is None:
        in_a_date = next(places(written, source), None) is not None  # whole in the text, but inside a date
        raise Rejected(f"{written} is only part of a date in the text" if in_a_date else f"{written} is not in the text")
    return _whole(number_at(place, text))


# Letters or digits joined to a number by a dash or slash, or letters and then digits after it: the number is a piece
# of a code ("INV-2025-0042" gave 2025, "1Z999AA10" 1, "12-345" 12), not a number of its own. Letters alone after it
# are its unit ("3rd", "12kg"); a range of two short numbers ("10-12 guests", "2-3 days") and a count ("x3", "2 x")
# are numbers.
_CODE_BEFORE = re.compile(r"[^\W_][-/]?$")
_CODE_AFTER = re.compile(r"[-/]\d|[^\W\d_]*\d")
_RANGE = re.compile(r"([1-9]\d{0,3})[-–]([1-9]\d{0,3})")
_TIMES = re.compile(r"[xX×]\d+|\d+[xX×]")


def _inside_code(place: re.Match, text: str) -> bool:
    token = _token_at(place, text).strip(".,;:!?()[]\"'#")
    if _is_range(token) or _TIMES.fullmatch(token):
        return False
    return bool(_CODE_BEFORE.search(text[:place.start()]) or _CODE_AFTER.match(text, place.end()))


def _is_range(token: str) -> bool:
    """Two numbers of a like size, the second the larger: "10-12", "2-3", "100-150" ("12-345" is an order number)."""
    found = _RANGE.fullmatch(token)
    return bool(found) and int(found[1]) < int(found[2]) <= 10 * int(found[1])


def _token_at(place: re.Match, text: str) -> str:
    """The run of text without spaces the number stands in."""
    before, after = re.search(r"\S*$", text[:place.start()]), re.match(r"\S*", text[place.end():])
    return before.group() + place.group() + after.group()


def _whole(number: float) -> float | int:
    return int(number) if number.is_integer() else number


def _money(_field: FieldSpec, value: Any, source: str) -> str | None:
    """The amount and currency the text writes where it writes the copied number, outside its dates: the currency
    must stand next to it there (the model put the example's £ on "20+ seconds")."""
    numbers = [m.group() for m in NUMBER.finditer(str(value)) if as_amount(m.group()) is not None]
    if not numbers:  # the guide makes the model copy some piece of the text; one without a number means "none"
        return None
    text = outside_dates(source)
    # The first number with a currency beside it in the text: of "1.500 Stück zu 12,50 €", the 12,50.
    found = [place for written in numbers for place in places(written, text, read=as_amount)]
    money = next((m for place in found if (m := money_at(place, text))), None)
    if money is None:
        raise Rejected(f"'{value}' has no currency next to it in the text" if found else f"{numbers[0]} is not in the text")
    return money_text(*money)


def outside_dates(source: str) -> str:
    """The text with its dates blanked out, every other character where it was."""
    blanked = list(source)
    for piece in date_pieces(source):
        blanked[piece.start():piece.end()] = " " * len(piece.group())
    return "".join(blanked)


# Day and month alone with a slash ("5/3") are a date only where the words before them say so: "open 24/7", "1/2 day",
# "3/4 of the team" and "step 2/2" are no dates.
_DAY_MONTH = re.compile(r"\d{1,2}/\d{1,2}")
_DATE_WORD_BEFORE = re.compile(r"\b(?:on|by|due|until|till|from|before|after|since|dated?|delivered|shipped|sent|paid|"
                               r"arrived|ordered|expires?|deadline|starts?|ends?|week of|monday|tuesday|wednesday|"
                               r"thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)\W{0,3}$", re.I)


def date_pieces(source: str) -> Iterator[re.Match]:
    """Where the text writes a date (DATE_PIECE), leaving out fractions and counts such as 24/7."""
    for piece in DATE_PIECE.finditer(source):
        before = source[max(0, piece.start() - 20):piece.start()]
        if not _DAY_MONTH.fullmatch(piece.group()) or _DATE_WORD_BEFORE.search(before):
            yield piece


def _date(value: Any, source: str, day_first: bool) -> str | None:
    """The date in ISO form, if the text writes that date: the model may reformat a date ("3 March 2024" ->
    2024-03-03), so it is not copied, but it also wrote 2023-01-01 for texts with no date. A date the model wrote
    with words around it ("05.03.2024, bitte zahlen") is read from the date alone."""
    piece = DATE_PIECE.search(str(value))
    written = parsed_date(str(value), day_first) or (parsed_date(piece.group(), day_first) if piece else None)
    if written is None and not _could_be_a_date(str(value)):
        return None  # "thanks", "the day after": no date written, nothing dropped
    if written is None:
        raise Rejected(f"'{value}' is not a date")
    pieces = [m.group() for m in date_pieces(source) if parsed_date(m.group(), day_first) == written]
    if not pieces:  # the model may have given "4 March" a year of its own: the text's day, its year assumed as below
        pieces = [m.group() for m in date_pieces(source) if _same_day_no_year(m.group(), written, day_first)]
        written = parsed_date(pieces[0], day_first) if pieces else written
    if not pieces:
        raise Rejected(f"{written.isoformat()} is not a date in the text")
    assumed = min((_not_written(piece, day_first) for piece in pieces), key=len)
    if assumed:  # kept, and said: "4 March" is this year's only by assumption
        raise Rejected(f"{written.isoformat()}: the text gives no {' or '.join(assumed)} "
                       f"({_ASSUMED[assumed[0]](written)} assumed)", kept=written.isoformat())
    return written.isoformat()


def _could_be_a_date(value: str) -> bool:
    """Digits or a month's name: what a date is written with."""
    return bool(re.search(r"\d", value) or re.search(rf"\b{_MONTH}", value, re.I))


def _same_day_no_year(piece: str, written: date, day_first: bool) -> bool:
    read = parsed_date(piece, day_first)
    return read is not None and (read.month, read.day) == (written.month, written.day) \
        and "year" in _not_written(piece, day_first)


_ASSUMED = {"year": lambda d: str(d.year), "day": lambda _d: "the 1st"}


def _not_written(piece: str, day_first: bool) -> list[str]:
    """The parts of a date the text leaves out ("4 March": the year; "March 2024": the day), found by reading it
    with two different defaults: what changes with them came from the default, not the text."""
    piece = piece.strip()
    read = [dateparser.parse(piece, MONTHS_READ, default=default, dayfirst=_read_day_first(piece, day_first))
            for default in (datetime(2000, 1, 1), datetime(2001, 2, 2))]
    return [part for part in ("year", "day") if getattr(read[0], part) != getattr(read[1], part)]


def parsed_date(text: str, day_first: bool = False) -> date | None:
    """The date a text writes (a missing year or day from the first of this year), or None. 03/04/2024 is 4 March,
    or 3 April where `day_first`; 05.03.2024 is 5 March and 2024-03-05 is 5 March either way."""
    text = text.strip()
    try:
        read = dateparser.parse(text, MONTHS_READ, default=_first_of_this_year(), dayfirst=_read_day_first(text, day_first))
    except (ValueError, OverflowError):
        return None
    return _in_century(read.date(), text)


# A year written in two digits is in the next 20 years or else the last century's: "DOB: 12/05/68" is 1968 (dateutil's
# window of 50 years either way made it 2068, and rejected the model's right 1968-05-12).
YEARS_AHEAD = 20


def _in_century(day: date, text: str) -> date:
    if day.year <= date.today().year + YEARS_AHEAD or str(day.year) in text:
        return day
    try:
        return day.replace(year=day.year - 100)
    except ValueError:  # 29 February of a year that has none a century before
        return day


def _read_day_first(text: str, day_first: bool) -> bool:
    """Dotted dates are day first wherever dots are used; year-first dates never are; others as the job says."""
    return bool(DOTTED.match(text)) or (day_first and not ISO_LIKE.match(text))


def dates_in(source: str, day_first: bool = False) -> set[date]:
    """Every date the text writes with digits or a month's name, each read as parsed_date reads it."""
    return {d for m in date_pieces(source) if (d := parsed_date(m.group(), day_first)) is not None}


def _email(_field: FieldSpec, value: Any, source: str) -> str | None:
    """The address in the copied piece ("mailto:ann@x.com", "Ann <ann@x.com>", "ann@x.com."), if the text writes it
    whole: "ann@x.co" is no address of a text that writes "ann@x.co.uk", nor "doe@x.com" of "jane_doe@x.com"."""
    found = ADDRESS.search(str(value))
    if found is None:
        return _address_of_domain(str(value), source)
    email = found.group().lstrip(".'-")
    if not _address_in(email, source):
        raise Rejected(f"'{email}' is not an address in the text")
    return email.lower()


def _address_of_domain(piece: str, source: str) -> str | None:
    """The text's one address at the domain the model copied ("example.com" of "ann@example.com": a copy may start
    after the @); None for a piece with no address in it (the guide has the model copy something: that means none)."""
    domain = piece.strip().strip(".,;:<>()@").lower()
    owners = {a.lower() for a in ADDRESS.findall(source) if a.lower().endswith(f"@{domain}")} if domain else set()
    if len(owners) == 1:
        return owners.pop()
    if owners:
        raise Rejected(f"'{piece}' is the domain of several addresses in the text, not one address")
    return None


def _address_in(email: str, source: str) -> bool:
    # A full stop after it ends the sentence; one followed by more of a domain does not.
    whole = rf"(?<![\w.+@-]){re.escape(email)}(?![\w@+-]|\.[\w-])"
    return re.search(whole, source, re.I) is not None


def _phone(_field: FieldSpec, value: Any, source: str) -> str | None:
    """The phone number the text writes outside its dates, from its start: the model took "12/05/2024" and "03.2024"
    (of 05.03.2024) as phone numbers, and "20 7946 0958" of "+44 20 7946 0958" (given back whole). A number the model
    cut short ("+1 555 123" of "+1 555 123 4567") is kept whole, and said."""
    if not re.search(r"\d", str(value)):
        return None  # a copied piece with no digits: no number written, nothing dropped
    if DATE_PIECE.fullmatch(str(value).strip()):
        raise Rejected(f"'{value}' is a date, not a phone number")
    digits = re.sub(r"\D", "", without_trunk_zero(EXTENSION.sub("", str(value))))
    text = outside_dates(source)
    found = [(m, w) for m in PHONE.finditer(text) if (w := _phone_from_start(m.group(), digits))]
    if len(digits) < 6 or len(digits) > MAX_PHONE_DIGITS or not found:
        raise Rejected(f"'{value}' is not a phone number in the text")
    place, (whole, cut) = found[0]
    if NAMED_AS_OTHER.search(text[max(0, place.start() - 30):place.start()]):
        raise Rejected(f"'{value}' is named as another kind of number in the text, not a phone number")
    number = international(whole)
    if cut:
        raise Rejected(f"'{value}' is only the start of the number {number} in the text (the whole number kept)",
                       kept=number)
    return number


def international(phone: str) -> str:
    return "+" + phone[2:] if phone.startswith("00") else phone  # 0049 is +49, as the other way of writing it


# "+44 (0)20 7946 0958": the 0 in brackets is dialled only from inside the country; +4402079460958 is no number.
TRUNK_ZERO = re.compile(r"^\s*\+(\d{1,4})\s*\(0\)\s*")


def without_trunk_zero(phone: str) -> str:
    return TRUNK_ZERO.sub(r"+\1 ", phone)


def _phone_from_start(written: str, digits: str) -> PhoneFound | None:
    """The number as "+442079460958" if `digits` are its first digit groups, or all of them but a "+44" (or the "1" of
    "1-800-…") the model left out (and the trunk 0 of "+44 (0)20", if the model kept it: "020 7946 0958"); None if they
    start inside it."""
    if trunk := TRUNK_ZERO.match(written):
        country = trunk.group(1)
        digits = country + digits[len(country) + 1:] if digits.startswith(f"{country}0") else digits.removeprefix("0")
        written = without_trunk_zero(written)
    groups, plus = re.findall(r"\d+", written), "+" if written.startswith("+") else ""
    for start in [0, 1] if plus or _north_american(groups) else [0]:  # from the country code, or just after it
        joined = ""
        for end, group in enumerate(groups[start:], start + 1):
            joined += group
            if joined == digits:
                return _whole_number(plus, groups, end)
    return None


class PhoneFound(NamedTuple):
    number: str
    cut_short: bool  # the model's digits stopped before the number's last groups


def _whole_number(plus: str, groups: list[str], end: int) -> PhoneFound | None:
    """The number from its first group to the model's last. Where that is too short to be a whole number ("+1 555 123"
    of "+1 555 123 4567"), on over the groups of 3 digits or more after it until it is; what follows a whole number is
    another ("0800 123 4567 24/7", "0161 496 0000 1000 Manchester"). None where the groups run past MAX_PHONE_DIGITS:
    a card number ("1234 5678 9012 3456") is no phone number."""
    if len("".join(groups[:end])) >= WHOLE_PHONE_DIGITS:
        return PhoneFound(plus + "".join(groups[:end]), False)
    run = end
    while run < len(groups) and len(groups[run]) >= 3:
        run += 1
    if len("".join(groups[:run])) > MAX_PHONE_DIGITS:
        return None
    whole = end
    while whole < run and len("".join(groups[:whole])) < WHOLE_PHONE_DIGITS:
        whole += 1
    return PhoneFound(plus + "".join(groups[:whole]), whole > end)


def _north_american(groups: list[str]) -> bool:
    """1-800-356-9377: the 1 before a three-digit area code, eleven digits in all ("Press 1 07700 900123" is none)."""
    return groups[:1] == ["1"] and len(groups) > 1 and len(groups[1]) == 3 and len("".join(groups)) == 11


def _choice(field: FieldSpec, value: Any, _source: str) -> str:
    wanted = {option.lower(): option for option in field.options}
    if str(value).lower() not in wanted:
        raise Rejected(f"'{value}' is not one of {', '.join(field.options)}")
    return wanted[str(value).lower()]


def _list(field: FieldSpec, value: Any, source: str) -> str | None:
    """Items found in the text, joined with '; ' (a spreadsheet cell holds text, not a list)."""
    items = [" ".join(str(i).split()) for i in (value if isinstance(value, list) else [value]) if str(i).strip()]
    dropped = [i for i in items if not in_text_as_words(i, source) or _squash(i) in FUNCTION_WORDS]
    kept = "; ".join(dict.fromkeys(i for i in items if i not in dropped)) or None
    if dropped:
        raise Rejected(f"{', '.join(map(repr, dropped))} not in the text", kept)
    return kept


NORMALISERS = {"text": _text, "number": _number, "money": _money, "date": _date, "email": _email,
               "phone": _phone, "choice": _choice, "list": _list, "names": _list}


def reviewed_value(field: FieldSpec, value: str, day_first: bool = False) -> Any:
    """A value a reviewer typed, in the form the model's answers of its type take (6001, "49.99 USD",
    2024-03-05), without the in-the-text check: the reviewer read the text. ValueError says what to write."""
    value = value.strip()
    if field.type == "date" and value:
        return _reviewed_date(value, day_first)
    return REVIEWED_FORMS.get(field.type, str)(value) if value else ""


def _reviewed_number(value: str) -> int | float:
    number = as_number(value) if NUMBER.fullmatch(value) else None
    if number is None:
        raise ValueError(f"'{value}' is not a number: write digits, e.g. 1299 or 12.5")
    return _whole(number)


def _reviewed_money(value: str) -> str:
    """As the model's answers read ("-€45" -> -45.00 EUR), or with the currency anywhere ("49.99 in EUR")."""
    money = money_in(value)
    if money[0] is None or not money[1]:
        raise ValueError(f"'{value}' is not an amount with its currency: write e.g. 49.99 EUR or $12")
    return money_text(*money)


def _reviewed_date(value: str, day_first: bool) -> str:
    written = parsed_date(value, day_first)
    if written is None:
        raise ValueError(f"'{value}' is not a date: write e.g. 2024-03-05")
    return written.isoformat()


def _reviewed_email(value: str) -> str:
    if not EMAIL.match(value.lower()):
        raise ValueError(f"'{value}' is not an email address")
    return value.lower()


def _reviewed_phone(value: str) -> str:
    """As the model's answers are written: "+44 (0)20 7946 0958" -> +442079460958, without an extension, 00 as +."""
    dialled = without_trunk_zero(EXTENSION.sub("", value)).strip()
    digits = re.sub(r"\D", "", dialled)
    if len(digits) < 6:
        raise ValueError(f"'{value}' is not a phone number")
    return international(("+" if dialled.startswith("+") else "") + digits)


REVIEWED_FORMS = {"number": _reviewed_number, "money": _reviewed_money, "email": _reviewed_email, "phone": _reviewed_phone}


def _checked_in_text(number: float, source: str) -> float:
    """The number, if the text has it outside its dates; a model tends to copy numbers from the prompt's examples."""
    written = set(numbers_in(outside_dates(source)))
    if number not in written:
        raise Rejected(f"{number:g} is not in the text")
    return number


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def _first_of_this_year() -> datetime:
    # A date without a year or day gets them from here (dateutil's default is today's day and month).
    return datetime(date.today().year, 1, 1)
