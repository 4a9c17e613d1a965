"""Keyword index over chunks (bm25s), with the French analyzer and title weighting.

Titles and heading paths are repeated in the indexed text: on this corpus most questions are
short search queries that name the topic of a page ("rupture conventionnelle"), and a term in
a page title is far stronger evidence than the same term in passing in a long page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from knowledge_base.analysis import FrenchAnalyzer
from knowledge_base.documents import Chunk
from knowledge_base.settings import Bm25Settings


def chunk_text(chunk: Chunk, title_repeat: int) -> str:
    title = str(chunk.metadata.get("title", ""))
    heads = " ".join(chunk.heading_path)
    return " ".join([title, heads] * title_repeat + [chunk.embed_text])


def document_text(chunks: Sequence[Chunk], title_repeat: int) -> str:
    """A whole document for the document-level index: weighted title, then its passages."""
    title = str(chunks[0].metadata.get("title", "")) if chunks else ""
    return " ".join([title] * (title_repeat + 1) + [c.text for c in chunks])


MAX_QUERY_TERMS = 256


class Bm25Index:
    """One bm25s index over texts (chunks or whole documents), positions in build order."""

    def __init__(self, retriever: bm25s.BM25, params: Bm25Settings) -> None:
        self._bm25, self.params = retriever, params
        self.analyzer = FrenchAnalyzer(stem=params.stem, expand=params.expand)
        self._vocab = retriever.vocab_dict

    @classmethod
    def build(cls, texts: Sequence[str], params: Bm25Settings, k1: float | None = None) -> Bm25Index:
        analyzer = FrenchAnalyzer(stem=params.stem, expand=params.expand)
        retriever = bm25s.BM25(k1=params.k1 if k1 is None else k1, b=params.b)
        corpus = [analyzer.terms(text) or [""] for text in texts]
        retriever.index(corpus, show_progress=False)
        return cls(retriever, params)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text, in index order (zeros when no query term is known)."""
        # At most MAX_QUERY_TERMS known terms: a long question costs no more than a long paragraph
        # (real questions have fewer; the longest of the datasets has ~300 words).
        terms = [t for t in self.analyzer.terms(query) if t in self._vocab][:MAX_QUERY_TERMS]
        if not terms:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def contains(self, term: str, position: int) -> bool:
        """Whether the text at ``position`` contains ``term`` (read from the index's postings)."""
        tid = self._vocab.get(term)
        if tid is None:
            return False
        s = self._bm25.scores
        return bool(np.any(s["indices"][s["indptr"][tid] : s["indptr"][tid + 1]] == position))

    def idf(self, term: str) -> float:
        """Inverse document frequency (BM25 form); 0 for a term the index does not know."""
        tid = self._vocab.get(term)
        if tid is None:
            return 0.0
        s = self._bm25.scores
        df = int(s["indptr"][tid + 1] - s["indptr"][tid])
        n = int(s["num_docs"])
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def max_idf(self) -> float:
        """The idf of a term seen once: the weight given to words the index has never seen."""
        n = int(self._bm25.scores["num_docs"])
        return float(np.log(1 + (n - 1 + 0.5) / 1.5))

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)
        (directory / "analysis.json").write_text(self.params.model_dump_json())

    @classmethod
    def load(cls, directory: Path) -> Bm25Index:
        params = Bm25Settings.model_validate(json.loads((directory / "analysis.json").read_text()))
        return cls(bm25s.BM25.load(str(directory), show_progress=False), params)
