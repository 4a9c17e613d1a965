"""Which sentence of a passage backs a cited sentence of the draft — what the panel highlights."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.pipeline.sentences import PASSAGE_CACHE, split_sentences
from assistant.pipeline.types import Passage
from knowledge_base.analysis import fold

_WORD = re.compile(r"[a-z0-9]{3,}")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(fold(text)))


@lru_cache(maxsize=PASSAGE_CACHE)  # a passage's sentences, read again for every draft citing it
def _sentence_words(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((s, frozenset(_words(s))) for s in split_sentences(text))


def cited_sentences(draft: str, passage: Passage) -> list[str]:
    """For each draft sentence citing [passage.n], the passage sentence sharing most words with it."""
    marker = f"[{passage.n}]"
    candidates = _sentence_words(passage.text)
    found: list[str] = []
    for sentence in split_sentences(draft):
        if marker not in sentence or not candidates:
            continue
        words = _words(sentence.replace(marker, ""))
        best, overlap = max(
            ((s, len(words & w) / max(1, len(words))) for s, w in candidates), key=lambda x: x[1]
        )
        if overlap > 0 and best not in found:
            found.append(best)
    return found
