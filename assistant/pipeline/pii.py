"""Masks personal data in a question before it reaches the retriever, the LLM, the store or the logs.

The agent keeps seeing the original: ``unmask`` puts the values back into the draft shown in the
panel. Detection is by regular expressions tuned for French HR mail (no model): it must catch the
usual identifiers and must leave alone what HR questions are full of — amounts, dates, durations,
article numbers, years, percentages.

Detectors run in a fixed order and a later match overlapping an earlier one is dropped: IBAN and
NIR (long digit runs) before phone numbers, which would otherwise claim a slice of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

PiiKind = Literal["EMAIL", "IBAN", "NIR", "PHONE", "ADDRESS", "NAME"]

# Placeholder labels are French: the agent may see them when a draft is shown before unmasking.
_LABELS: dict[PiiKind, str] = {
    "EMAIL": "EMAIL",
    "IBAN": "IBAN",
    "NIR": "NIR",
    "PHONE": "TELEPHONE",
    "ADDRESS": "ADRESSE",
    "NAME": "NOM",
}
_PLACEHOLDER = re.compile(r"\[(?:" + "|".join(_LABELS.values()) + r")_\d+\]")


@dataclass(frozen=True)
class PiiEntity:
    """One masked value; ``start``/``end`` index the ORIGINAL text. ``value`` is kept out of repr
    so that logging an entity never prints the personal data it stands for."""

    kind: PiiKind
    start: int
    end: int
    placeholder: str
    value: str = field(repr=False)


@dataclass(frozen=True)
class MaskedText:
    """The masked text (what the LLM, store and logs see) and what was replaced."""

    text: str
    entities: tuple[PiiEntity, ...] = ()

    @property
    def kinds(self) -> tuple[PiiKind, ...]:
        return tuple(sorted({e.kind for e in self.entities}))


# --- detectors -------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

# Country code + check digits + 11–30 alphanumerics, in groups of four or not. Groups are
# upper-case/digits only so that a following French word is never swallowed into the IBAN.
_IBAN = re.compile(r"\b(?:[A-Z]{2}|[a-z]{2})\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b")

# Sex (1/2, 7/8 for temporary numbers), year, month, department (2A/2B for Corsica), commune,
# order number, optional key. Separators only between those fields, so grouped amounts never fit.
_NIR = re.compile(
    r"(?<![\d,.])[1278][ .]?\d{2}[ .]?\d{2}[ .]?(?:\d{2}|2[AB])[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{2})?(?![\d,])"
)

# 0X XX XX XX XX with spaces, dots or dashes (or none), or the +33 / 0033 forms, "(0)" tolerated.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)33[ .-]?(?:\(0\)[ .-]?)?|0)[1-9](?:[ .-]?\d{2}){4}(?!\d)")

# Within a line only: a street or a name never runs on to the next line, which starts a sentence.
_SP = r"[ \t]+"
_STREET_TYPES_ANY_CASE = r"rue|avenue|av\.|bd|boulevard|allée|allee|impasse|quai|faubourg|lotissement"
# These are also ordinary words ("2 cours de français", "1 place de parking"): the street name
# after them must be capitalised.
_STREET_TYPES_CAPITALISED = r"place|cours|route|chemin|square|voie|passage|résidence|residence|cité|esplanade"
_PARTICLE = rf"(?:(?:de|du|des|la|le|les|aux|au|à|sur|sous|en|et|Saint|Sainte|St|Ste){_SP}|[ldLD]['’])"
_CAP_WORD = r"[A-ZÀ-Ý][\w'’-]*"
_ANY_WORD = r"[\w][\w'’-]*"
_NUMBER = rf"\b\d{{1,4}}(?:[ \t]?(?:bis|ter|quater|[A-D])\b)?,?{_SP}"
_POSTCODE_CITY = (
    rf"\b(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}}{_SP}[A-ZÀ-Ý][\w'’-]*"
    rf"(?:{_SP}(?:sur|sous|en|lès|les|le|la|de|du)[ -][A-ZÀ-Ý][\w'’-]*)*"
    rf"(?:{_SP}(?:Cedex|CEDEX)(?:{_SP}\d{{1,2}})?)?"
)
_STREET = (
    rf"{_NUMBER}(?:"
    rf"(?i:{_STREET_TYPES_ANY_CASE}){_SP}{_PARTICLE}*{_ANY_WORD}"
    rf"|(?i:{_STREET_TYPES_CAPITALISED}){_SP}{_PARTICLE}*{_CAP_WORD}"
    rf")(?:{_SP}{_PARTICLE}*{_CAP_WORD}){{0,4}}"
)
_ADDRESS = re.compile(rf"{_STREET}(?:,?{_SP}{_POSTCODE_CITY})?|{_POSTCODE_CITY}")

# Civility + one or two capitalised words (hyphens and particles allowed). Only the name is masked:
# the civility stays, it carries gender and politeness the draft needs. "Me"/"Dr" must be
# capitalised ("me" is a pronoun).
_CIVILITY = r"(?:(?i:monsieur|madame|mademoiselle|mme|mlle|mr)\.?|M\.?|Me|Dr\.?|Docteur)"
_NAME_PARTICLE = rf"(?:(?:de|du|des|le|la|van|von|di|da|del|ben|el){_SP}|[dD]['’])"
_NAME_WORD = r"[A-ZÀ-Ý][\w'’]*(?:-[A-Za-zÀ-ÿ][\w'’]*)*"
# Not names after a civility: titles ("Madame la Directrice") and the words a sentence starts with
# when the comma after a greeting is missing ("Bonjour Madame Je voudrais…").
_NOT_NAMES = (
    r"(?i:directeur|directrice|maire|président|présidente|ministre|préfet|préfète|recteur|rectrice|juge"
    r"|chef|cheffe|responsable|secrétaire|inspecteur|inspectrice|conseiller|conseillère|docteur|drh"
    r"|bonjour|merci|cordialement|je|j['’]|nous|vous|il|elle|on|ils|elles|ce|cet|cette|ces|mon|ma|mes"
    r"|votre|vos|notre|suite|pourriez|pouvez|est|et|ou|qui|pour|avec|depuis|concernant)(?![\w'’])"
)
_NOT_A_NAME = rf"(?!(?i:(?:le|la|les|l['’])[ \t]*)?{_NOT_NAMES})"
_NAME = re.compile(
    rf"(?<![\w.]){_CIVILITY}{_SP}(?P<name>{_NOT_A_NAME}{_NAME_PARTICLE}*{_NAME_WORD}"
    rf"(?:{_SP}{_NAME_PARTICLE}*{_NOT_A_NAME}{_NAME_WORD})?)"
)
# Typed all in lower case ("mme dupont"): one word, never a function word or a title.
_FUNCTION_WORDS = r"(?:le|la|les|l|de|du|des|d|a|à|que|en|sur)\b"
_NAME_LOWER = re.compile(
    rf"(?<![\w.])(?i:monsieur|madame|mademoiselle|mme|mlle|mr)\.?{_SP}"
    rf"(?P<name>(?!{_FUNCTION_WORDS}){_NOT_A_NAME}[a-zà-ÿ][a-zà-ÿ-]+)\b"
)


def _whole(pattern: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int]]]:
    return lambda text: (m.span() for m in pattern.finditer(text))


def _named_group(pattern: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int]]]:
    return lambda text: (m.span("name") for m in pattern.finditer(text))


def _iban_spans(text: str) -> Iterator[tuple[int, int]]:
    # Ten digits at least: keeps codes such as "AB12 CDEF GHIJ" out.
    return (m.span() for m in _IBAN.finditer(text) if sum(c.isdigit() for c in m.group()) >= 10)


_DETECTORS: tuple[tuple[PiiKind, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    ("EMAIL", _whole(_EMAIL)),
    ("IBAN", _iban_spans),
    ("NIR", _whole(_NIR)),
    ("PHONE", _whole(_PHONE)),
    ("ADDRESS", _whole(_ADDRESS)),
    ("NAME", _named_group(_NAME)),
    ("NAME", _named_group(_NAME_LOWER)),
)


# --- masking ---------------------------------------------------------------------------------------


def _normalise(kind: PiiKind, value: str) -> str:
    """The key under which two spellings of one value share a placeholder (06 12… = 0612…)."""
    if kind in ("PHONE", "NIR", "IBAN"):
        digits = re.sub(r"[^0-9A-Za-z]", "", value).upper()
        return "0" + digits[-9:] if kind == "PHONE" else digits
    return " ".join(value.casefold().split())


def _find(text: str) -> list[tuple[PiiKind, int, int]]:
    taken: list[tuple[PiiKind, int, int]] = []
    for kind, spans in _DETECTORS:
        for start, end in spans(text):
            if not any(start < e and s < end for _, s, e in taken):
                taken.append((kind, start, end))
    return sorted(taken, key=lambda t: t[1])


def mask_pii(text: str) -> MaskedText:
    """Replace personal data by numbered placeholders ([EMAIL_1], [NOM_2]…), numbered per kind in
    order of appearance; the same value (normalised) always gets the same placeholder."""
    placeholders: dict[tuple[PiiKind, str], str] = {}
    counts: dict[PiiKind, int] = {}
    entities: list[PiiEntity] = []
    parts: list[str] = []
    cursor = 0
    for kind, start, end in _find(text):
        value = text[start:end]
        key = (kind, _normalise(kind, value))
        if key not in placeholders:
            counts[kind] = counts.get(kind, 0) + 1
            placeholders[key] = f"[{_LABELS[kind]}_{counts[kind]}]"
        entities.append(PiiEntity(kind, start, end, placeholders[key], value))
        parts += [text[cursor:start], placeholders[key]]
        cursor = end
    parts.append(text[cursor:])
    return MaskedText("".join(parts), tuple(entities))


def unmask(text: str, masked: MaskedText) -> str:
    """Put the original values back into a draft written from ``masked.text``. A placeholder the
    masking never produced (an LLM invention) is left as is, for the checks to flag."""
    values: dict[str, str] = {}
    for entity in masked.entities:
        values.setdefault(entity.placeholder, entity.value)  # first spelling wins
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(), m.group()), text)
