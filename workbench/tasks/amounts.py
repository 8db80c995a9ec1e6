"""Numbers and amounts of money as texts write them: separators as the writer meant them, the currency beside the
amount, a minus before the currency sign, "12k". Extract reads its number and money fields with these; evaluation
reads right answers with them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

CURRENCIES = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS",
              "₱": "PHP", "eur": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD", "dollar": "USD", "dollars": "USD",
              "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "chf": "CHF", "jpy": "JPY",
              "yen": "JPY", "cad": "CAD", "aud": "AUD", "inr": "INR", "rs": "INR", "rupee": "INR", "rupees": "INR",
              "sek": "SEK", "nok": "NOK", "dkk": "DKK", "pln": "PLN", "zł": "PLN", "czk": "CZK", "huf": "HUF",
              "nzd": "NZD", "hkd": "HKD", "sgd": "SGD", "cny": "CNY", "rmb": "CNY", "yuan": "CNY", "krw": "KRW",
              "won": "KRW", "rub": "RUB", "try": "TRY", "ils": "ILS", "zar": "ZAR", "mxn": "MXN", "brl": "BRL",
              "aed": "AED", "sar": "SAR", "thb": "THB", "php": "PHP", "idr": "IDR", "myr": "MYR",
              # Other dollars write their country before the sign: C$50 is no US amount.
              "us$": "USD", "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD", "nz$": "NZD", "hk$": "HKD",
              "s$": "SGD", "sg$": "SGD", "r$": "BRL", "mx$": "MXN"}
# Codes that are also English words count only in capitals: "TRY 50" is lira, "try 50 times" is not.
CODES_THAT_ARE_WORDS = frozenset({"try", "won", "php", "rub"})
SYMBOLS = "€$£¥₹₩₽₺₪₱"
# "45 Canadian dollars", "45 US dollars": the country names the dollar.
_DOLLARS_OF = {"us": "USD", "u.s.": "USD", "american": "USD", "canadian": "CAD", "australian": "AUD",
               "new zealand": "NZD", "hong kong": "HKD", "singapore": "SGD"}
_NAMED_DOLLARS = re.compile(rf"\b({'|'.join(map(re.escape, _DOLLARS_OF))})\s+dollars?\b", re.I)
# A currency as a text writes it: a country's dollar sign (CA$), a sign, or a word (EUR, euros, Rs.).
_CURRENCY_WORD = rf"[A-Za-z]{{1,2}}\$|[{SYMBOLS}]|[^\W\d_]+\.?"
# A number as texts write it, separators and all: 1,299.00, 1.299,00, 1'299.00, 1 299,00, 12,50 (read by as_number).
# A space separates thousands only before three digits ("2 3 items" is two numbers); the hyphen of "E-204" is no minus.
_SEPARATOR = r"(?:[.,'\u00a0\u202f]|\s(?=\d{3}(?!\d)))"
# The minus is ASCII's or Unicode's (U+2212, as PDFs and spreadsheets often write it).
MINUS = "-\u2212"
NUMBER = re.compile(rf"(?:(?<!\w)[{MINUS}])?\d+(?:{_SEPARATOR}\d+)*")
_SEPARATORS = re.compile(r"[.,'\s\u00a0\u202f]")
_CURRENCY_BEFORE = re.compile(rf"({_CURRENCY_WORD})\s?$")
# After the amount: "45 US dollars", "45 €", "45 (EUR)"; only one word, or "12 is $80" made 12 dollars.
_CURRENCY_AFTER = re.compile(rf"\s?\(?\s?({_NAMED_DOLLARS.pattern}|{_CURRENCY_WORD})", re.I)
# "-€45", "- $12": a minus written before the currency sign (a minus before the digits is the number's own).
_MINUS_BEFORE_SIGN = re.compile(rf"(?<![\w.])[{MINUS}]\s?[{SYMBOLS}]\s?$")
# "£30 - £45", "£30-£45": a dash between two amounts, spaced alike on both sides, joins a range; it is no minus. "$100
# -$20" (a discount) and "Ref 88231 -€45" keep theirs.
_RANGE_DASH = re.compile(rf"(?:[{SYMBOLS}]\s?\d[\d.,]*|\d[\d.,]*\s?(?:[{SYMBOLS}]|[A-Z]{{3}}))(\s?)[{MINUS}]\1[{SYMBOLS}]\s?$")
# "$12k", "€1.2m", "£3bn", "$5 million", "2 Mio. €": thousands, millions, billions written after an amount (read as
# 5 before, a million times too little).
SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "mio": 1e6, "million": 1e6,
          "millions": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9, "mrd": 1e9,
          # As India writes them: Rs 5 lakh is 500,000, 2 crore 20,000,000.
          "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5, "crore": 1e7, "crores": 1e7}
# A letter apart from the amount is a scale only where it stands alone ("$12 k", "12 k€"): "$50 b/c of the fee" is
# no 50 billion ("$5k/month" is 5,000).
_SCALE_WORDS = "|".join(sorted((s for s in SCALES if len(s) > 1), key=len, reverse=True))
_SCALE = re.compile(rf"\s?({_SCALE_WORDS})\b|([kmb])\b|\s([kmb])(?![/\w])", re.I)
# An amount of money with a lone dot before three digits writes thousands ("1.299 €"): money has two decimals. Not
# after a lone 0: "€0.999" is under a euro.
_DOTTED_THOUSANDS = re.compile(r"-?[1-9]\d{0,2}\.\d{3}")
# ...except in a price per litre, gallon or kilowatt-hour, which has three decimals ("1.799 €/l", "$3.499 per gallon").
# Nothing else tells: "$1.500" is 1,500 Chilean pesos as often as a US price, and "£1.299" a sofa as often as petrol.
_PER_UNIT = re.compile(rf"\s?(?:[{SYMBOLS}]|[A-Z]{{3}})?\s?(?:/|per\s|a\s)\s?"
                       r"(?:l|ltr|litre|liter|gal|gallon|kwh|mwh|therm)s?\b", re.I)


def amount_in(text: str) -> float | None:
    """The first number a text writes ("$1,299.00" -> 1299.0, "1.234,50 €" -> 1234.5), or None."""
    return next(numbers_in(text), None)


def numbers_in(text: str) -> Iterator[float]:
    return (number for match in NUMBER.finditer(text) if (number := as_number(match.group())) is not None)


def first_number(text: str) -> str | None:
    """The first number a text writes, as written ("order #48877?" -> "48877"), or None."""
    return next((m.group() for m in NUMBER.finditer(text) if as_number(m.group()) is not None), None)


def as_number(written: str) -> float | None:
    """A number with its separators read as the writer meant them: the last '.' or ',' is the decimal mark when it
    differs from the separators before it, or when a lone ',' is not followed by exactly three digits (12,50 but
    1,299); a lone '.' is decimal (1.5). Groups of thousands must have three digits: "1,2,3" is no number (None)."""
    sign, digits = (-1, written[1:]) if _is_negative(written) else (1, written)
    separators = _SEPARATORS.findall(digits)
    groups = _SEPARATORS.split(digits)
    decimal = separators and _is_decimal_mark(separators, groups[-1])
    whole_groups = groups[:-1] if decimal else groups
    if not _grouped(whole_groups) or len(set(separators[:len(whole_groups) - 1])) > 1:
        return None
    whole = "".join(whole_groups)
    return sign * float(f"{whole}.{groups[-1]}" if decimal else whole)


def _grouped(whole_groups: list[str]) -> bool:
    """Thousands in groups of three (1,234,567), or as India writes lakhs and crores (12,34,567)."""
    rest = whole_groups[1:]
    return all(len(g) == 3 for g in rest) or (len(rest) > 1 and len(rest[-1]) == 3 and all(len(g) == 2 for g in rest[:-1])
                                              and len(whole_groups[0]) <= 2)


def _is_decimal_mark(separators: list[str], last_group: str) -> bool:
    last = separators[-1]
    if last not in ".," or (len(separators) > 1 and last in separators[:-1]):
        return False
    if len(separators) > 1:
        return True  # 1.234,50 or 1,234.50: the other mark separates the thousands
    return last == "." or len(last_group) != 3  # 1.5 and 12,50 are decimals; 1,299 is thousands


def as_amount(written: str) -> float | None:
    """A number read as an amount of money: as as_number, but "1.299" is 1,299."""
    return as_number(written.replace(".", ",") if _DOTTED_THOUSANDS.fullmatch(written) else written)


# A count of things has no decimals: "1.500 Stück", "1.200 employees" write thousands, as amounts of money do. Only
# before a word that counts things, or where the text writes its decimals with a comma: "1.250 kilograms", "rated
# 4.500 out of 5" and "1.250 ETH" keep their decimal point.
_COUNTED = re.compile(r"\s?(?:units?|pieces?|pcs|items?|stück|stk|employees?|mitarbeiter\w*|users?|people|persons?|"
                      r"customers?|clients?|kunden|orders?|bestellungen|tickets?|calls?|visitors?|besucher\w*|members?|"
                      r"mitglieder\w*|participants?|teilnehmer\w*|inhabitants?|residents?|einwohner\w*|students?|"
                      r"patients?|seats?|shares?|aktien|copies|boxes|pallets?|packages?|parcels?|pakete?)\b", re.I)
_DECIMAL_COMMA = re.compile(r"(?<![\d.,])\d+,\d{1,2}(?![\d,.])")
# Thousands and millions written after a count ("10k users", "2 million users"): words that mean nothing else. Not "m"
# (5m is five metres), "mil" (a thousand in Spanish) or "mn" (minutes in French).
_COUNT_SCALES = ("thousand", "million", "millions", "billion", "billions", "mio", "mln", "bn", "lakh", "lakhs",
                 "crore", "crores")
_COUNT_SCALE = re.compile(rf"\s?({'|'.join(_COUNT_SCALES)})\b|(k)\b", re.I)


def number_at(match: re.Match, text: str) -> float | None:
    """The number the text writes at this match, with its scale: "10k users" is 10,000, "1.500 Stück" 1,500."""
    after = text[match.end():]
    scale = _COUNT_SCALE.match(after)
    counted = not scale and _DOTTED_THOUSANDS.fullmatch(match.group()) and (
        _COUNTED.match(after) or _DECIMAL_COMMA.search(text))
    number = as_amount(match.group()) if counted else as_number(match.group())
    return None if number is None else number * _scale_of(scale)


def _scale_of(scale: re.Match | None) -> float:
    """What a scale word found after a number multiplies it by (1 without one)."""
    return SCALES[next(filter(None, scale.groups())).lower()] if scale else 1


def places(written: str, text: str, read: Callable[[str], float | None] = as_number) -> Iterator[re.Match]:
    """Where the text writes the number `written` (its minus or not; 45.50 for 45.5), as a whole number: the 1,299
    of 1,299.50 is not 1,299. Places with the same sign as `written` come first: of "-45 € and 45 €", "45" is the
    second."""
    wanted = read(written.lstrip(MINUS))
    found = [match for match in NUMBER.finditer(text) if wanted is not None and read(match.group().lstrip(MINUS)) == wanted]
    return iter(sorted(found, key=lambda match: _is_negative(match.group()) != _is_negative(written)))


def _is_negative(written: str) -> bool:
    return written[:1] in MINUS


def money_at(match: re.Match, text: str) -> tuple[float, str] | None:
    """The amount and currency the text writes at this number, if a currency stands next to it: "€45", "USD 200",
    "45.50 EUR", "45 euros"; "-€45" is minus 45 and "$12k" 12,000."""
    before, after = text[: match.start()], text[match.end():]
    # As accounts write a minus, "(200) USD": a code or word after the bracket, and no amount after that ("(2) $49.99"
    # and "(2) USD 49.99" are a count, then a price).
    bracketed = before.endswith("(") and re.match(r"\)\s?[^\W\d_]+\b\.?(?!\s?[\d$€£¥])", after) is not None
    after = after[1:] if bracketed else after
    scale = _SCALE.match(after)
    currency = _currency_before(before) or _currency_after(after[scale.end():].lstrip(".") if scale else after)
    amount = _amount_at(match.group(), after)
    if not currency or amount is None:
        return None
    minus = bracketed or (_MINUS_BEFORE_SIGN.search(before) and not _RANGE_DASH.search(before))
    return (-1 if minus else 1) * amount * _scale_of(scale), currency


def _amount_at(written: str, after: str) -> float | None:
    """As as_amount reads it, but a price per litre or gallon has three decimals ("1.799 €/l")."""
    return as_number(written) if _PER_UNIT.match(after) else as_amount(written)


def money_text(amount: float, currency: str) -> str:
    """An amount as extract writes it: two decimals, or as many as the text gave ("0.999 EUR" a litre of fuel, not
    1.00), then the currency's code."""
    digits = f"{amount:.6f}".rstrip("0")
    return f"{digits}{'0' * (2 - len(digits.split('.')[1]))} {currency}".strip()


def money_in(text: str) -> tuple[float | None, str]:
    """The amount and currency a short text such as a reviewer's answer writes: as money_at reads the first number
    ("-€45" -> (-45.0, "EUR")), or else its first number, as an amount, and the first currency it names anywhere
    ("49.99 in EUR")."""
    number = NUMBER.search(text)
    # Read as money, also without a currency: "2.500" is 2,500 as "2.500 €" is (money has two decimals).
    return (money_at(number, text) if number else None) or (as_amount(number.group()) if number else None,
                                                           currency_in(text))


def _currency_before(text: str) -> str:
    found = _CURRENCY_BEFORE.search(text)
    return currency_in(found.group(1)) if found else ""


def _currency_after(text: str) -> str:
    found = _CURRENCY_AFTER.match(text)
    return currency_in(found.group(1)) if found else ""


def currency_in(text: str) -> str:
    """The first currency a text names, as its code ("€" -> "EUR", "CA$" -> "CAD"), or ""."""
    if named := _NAMED_DOLLARS.search(text):
        return _DOLLARS_OF[named.group(1).lower()]
    for word in re.findall(rf"[a-zA-Z]{{1,2}}\$|[{SYMBOLS}]|[^\W\d_]+", text):
        if word.lower() in CURRENCIES and (word.isupper() or word.lower() not in CODES_THAT_ARE_WORDS):
            return CURRENCIES[word.lower()]
        if word.endswith("$"):  # a sign joined to a word it does not belong to ("was$50")
            return CURRENCIES["$"]
    return ""
