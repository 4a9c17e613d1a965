"""The topic of a question, from the fixed taxonomy of ``lexicon/topics_fr.yaml``.

Deterministic and cheap (regular expressions over a few hundred seed terms, no model): the masked
question's own terms count double, then each retrieved passage votes for the topic of its document
(its title and heading path, scored with the same terms) with a weight that falls with its rank.
The best score wins; nothing matched → the taxonomy's fallback (« Autre question »)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import yaml

LEXICON = Path(__file__).parent / "lexicon" / "topics_fr.yaml"
QUESTION_WEIGHT = 2.0
PASSAGE_WEIGHTS = (1.5, 1.0, 0.6, 0.4, 0.3)  # by rank; passages beyond these do not vote
WHOLE_WORD_MAX = 4  # a term this short must be a whole word
DOC_TOPIC_CACHE = 8192  # (title, headings) pairs: the KB's documents, with room to spare


class PassageLike(Protocol):
    @property
    def title(self) -> str: ...

    @property
    def heading_path(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    terms: tuple[str, ...]


def normalise(text: str) -> str:
    """Lower case, no accents, apostrophes and hyphens as spaces (« l'accident » → « l accident »)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s'’\-]+", " ", text)


def _pattern(term: str) -> str:
    words = normalise(term).split()
    body = r"\s+".join(re.escape(w) for w in words)
    whole = len(words) == 1 and len(words[0]) <= WHOLE_WORD_MAX
    return rf"\b{body}\b" if whole else rf"\b{body}"


def _weight(term: str) -> float:
    return 1.0 + 0.5 * (len(term.split()) - 1)


class Taxonomy:
    def __init__(self, topics: Sequence[Topic], fallback: str) -> None:
        self.topics = list(topics)
        self.by_id = {t.id: t for t in self.topics}
        if fallback not in self.by_id:
            raise ValueError(f"fallback topic {fallback!r} is not in the taxonomy")
        self.fallback = fallback
        self._doc_topics: dict[tuple[str, tuple[str, ...]], str | None] = {}
        # Each term with its first word: a plain substring test skips the regex of the ~400 terms
        # a text cannot contain (scoring was ~1 ms a draft, almost all of it regex calls).
        self._terms: list[tuple[str, str, re.Pattern[str], float]] = [
            (t.id, normalise(term).split()[0], re.compile(_pattern(term)), _weight(term))
            for t in self.topics
            for term in t.terms
            if normalise(term).split()
        ]

    @classmethod
    def load(cls, path: Path = LEXICON) -> Taxonomy:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        topics = [
            Topic(str(t["id"]), str(t["label"]), tuple(str(x) for x in t.get("terms") or []))
            for t in data.get("topics") or []
        ]
        ids = [t.id for t in topics]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate topic ids in {path}")
        return cls(topics, str(data.get("fallback", "autre")))

    def canonical(self, value: str) -> str | None:
        """The id a client meant: the id itself, or its id / label spelt loosely (case, accents,
        spaces for hyphens: « congés », « Temps de travail »); None when it names no topic."""
        if value in self.by_id:
            return value
        key = normalise(value).strip().replace(" ", "-").replace("_", "-")
        for topic in self.topics:
            if key in (topic.id, normalise(topic.label).strip().replace(" ", "-")):
                return topic.id
        return None

    def label_of(self, topic: str | None) -> str:
        """An id's French label; a value stored before the taxonomy as is; none: « Sans thème »."""
        if not topic:
            return "Sans thème"
        known = self.by_id.get(topic)
        return known.label if known else topic

    def ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def listing(self) -> list[dict[str, str]]:
        return [{"id": t.id, "label": t.label} for t in self.topics]

    def scores(self, text: str) -> dict[str, float]:
        """Topic → summed weights of its terms found in ``text`` (each term counted once)."""
        norm = normalise(text)
        out: dict[str, float] = defaultdict(float)
        for topic, first_word, pattern, weight in self._terms:
            if first_word in norm and pattern.search(norm):
                out[topic] += weight
        return dict(out)

    def best(self, scores: dict[str, float]) -> str | None:
        """Highest score; ties go to the topic listed first in the file (deterministic)."""
        order = {t: i for i, t in enumerate(self.ids())}
        ranked = sorted((t for t, s in scores.items() if s > 0), key=lambda t: (-scores[t], order[t]))
        return ranked[0] if ranked else None

    def document_topic(self, title: str, headings: Iterable[str] = ()) -> str | None:
        """A document's topic: its title weighs double its headings (breadcrumb or heading path).
        Memoised: the same passages come back draft after draft (~1 ms each to score)."""
        key = (title, tuple(headings))
        if key not in self._doc_topics:
            if len(self._doc_topics) >= DOC_TOPIC_CACHE:
                self._doc_topics.clear()
            self._doc_topics[key] = self._document_topic(title, key[1])
        return self._doc_topics[key]

    def _document_topic(self, title: str, headings: tuple[str, ...]) -> str | None:
        scores = defaultdict(float, {t: 2 * s for t, s in self.scores(title).items()})
        for topic, score in self.scores(" ; ".join(h for h in headings if h)).items():
            scores[topic] += score
        return self.best(dict(scores))

    def infer(self, question: str, passages: Sequence[PassageLike] = ()) -> str:
        """The question's topic id (the fallback when nothing matches)."""
        scores: dict[str, float] = defaultdict(float)
        for topic, score in self.scores(question).items():
            scores[topic] += QUESTION_WEIGHT * score
        for weight, passage in zip(PASSAGE_WEIGHTS, passages, strict=False):
            voted = self.document_topic(passage.title, passage.heading_path)
            if voted is not None:
                scores[voted] += weight
        return self.best(dict(scores)) or self.fallback


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    return Taxonomy.load()


def infer_topic(question_masked: str, passages: Sequence[PassageLike] = ()) -> str:
    return taxonomy().infer(question_masked, passages)
