"""French analysis for keyword search: folding, elision, stopwords, light stemming, HR expansions.

Accents are folded *before* stemming so that "conges payes" (typed without accents, as most
queries are) and "congés payés" reach the same stems. Expansions come from a YAML lexicon and
are applied on both sides, so an abbreviation and its long form meet whichever side uses which.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

LEXICON = Path(__file__).parent / "lexicon" / "fr_hr_expansions.yaml"
_TOKEN = re.compile(r"[a-z0-9]+")
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’`]", re.IGNORECASE)
_EXTRA_STOPWORDS = {
    "a",
    "y",
    "est",
    "etre",
    "peut",
    "faut",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "comment",
    "combien",
    "ou",
    "si",
    "cas",
    "lors",
    "dont",
    "cela",
    "ca",
}


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# Precomputed for Latin letters (what French uses): str.translate is ~20x faster than NFKD per character,
# and folding the whole corpus is the bulk of the BM25 build time.
_FOLD_TABLE = {cp: _strip_marks(chr(cp)) for cp in range(0xC0, 0x250) if _strip_marks(chr(cp)) != chr(cp)}
_FOLD_TABLE.update({ord("œ"): "oe", ord("æ"): "ae"})


def fold(text: str) -> str:
    """Lower-case and strip accents (é → e, œ → oe) — the form every index key is built from.

    NFC first so that decomposed input (e + combining accent, as some keyboards and PDFs produce)
    folds like the composed form; what stays non-ASCII is punctuation, which tokenising drops.
    """
    return unicodedata.normalize("NFC", text).lower().translate(_FOLD_TABLE)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_FRENCH

    return frozenset({fold(w) for w in STOPWORDS_FRENCH} | _EXTRA_STOPWORDS)


@dataclass(frozen=True)
class FrenchAnalyzer:
    """Turns text into BM25 terms; ``stem`` and ``expand`` can be switched off for comparisons."""

    stem: bool = True
    expand: bool = True
    lexicon_path: Path = LEXICON

    @cached_property
    def _lexicon(self) -> tuple[dict[str, list[str]], dict[str, list[str]], re.Pattern[str] | None]:
        data = yaml.safe_load(self.lexicon_path.read_text(encoding="utf-8")) or {}
        abbreviations = {fold(k): self._words(fold(v)) for k, v in (data.get("abbreviations") or {}).items()}
        phrases = {fold(k): self._words(fold(v)) for k, v in (data.get("phrases") or {}).items()}
        # One alternation, longest first, scanned once per text (not one search per phrase).
        alternation = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        return abbreviations, phrases, re.compile(rf"\b(?:{alternation})\b") if phrases else None

    @cached_property
    def _stemmer(self) -> object:
        import Stemmer

        return Stemmer.Stemmer("french")

    @staticmethod
    def _words(folded: str) -> list[str]:
        stop = _stopwords()
        return [
            w
            for w in _TOKEN.findall(_ELISION.sub(" ", folded))
            if (w not in stop and len(w) > 1) or w.isdigit()
        ]

    def words(self, text: str) -> list[str]:
        """Folded words (no stemming), with expansions: what 'matched terms' are shown in."""
        folded = fold(text)
        words = self._words(folded)
        if not self.expand:
            return words
        abbreviations, phrases, pattern = self._lexicon
        found = dict.fromkeys(m.group(0) for m in pattern.finditer(folded)) if pattern else {}
        extra = [w for phrase in found for w in phrases[phrase]]
        extra += [x for w in words for x in abbreviations.get(w, [])]
        return words + extra

    def terms_unexpanded(self, text: str) -> list[str]:
        """The text's own terms, without lexicon expansions (what the question actually says)."""
        words = self._words(fold(text))
        return self._stemmer.stemWords(words) if self.stem else words  # type: ignore[attr-defined,no-any-return]

    def terms(self, text: str) -> list[str]:
        words = self.words(text)
        return self._stemmer.stemWords(words) if self.stem else words  # type: ignore[attr-defined,no-any-return]

    def term_of(self, word: str) -> str:
        return self._stemmer.stemWord(word) if self.stem else word  # type: ignore[attr-defined,no-any-return]
