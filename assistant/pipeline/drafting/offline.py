"""The offline extractive drafter: the embedded default, no model, no key.

It writes nothing of its own beyond a greeting, connectives and a closing: the body is 2–5
sentences taken verbatim from the top passages, chosen for the query terms they share (weighted
by rarity), each followed by its citation. Sentences keep their passage order so the reply reads
as a text, not as a ranked list of snippets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.pipeline.sentences import split_sentences
from assistant.pipeline.types import DraftText, Passage
from knowledge_base.bm25_index import Bm25Index

GREETING = "Bonjour,"
OPENING = "Voici les éléments qui répondent à votre question."
LINK = "Par ailleurs, "
CLOSING = "N'hésitez pas à revenir vers nous si vous avez besoin de précisions.\n\nCordialement,"
MIN_WORDS, MAX_WORDS = 6, 70
MAX_SENTENCES, MIN_SENTENCES, MAX_PER_PASSAGE = 5, 2, 2
_TRUNCATED = re.compile(r"\b(?:[A-Z]|art|n°)\.$")
KEEP_RATIO = 0.35  # a sentence scoring below this share of the best one is not worth the agent's reading
_LOWERABLE = re.compile(
    r"^(Le|La|Les|L'|L’|Un|Une|Des|Il|Elle|Ils|Elles|Ce|Cette|Ces|Cet|En|Dans|Pour|Si|"
    r"Lorsque|Lorsqu'|Lorsqu’|Tout|Toute|Tous|Chaque|Sauf|Avant|Après|Pendant|Au|Aux|Du|"
    r"Depuis|Quand|Cependant|Toutefois|Sous|Sur|À)\b"
)


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    position: int  # in the passage
    text: str
    score: float
    terms: frozenset[str]


class OfflineDrafter:
    def __init__(self, bm25: Bm25Index) -> None:
        self._bm25 = bm25  # its analyzer and idf give term weights consistent with retrieval

    def draft(self, question: str, passages: Sequence[Passage]) -> DraftText:
        chosen = self.select(question, passages)
        return DraftText(text=self.compose(chosen), drafter="offline", extra={"sentences": len(chosen)})

    def select(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        analyzer = self._bm25.analyzer
        weights = {t: self._bm25.idf(t) for t in set(analyzer.terms(question))}
        candidates = []
        for rank, passage in enumerate(passages):
            for position, sentence in enumerate(split_sentences(passage.text)):
                words = len(sentence.split())
                # Statements only: a question, a heading, a list item or a list intro is not an answer.
                if not MIN_WORDS <= words <= MAX_WORDS or not sentence.endswith((".", "!", "…", ".»", ".)")):
                    continue
                if _TRUNCATED.search(sentence):  # cut after "article L." by the chunker's size split
                    continue
                terms = frozenset(analyzer.terms(sentence))
                overlap = sum(w for t, w in weights.items() if t in terms)
                if overlap <= 0:
                    continue
                # Favour better-ranked passages and a passage's opening (definitions come first),
                # and do not let long sentences win by sheer length.
                score = overlap / math.sqrt(words) / (1 + 0.35 * rank) / (1 + 0.05 * position)
                candidates.append(Candidate(passage, position, sentence, score, terms))
        return self._pick(candidates)

    @staticmethod
    def _pick(candidates: list[Candidate]) -> list[Candidate]:
        picked: list[Candidate] = []
        per_passage: dict[int, int] = {}
        best = max((c.score for c in candidates), default=0.0)
        for c in sorted(candidates, key=lambda c: -c.score):
            if len(picked) == MAX_SENTENCES:
                break
            if len(picked) >= MIN_SENTENCES and c.score < KEEP_RATIO * best:
                break
            if per_passage.get(c.passage.n, 0) == MAX_PER_PASSAGE:
                continue
            if any(len(c.terms & p.terms) / max(1, len(c.terms | p.terms)) > 0.6 for p in picked):
                continue  # near-repeat of a chosen sentence (fiches repeat themselves across cases)
            picked.append(c)
            per_passage[c.passage.n] = per_passage.get(c.passage.n, 0) + 1
        return sorted(picked, key=lambda c: (c.passage.n, c.position))

    @staticmethod
    def compose(chosen: Sequence[Candidate]) -> str:
        paragraphs: list[str] = []
        current_n: int | None = None
        for c in chosen:
            sentence = cite(c.text, c.passage.n)
            if current_n is None or c.passage.n != current_n:
                if paragraphs and _LOWERABLE.match(sentence):
                    sentence = LINK + sentence[0].lower() + sentence[1:]
                paragraphs.append(sentence)
            else:
                paragraphs[-1] += " " + sentence
            current_n = c.passage.n
        body = "\n\n".join(paragraphs) if paragraphs else ""
        return "\n\n".join(part for part in (GREETING, OPENING, body, CLOSING) if part)


def cite(sentence: str, n: int) -> str:
    """'… 30 jours ouvrables.' → '… 30 jours ouvrables [1].'"""
    sentence = sentence.rstrip()
    if sentence and sentence[-1] in ".!?…":
        return f"{sentence[:-1].rstrip()} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]."
