"""Spots questions that must go to a human with no automatic draft (harassment, violence, health,
distress, disciplinary or dismissal disputes…), with a French reason shown to the agent.

Precision matters as much as recall: agents mostly receive short searches on these very topics
("harcèlement moral", "mise à pied") and those deserve a draft. So a *topic* term routes only
together with a personal marker (first person, a masked name), while a *strong* term — wording
that only a person telling their own situation uses — always routes. The terms live in
``lexicon/sensitive_fr.yaml``, whose header documents the syntax.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.pipeline.pii import mask_pii
from knowledge_base.analysis import fold

LEXICON = Path(__file__).parent / "lexicon" / "sensitive_fr.yaml"
EXTRA_CATEGORY = "autre"
EXTRA_REASON = "Terme signalé par la configuration : à traiter par un agent, sans brouillon automatique."

_APOSTROPHES = str.maketrans({"’": "'", "`": "'", "ʼ": "'", "‘": "'"})
_SEP = r"[\s'\-]*"  # between words of a term: "burn out" = "burn-out" = "burnout"
_GAP = r"(?:\W+\w+){0,6}?\W+"  # " ... " in a term: up to six words in between
_MASKED_NAME = re.compile(r"\[nom_\d+\]")  # a name mask_pii replaced: a specific person is involved


@dataclass(frozen=True)
class SensitiveMatch:
    """Why a question is routed to a human: its category, the lexicon term found, and the reason
    shown to the agent. ``term`` is a lexicon entry, never question text, so it may be logged."""

    category: str
    term: str
    reason: str


def normalise(text: str) -> str:
    """Lower case, no accents, one kind of apostrophe: the form terms and texts are matched in."""
    return fold(text).translate(_APOSTROPHES)


def _piece_regex(piece: str) -> str:
    return re.escape(piece[:-1]) + r"\w*" if piece.endswith("*") else re.escape(piece)


def _slot_regex(slot: str) -> str:
    """One word slot: alternatives split by "|", each maybe with apostrophes or hyphens (m'a, d')."""
    alternatives = [
        _SEP.join(_piece_regex(p) for p in re.split(r"['\-]+", alt) if p) for alt in slot.split("|") if alt
    ]
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def _phrase_regex(phrase: str) -> str:
    return _SEP.join(_slot_regex(slot) for slot in phrase.split())


def term_regex(term: str) -> str:
    """The regular expression for one lexicon term (syntax in the lexicon's header)."""
    parts = [p.strip() for p in normalise(term).split("...")]
    return r"(?<!\w)(?:" + _GAP.join(_phrase_regex(p) for p in parts) + r")(?!\w)"


@dataclass(frozen=True)
class TermSet:
    """Terms compiled into one alternation; each term is a named group so a search says which."""

    terms: tuple[str, ...]
    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, terms: Sequence[str]) -> TermSet:
        kept = tuple(t.strip() for t in terms if t and t.strip())
        if not kept:
            return cls((), None)
        alternation = "|".join(f"(?P<t{i}>{term_regex(t)})" for i, t in enumerate(kept))
        return cls(kept, re.compile(alternation))

    def blank(self, normalised: str) -> str:
        """The text with every occurrence of the terms replaced by a space."""
        return self.pattern.sub(" ", normalised) if self.pattern else normalised

    def find(self, normalised: str) -> str | None:
        match = self.pattern.search(normalised) if self.pattern else None
        if match is None or match.lastgroup is None:
            return None
        return self.terms[int(match.lastgroup[1:])]


@dataclass(frozen=True)
class Category:
    name: str
    reason: str  # what the situation is, and that it goes to a person
    strong: TermSet
    topic: TermSet
    action: str = ""  # « Que faire : … » — what the agent should do instead of sending a draft

    @property
    def message(self) -> str:
        return f"{self.reason} {self.action}".strip()


@dataclass(frozen=True)
class SensitiveLexicon:
    categories: tuple[Category, ...]
    markers: TermSet
    request_phrases: TermSet
    ignore: TermSet

    @classmethod
    def load(cls, path: Path = LEXICON) -> SensitiveLexicon:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        categories = tuple(
            Category(
                name,
                " ".join(str(spec["reason"]).split()),
                TermSet.of(spec.get("strong") or []),
                TermSet.of(spec.get("topic") or []),
                " ".join(str(spec.get("action") or "").split()),
            )
            for name, spec in (data.get("categories") or {}).items()
        )
        return cls(
            categories,
            markers=TermSet.of(data.get("personal_markers") or []),
            request_phrases=TermSet.of(data.get("request_phrases") or []),
            ignore=TermSet.of(data.get("ignore") or []),
        )

    def is_personal(self, text: str, normalised: str) -> bool:
        """Whether the text speaks about a particular person: first person or a named person —
        masked ([NOM_1]) or, when the text did not go through mask_pii, a civility and a name."""
        if self.markers.find(self.request_phrases.blank(normalised)) is not None:
            return True
        return _MASKED_NAME.search(normalised) is not None or "NAME" in mask_pii(text).kinds

    def detect(self, text: str, extra_terms: Sequence[str] = ()) -> SensitiveMatch | None:
        normalised = self.ignore.blank(normalise(text))
        personal: bool | None = None  # computed once, and only if a topic term needs it
        for category in self.categories:
            term = category.strong.find(normalised)
            if term is None and category.topic.pattern is not None:
                if personal is None:
                    personal = self.is_personal(text, normalised)
                term = category.topic.find(normalised) if personal else None
            if term is not None:
                return SensitiveMatch(category.name, term, category.message)
        extra = _extra_terms(tuple(extra_terms)).find(normalised)
        return SensitiveMatch(EXTRA_CATEGORY, extra, EXTRA_REASON) if extra is not None else None

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)


@lru_cache(maxsize=32)
def _extra_terms(terms: tuple[str, ...]) -> TermSet:
    return TermSet.of(terms)


@lru_cache(maxsize=1)
def default_lexicon() -> SensitiveLexicon:
    return SensitiveLexicon.load()


def detect_sensitive(text: str, extra_terms: Sequence[str] = ()) -> SensitiveMatch | None:
    """The first sensitive category found in ``text`` (most urgent first), or None.

    ``extra_terms`` (settings) use the lexicon syntax and always route, under category "autre".
    Works on masked text: a placeholder such as [NOM_1] counts as a named person.
    """
    return default_lexicon().detect(text, extra_terms)
