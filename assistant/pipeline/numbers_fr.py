"""Numbers written in French words, and the comparable value of a figure however it is written.

A draft can carry a figure the digit patterns of the checks never see: « six cent cinquante euros »,
« quarante-cinq jours », a phone number read out (« zéro six, soixante-dix-huit, quarante-deux… »).
``number_runs`` finds the runs of number words in folded text (``fold_keep_length``: same offsets)
and splits them into the numbers a reader hears; ``amount_value`` reads « 1 500,50 », « 1.500 »,
« 1,450.00 » alike, so a figure is compared by value, not by how it is typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

UNITS = {
    "zero": 0,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
}
UNITS_AFTER_DIX = ("sept", "huit", "neuf")
TEENS = {"dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16}
TENS = {
    "vingt": 20,
    "vingts": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
    "septante": 70,
    "huitante": 80,
    "octante": 80,
    "nonante": 90,
}
SCALES = {"cent": 100, "cents": 100, "mille": 1000, "milles": 1000, "million": 10**6, "millions": 10**6}
SCALES.update({"milliard": 10**9, "milliards": 10**9})
_WORD = "|".join(sorted([*UNITS, *TEENS, *TENS, *SCALES], key=len, reverse=True))
# A run of number words joined by spaces, hyphens, « et » or commas (a number read out digit group
# by digit group). Folded text: no accents, lower case.
NUMBER_RUN = re.compile(rf"\b(?:{_WORD})(?:(?:[\s-]+et[\s-]+|[\s-]+|\s*,\s*)(?:{_WORD}))*\b")
_TOKEN = re.compile(rf"{_WORD}|et|,")


@dataclass(frozen=True)
class Run:
    start: int
    end: int
    numbers: tuple[int, ...]  # the numbers a reader hears, in order


def _joins(previous: str, value: int, word: str) -> bool:
    """Whether ``word`` continues the number whose last word was ``previous`` (value so far)."""
    if previous == "zero" or word == "zero":
        return False
    if word in SCALES:
        if SCALES[word] == 100:
            return previous in UNITS or previous in ("mille",) or previous in TEENS
        return True  # « deux mille », « trois cent mille »
    last = value % 100
    if previous == "et":
        return word in ("un", "une", "onze")
    if word in UNITS:  # « vingt-deux », « cent trois », « dix-sept »
        return (
            previous in TENS or previous in SCALES or (previous == "dix" and word in ("sept", "huit", "neuf"))
        )
    if word in TEENS:
        return (previous in TENS and last in (60, 80)) or previous in SCALES
    if word in TENS:
        return previous in SCALES or (word.startswith("vingt") and previous == "quatre")
    return False


def _split(tokens: list[str]) -> list[int]:
    numbers: list[int] = []
    total = current = 0
    previous = ""
    for word in tokens:
        if word == ",":
            if previous:
                numbers.append(total + current)
            total = current = 0
            previous = ""
            continue
        if word == "et":
            if previous in TENS:
                previous = "et"
            continue
        if previous and not _joins(previous, total + current, word):
            numbers.append(total + current)
            total = current = 0
        if word in UNITS:
            current += UNITS[word]
        elif word in TEENS:
            current += TEENS[word]
        elif word in TENS:
            if word.startswith("vingt") and previous == "quatre":
                current += 80 - 4
            else:
                current += TENS[word]
        elif SCALES[word] == 100:
            current = (current or 1) * 100 if current < 100 else current + 100
        else:
            total += (current or 1) * SCALES[word]
            current = 0
        previous = word
    if previous:
        numbers.append(total + current)
    return numbers


def number_runs(folded: str) -> Iterator[Run]:
    """Runs of French number words in ``folded`` text, each with the numbers it says."""
    for match in NUMBER_RUN.finditer(folded):
        numbers = _split(_TOKEN.findall(match.group(0)))
        if numbers:
            yield Run(match.start(), match.end(), tuple(numbers))


def phone_digits(numbers: tuple[int, ...]) -> str | None:
    """The digits of a phone number read out (« zéro six, soixante-dix-huit… » → "0678…"), or None
    when the run is not one: at least four numbers and eight digits, each number under 100."""
    if len(numbers) < 4 or any(n > 99 for n in numbers):
        return None
    digits = "".join(str(n) for n in numbers)
    return digits if len(digits) >= 8 else None


# A number read out with words and digits mixed (« zéro six, 38, quatre-vingt-onze, 04, 72 »): digit
# groups of one to three digits among the words, joined as above or by dots.
_MIXED_RUN = re.compile(
    rf"\b(?:{_WORD}|\d{{1,3}})(?:(?:[\s-]+et[\s-]+|[\s.-]+|\s*,\s*)(?:{_WORD}|\d{{1,3}}))*\b"
)
_MIXED_TOKEN = re.compile(rf"\d+|{_WORD}|et|,")


def mixed_phone_runs(folded: str) -> Iterator[tuple[int, int, str]]:
    """French phone numbers (ten digits from « 0 ») read out with words and digits mixed, in
    ``folded`` text: (start, end, digits). Digit groups keep their zeros (« 04 »); runs of words
    alone or of digits alone are read elsewhere."""
    for match in _MIXED_RUN.finditer(folded):
        tokens = _MIXED_TOKEN.findall(match.group(0))
        if not any(t.isdigit() for t in tokens) or all(t.isdigit() or t in (",", "et") for t in tokens):
            continue
        groups: list[str] = []
        words: list[str] = []
        for token in [*tokens, ""]:
            if token.isdigit() or token == "":
                groups += [str(n) for n in _split(words)] if words else []
                words = []
                if token:
                    groups.append(token)
            else:
                words.append(token)
        digits = "".join(groups)
        if len(groups) >= 4 and all(len(g) <= 2 for g in groups) and re.fullmatch(r"0\d{9}", digits):
            yield match.start(), match.end(), digits


_ENGLISH = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d{1,2}")


def amount_value(number: str) -> Decimal | None:
    """The value of a figure typed the French way (« 1 500,50 », « 1.500 ») or the English way
    (« 1,450.00 »): spaces, dots and commas read as a reader of that format would; « _ » and the
    Swiss apostrophe (« 2_160 », « 2'160 ») group thousands too."""
    digits = re.sub(r"[\s\u00a0\u202f\u2009\u2007_'’]", "", number)
    if _ENGLISH.fullmatch(digits):
        digits = digits.replace(",", "")
    elif "," in digits:
        digits = digits.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):
        digits = digits.replace(".", "")
    try:
        return Decimal(digits).normalize()
    except InvalidOperation:
        return None
