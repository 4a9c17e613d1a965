"""French sentence splitting for passages and drafts (abbreviation-aware, list-item aware)."""

from __future__ import annotations

import re
from collections.abc import Iterator

# A sentence ends at . ! ? … followed by a space and an upper-case letter, a digit or a quote —
# unless the point ends a common abbreviation (art. 12, M. Dupont, n° …).
# How many passages each per-passage reading (sentences, units, instruction spans) keeps memoised: a
# knowledge base's texts do not change within a build, and with 4,096 the shipped base's 4,156
# chunks did not fit — a draft still re-read ~0.9 of its passages after 1,500 drafts.
PASSAGE_CACHE = 16384

_ABBREVIATIONS = (
    "art",
    "cf",
    "etc",
    "m",
    "mme",
    "mlle",
    "dr",
    "me",
    "n",
    "no",
    "p",
    "al",
    "ex",
    "env",
    "min",
    "max",
)
_BOUNDARY = re.compile(r"(?<=[.!?…])\s+(?=[«\"(A-ZÀ-ÖØ-Þ0-9])")
_OVERLAP_PREFIX = "… "


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; each line (list item, paragraph) is split on its own."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith(_OVERLAP_PREFIX):  # the repeated tail of the previous chunk
            continue
        start = 0
        for match in _BOUNDARY.finditer(line):
            before = line[start : match.start()]
            last_word = re.split(r"[\s'’]", before)[-1].rstrip(".").lower()  # "l'art." → "art"
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
            out.append(before.strip())
            start = match.end()
        if line[start:].strip():
            out.append(line[start:].strip())
    return out


def sentence_spans(text: str) -> Iterator[tuple[int, str]]:
    """Each sentence with its offset in ``text`` (what flags point at)."""
    offset = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, offset)
        if start < 0:
            continue
        offset = start + len(sentence)
        yield start, sentence
