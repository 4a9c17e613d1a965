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


def fold(text: str) -> str:
    """Lower-case and strip accents (é → e, œ → oe) — the form every index key is built from."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


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
    def _lexicon(self) -> tuple[dict[str, list[str]], list[tuple[re.Pattern[str], str]]]:
        data = yaml.safe_load(self.lexicon_path.read_text(encoding="utf-8")) or {}
        abbreviations = {fold(k): self._words(v) for k, v in (data.get("abbreviations") or {}).items()}
        phrases = [
            (re.compile(rf"\b{re.escape(fold(k))}\b"), fold(v))
            for k, v in (data.get("phrases") or {}).items()
        ]
        return abbreviations, phrases

    @cached_property
    def _stemmer(self) -> object:
        import Stemmer

        return Stemmer.Stemmer("french")

    def _words(self, text: str) -> list[str]:
        stop = _stopwords()
        return [
            w
            for w in _TOKEN.findall(fold(_ELISION.sub(" ", text)))
            if (w not in stop and len(w) > 1) or w.isdigit()
        ]

    def words(self, text: str) -> list[str]:
        """Folded words (no stemming), with expansions: what 'matched terms' are shown in."""
        words = self._words(text)
        if not self.expand:
            return words
        abbreviations, phrases = self._lexicon
        folded = fold(text)
        extra = [w for pattern, repl in phrases if pattern.search(folded) for w in self._words(repl)]
        extra += [x for w in words for x in abbreviations.get(w, [])]
        return words + extra

    def terms(self, text: str) -> list[str]:
        words = self.words(text)
        return self._stemmer.stemWords(words) if self.stem else words  # type: ignore[attr-defined,no-any-return]

    def term_of(self, word: str) -> str:
        return self._stemmer.stemWord(word) if self.stem else word  # type: ignore[attr-defined,no-any-return]
