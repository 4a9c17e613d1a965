"""Checks on a draft before the agent sees it.

- Citations: every [n] must name a passage that was retrieved and given to the drafter; others are
  removed from the text and flagged.
- Unverified facts: URLs, phone numbers, amounts, durations and article numbers in a sentence are
  looked for in the passages that sentence cites (or, for a sentence without citation, in all the
  passages); what cannot be found is flagged — the panel highlights it.
- Freshness (``freshness.py``): superseded terms, expired time-boxed measures, figures from
  sources older than a limit, and cited passages that disagree — what an extractive draft needs.
- The AI mention is appended (configurable, on by default); the agent may remove it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from assistant.pipeline.flags import Flag
from assistant.pipeline.freshness import freshness_flags
from assistant.pipeline.sentences import split_sentences
from assistant.pipeline.types import Passage
from knowledge_base.analysis import fold

CITATION = re.compile(r"\s?\[(\d{1,2})\]")
FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "url": re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]]+[^\s<>()\[\].,;:]"),
    "phone": re.compile(r"(?:\+33\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b"),
    "amount": re.compile(r"\b\d{1,3}(?:[ \u202f.]\d{3})*(?:,\d+)?\s?(?:€|euros?\b|%)"),
    "duration": re.compile(
        r"\b\d+(?:,\d+)?\s?(?:jours?|semaines?|mois|ans?|années?|heures?|h)\b(?:\s(?:ouvrables?|ouvrés?|calendaires?|francs?))?"
    ),
    "article": re.compile(r"\b(?:articles?\s+)?[LRD]\.?\s?\d{1,4}(?:-\d+)+\b|\barticles?\s+\d+(?:-\d+)*\b"),
}
FLAG_MESSAGES = {
    "invalid_citation": "Citation [{value}] ne correspond à aucun passage fourni : retirée.",
    "url": "Adresse web absente des passages cités : à vérifier.",
    "phone": "Numéro de téléphone absent des passages cités : à vérifier.",
    "amount": "Montant absent des passages cités : à vérifier.",
    "duration": "Durée absente des passages cités : à vérifier.",
    "article": "Référence d'article absente des passages cités : à vérifier.",
    "no_citation": "Le brouillon ne cite aucun passage : à vérifier entièrement.",
}


@dataclass
class CheckedDraft:
    text: str
    cited: list[int]  # passage numbers actually cited, in order of first use
    flags: list[Flag] = field(default_factory=list)
    ai_mention: bool = False


def _compact(text: str) -> str:
    """Comparable form of a value: folded, no spaces or dots/non-breaking spaces inside numbers."""
    return re.sub(r"[\s\u202f.\u00a0]", "", fold(text))


def check_draft(
    text: str,
    passages: Sequence[Passage],
    ai_mention: str | None,
    *,
    today: date | None = None,
    max_age_years: float = 3.0,
) -> CheckedDraft:
    """The checked draft: invalid citations removed, every flag with its span in the final text.

    ``today`` is the reference date for expired measures and old sources (today when None);
    ``max_age_years`` the age beyond which a source's figures are flagged."""
    known = {p.n for p in passages}
    flags: list[Flag] = []

    def keep_or_drop(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n in known:
            return match.group(0)
        flags.append(
            Flag("invalid_citation", match.group(1), FLAG_MESSAGES["invalid_citation"].format(value=n))
        )
        return ""

    text = CITATION.sub(keep_or_drop, text)
    cited = list(dict.fromkeys(int(n) for n in CITATION.findall(text)))
    if not cited:
        flags.append(Flag("no_citation", "", FLAG_MESSAGES["no_citation"]))
    flags.extend(_unverified_facts(text, {p.n: p for p in passages}))
    flags.extend(freshness_flags(text, passages, today=today, max_age_years=max_age_years))
    mention = bool(ai_mention)
    if ai_mention:
        text = f"{text.rstrip()}\n\n{ai_mention}"
    return CheckedDraft(text=text, cited=cited, flags=flags, ai_mention=mention)


def _unverified_facts(text: str, by_n: dict[int, Passage]) -> list[Flag]:
    flags: list[Flag] = []
    haystacks: dict[tuple[int, ...], str] = {}
    offset = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, offset)
        offset = start + len(sentence) if start >= 0 else offset
        numbers = tuple(sorted({int(n) for n in CITATION.findall(sentence)} & by_n.keys())) or tuple(by_n)
        if numbers not in haystacks:  # folded once per set of cited passages, not once per sentence
            sources = [by_n[n] for n in numbers]
            haystacks[numbers] = _compact(" ".join(p.text + " " + p.title + " " + p.url for p in sources))
        haystack = haystacks[numbers]
        for kind, pattern in FACT_PATTERNS.items():
            for match in pattern.finditer(CITATION.sub("", sentence)):
                value = match.group(0).strip()
                if _compact(value) not in haystack:
                    at = text.find(value, start) if start >= 0 else -1
                    flags.append(
                        Flag(kind, value, FLAG_MESSAGES[kind], at, at + len(value) if at >= 0 else -1)
                    )
    return flags
