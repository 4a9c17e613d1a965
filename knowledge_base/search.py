"""Hybrid search: BM25 and dense lists at passage and document level, fused by weighted RRF.

Lists (each skipped when its weight is 0):
- ``bm25`` — passages, title and headings weighted; ``bm25_doc`` — whole documents;
- per embedder E: ``E`` — passages; ``E_doc`` — each document's mean passage vector;
  ``E_title`` — each document's title vector.
Fusion happens at document level (a document's rank in a passage list is the rank of its best
passage): the labels, the citations and the agent's mental model are documents, and a long page
should not crowd out the others with five near-identical passages. Each document then contributes
its best passages, each carrying its scores, ranks and matched terms — the panel shows *why* a
passage was chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from knowledge_base import vector_store
from knowledge_base.documents import Chunk
from knowledge_base.exact_search import ExactVectors, read_vectors
from knowledge_base.index import DenseIndex, KnowledgeIndex
from knowledge_base.settings import RetrievalSettings

log = logging.getLogger(__name__)
AudienceFilter = Literal["private-sector", "civil-service"]
MIN_SHARE_FOR_LOCAL_FILTER = 0.25
MAX_OVERFETCH = 1000


@dataclass(frozen=True)
class SearchFilters:
    sources: tuple[str, ...] = ()  # source keys (sp, mt, contrib, faq-cdtn, faq-barri…) or source names
    audience: AudienceFilter | None = None


@dataclass
class Hit:
    chunk: Chunk
    doc_rank: int  # 1-based rank of the document after fusion
    fused: float  # the passage's own fused score (passage lists only)
    doc_agreement: float = 0.0  # the document's fused score / the best possible (1 = first in every list)
    scores: dict[str, float] = field(default_factory=dict)  # passage list → raw score (bm25, cosine)
    ranks: dict[str, int] = field(default_factory=dict)  # passage list → 1-based rank in that list
    doc_ranks: dict[str, int] = field(default_factory=dict)  # every list → rank of this passage's document
    matched_terms: list[str] = field(default_factory=list)


class SearchHits(list[Hit]):
    """The hits, and the dense lists that could not be searched this time (vector store down):
    empty when the search was complete; every embedder named: keyword (BM25) results only."""

    unavailable: tuple[str, ...] = ()


@dataclass
class RankedList:
    name: str
    level: Literal["chunk", "doc"]
    scores: dict[int, float]  # chunk or document position → score, candidates only

    def ranks(self) -> dict[int, int]:
        order = sorted(self.scores, key=lambda p: -self.scores[p])
        return {p: r for r, p in enumerate(order, start=1)}


@dataclass
class Fusion:
    docs: list[int]  # document positions, best first
    doc_scores: dict[int, float]
    chunk_scores: dict[int, float]  # fused over passage lists only
    chunk_ranks: dict[str, dict[int, int]]  # passage list → chunk position → rank
    doc_ranks: dict[str, dict[int, int]]  # every list → document position → rank


def _top(scores: np.ndarray, n: int) -> dict[int, float]:
    n = min(n, int(np.count_nonzero(scores > 0)))
    top = np.argpartition(-scores, n - 1)[:n] if n else np.array([], dtype=np.int64)
    return {int(p): float(scores[p]) for p in top}


@dataclass(frozen=True)
class ExactDense:
    """One embedder's vectors held in memory: its passages by position, and its document-level
    entries as Chroma holds them in one collection — row d the mean of document d, row D + d its
    title — so that a search asks, as of Chroma, for neighbours of both kinds at once."""

    chunks: ExactVectors
    docs: ExactVectors
    n_docs: int

    @classmethod
    def load(cls, dense: DenseIndex, index: KnowledgeIndex) -> ExactDense:
        n_docs = len(index.doc_ids)
        entries = [""] * (2 * n_docs)
        for entry, doc in index.doc_entry_pos.items():
            entries[doc if "@mean-" in entry else n_docs + doc] = entry
        return cls(
            ExactVectors.from_rows(read_vectors(dense.collection, [c.id for c in index.chunks])),
            ExactVectors.from_rows(read_vectors(dense.doc_collection, entries)),
            n_docs,
        )


class HybridSearcher:
    def __init__(self, index: KnowledgeIndex, settings: RetrievalSettings) -> None:
        self.index, self.settings = index, settings
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(index.dense)), thread_name_prefix="hra-embed")
        self._chunk_meta = {k: index.metadata_array(k) for k in ("source_key", "source", "audience")}
        self._doc_meta = {k: index.doc_metadata_array(k) for k in ("source_key", "source", "audience")}
        self.exact: dict[str, ExactDense] = {}
        if 0 < len(index.chunks) <= settings.exact_search_max:
            for dense in index.dense:
                try:
                    if dense.name not in index.exact_vectors:
                        index.exact_vectors[dense.name] = ExactDense.load(dense, index)
                    self.exact[dense.name] = index.exact_vectors[dense.name]
                except Exception as exc:  # server down, entries missing: Chroma answers (or says why)
                    log.warning("exact search of %s not loaded (%s): Chroma's index is used", dense.name, exc)

    def weight(self, name: str) -> float:
        return float(self.settings.weights.get(name, 1.0))

    # -- filters ---------------------------------------------------------------------------
    @staticmethod
    def _store_filters(filters: SearchFilters) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if filters.sources:
            out["sources"] = sorted(filters.sources)
        if filters.audience:
            out["audience"] = [filters.audience, "all"]
        return out

    @staticmethod
    def _mask(meta: dict[str, np.ndarray], store_filters: dict[str, list[str]]) -> np.ndarray | None:
        if not store_filters:
            return None
        mask = np.ones(len(meta["audience"]), dtype=bool)
        if "sources" in store_filters:
            wanted = store_filters["sources"]
            mask &= np.isin(meta["source_key"], wanted) | np.isin(meta["source"], wanted)
        if "audience" in store_filters:
            mask &= np.isin(meta["audience"], store_filters["audience"])
        return mask

    # -- ranked lists ------------------------------------------------------------------------
    def ranked_lists(
        self, query: str, filters: SearchFilters | None = None, unavailable: list[str] | None = None
    ) -> list[RankedList]:
        """Every list with a weight > 0. Embedders run in parallel threads: their native code
        releases the GIL, so on two cores the query costs about the slowest embedder, not the sum.

        ``unavailable``: when given, an embedder whose vector store fails (a Chroma server down) is
        named there and its lists are left out — the others still answer; when None, it raises
        (metrics must not be computed on a partial search without saying so)."""
        store_filters = self._store_filters(filters or SearchFilters())
        jobs = [d for d in self.index.dense if any(self.weight(w) > 0 for w in self._dense_names(d.name))]
        futures = [(d.name, self._pool.submit(self._dense_lists, d, query, store_filters)) for d in jobs]
        lists = self._bm25_lists(query, store_filters)
        for name, future in futures:
            try:
                lists.extend(future.result())
            except Exception as exc:
                if unavailable is None:
                    raise
                log.warning("dense list %s unavailable (%s): keyword lists only", name, type(exc).__name__)
                unavailable.append(name)
        return lists

    @staticmethod
    def _dense_names(name: str) -> tuple[str, str, str]:
        return name, f"{name}_doc", f"{name}_title"

    def _bm25_lists(self, query: str, store_filters: dict[str, list[str]]) -> list[RankedList]:
        n, lists = self.settings.candidates, []
        for name, level, index, meta in (
            ("bm25", "chunk", self.index.bm25, self._chunk_meta),
            ("bm25_doc", "doc", self.index.bm25_doc, self._doc_meta),
        ):
            if self.weight(name) > 0:
                scores = index.scores(query)
                mask = self._mask(meta, store_filters)
                lists.append(RankedList(name, level, _top(scores if mask is None else scores * mask, n)))  # type: ignore[arg-type]
        return lists

    def _dense_lists(
        self, dense: DenseIndex, query: str, store_filters: dict[str, list[str]]
    ) -> list[RankedList]:
        n, lists = self.settings.candidates, []
        passages, means, titles = self._dense_names(dense.name)
        vector = dense.embedder.embed_query_array(query)
        exact = self.exact.get(dense.name)
        if exact is not None:
            return self._exact_lists(exact, vector, store_filters, dense.name)
        if self.weight(passages) > 0:
            found = self._filtered_query(dense.collection, vector, n, store_filters, self._chunk_meta)
            pos = self.index.chunk_pos
            lists.append(RankedList(passages, "chunk", {pos[c]: s for c, s in found if c in pos}))
        wanted = [
            (name, kind) for name, kind in ((means, "mean"), (titles, "title")) if self.weight(name) > 0
        ]
        if wanted:
            # One query for both kinds: a `where` on kind makes Chroma pre-filter, ~3x slower than
            # asking for twice as many neighbours and splitting them here.
            found = self._filtered_query(
                dense.doc_collection, vector, n * len(wanted), store_filters, self._doc_meta
            )
            dpos = self.index.doc_entry_pos
            for name, kind in wanted:
                marker = f"@{kind}-"
                hits = [(dpos[e], s) for e, s in found if marker in e and e in dpos][:n]
                lists.append(RankedList(name, "doc", dict(hits)))
        return lists

    def _exact_lists(
        self, exact: ExactDense, vector: np.ndarray, store_filters: dict[str, list[str]], name: str
    ) -> list[RankedList]:
        """The lists ``_dense_lists`` asks Chroma for, the same way (document means and titles drawn
        together, then split), from the in-memory vectors."""
        n, lists = self.settings.candidates, []
        passages, means, titles = self._dense_names(name)
        if self.weight(passages) > 0:
            found = exact.chunks.top(vector, n, self._mask(self._chunk_meta, store_filters))
            lists.append(RankedList(passages, "chunk", dict(found)))
        wanted = [(name, kind) for name, kind in ((means, 0), (titles, 1)) if self.weight(name) > 0]
        if wanted:
            mask = self._mask(self._doc_meta, store_filters)
            found = exact.docs.top(vector, n * len(wanted), None if mask is None else np.tile(mask, 2))
            for list_name, kind in wanted:
                hits = [(row % exact.n_docs, s) for row, s in found if row // exact.n_docs == kind][:n]
                lists.append(RankedList(list_name, "doc", dict(hits)))
        return lists

    def _filtered_query(
        self,
        collection: Any,
        vector: np.ndarray,
        n: int,
        store_filters: dict[str, list[str]],
        meta: dict[str, np.ndarray],
    ) -> list[tuple[str, float]]:
        """Chroma pre-filters a `where` by scanning metadata (~13 ms here vs ~1.5 ms unfiltered). When
        the filter keeps a large share of the entries, over-fetching and filtering locally finds
        the same neighbours faster; a selective filter goes to Chroma's `where`."""
        mask = self._mask(meta, store_filters)
        if mask is None:
            return vector_store.query(collection, vector, n, {})
        share = float(mask.mean())
        if share < MIN_SHARE_FOR_LOCAL_FILTER:
            return vector_store.query(collection, vector, n, store_filters)
        found = vector_store.query(collection, vector, min(int(n / share * 1.5) + 1, MAX_OVERFETCH), {})
        keep = self._allowed_ids(meta is self._chunk_meta, mask)
        return [(entry, score) for entry, score in found if entry in keep][:n]

    def _allowed_ids(self, chunk_level: bool, mask: np.ndarray) -> set[str]:
        if chunk_level:
            return {c.id for c, ok in zip(self.index.chunks, mask, strict=True) if ok}
        return {e for e, d in self.index.doc_entry_pos.items() if mask[d]}

    # -- fusion ------------------------------------------------------------------------------
    def fuse(self, lists: Sequence[RankedList]) -> Fusion:
        k = self.settings.rrf_k
        doc_score: dict[int, float] = {}
        chunk_score: dict[int, float] = {}
        chunk_ranks: dict[str, dict[int, int]] = {}
        doc_ranks: dict[str, dict[int, int]] = {}
        for lst in lists:
            w = self.weight(lst.name)
            ranks = lst.ranks()
            if lst.level == "doc":
                doc_ranks[lst.name] = ranks
            else:
                chunk_ranks[lst.name] = ranks
                doc_ranks[lst.name] = {}
                for pos, rank in sorted(ranks.items(), key=lambda item: item[1]):
                    chunk_score[pos] = chunk_score.get(pos, 0.0) + w / (k + rank)
                    doc = int(self.index.chunk_doc[pos])
                    # A document ranks, in a passage list, where its best passage ranks among documents.
                    doc_ranks[lst.name].setdefault(doc, len(doc_ranks[lst.name]) + 1)
            for doc, rank in doc_ranks[lst.name].items():
                doc_score[doc] = doc_score.get(doc, 0.0) + w / (k + rank)
        docs = sorted(doc_score, key=lambda d: (-doc_score[d], d))
        return Fusion(docs, doc_score, chunk_score, chunk_ranks, doc_ranks)

    def search_documents(self, query: str, filters: SearchFilters | None = None, n: int = 10) -> list[str]:
        """Document ids by fused rank — what the retrieval metrics are computed on."""
        return [self.index.doc_ids[d] for d in self.fuse(self.ranked_lists(query, filters)).docs[:n]]

    def search(
        self, query: str, filters: SearchFilters | None = None, top_k: int | None = None
    ) -> SearchHits:
        """The best passages; a dense list whose store is down is left out and named in
        ``unavailable`` of the result, so the caller can say the search was keyword-only."""
        unavailable: list[str] = []
        hits = SearchHits(self._search(query, filters, top_k or self.settings.top_k, unavailable))
        hits.unavailable = tuple(unavailable)
        return hits

    def _search(
        self, query: str, filters: SearchFilters | None, top_k: int, unavailable: list[str]
    ) -> list[Hit]:
        lists = self.ranked_lists(query, filters, unavailable)
        fusion = self.fuse(lists)
        raw = {lst.name: lst.scores for lst in lists if lst.level == "chunk"}
        query_words = self.index.bm25.analyzer.words(query)
        best_possible = sum(self.weight(lst.name) for lst in lists) / (self.settings.rrf_k + 1) or 1.0
        hits: list[Hit] = []
        bm25: list[np.ndarray] = []  # computed at most once, and only if a document needs it
        for doc_rank, doc in enumerate(fusion.docs, start=1):
            for pos in self._best_passages(doc, fusion, query, bm25):
                if len(hits) == top_k:
                    return hits
                hits.append(
                    Hit(
                        chunk=self.index.chunks[pos],
                        doc_rank=doc_rank,
                        doc_agreement=round(fusion.doc_scores[doc] / best_possible, 4),
                        fused=round(fusion.chunk_scores.get(pos, 0.0), 6),
                        scores={n: round(s[pos], 4) for n, s in raw.items() if pos in s},
                        ranks={n: r[pos] for n, r in fusion.chunk_ranks.items() if pos in r},
                        doc_ranks={n: r[doc] for n, r in fusion.doc_ranks.items() if doc in r},
                        matched_terms=self.matched_terms(query_words, pos),
                    )
                )
        return hits

    def _best_passages(self, doc: int, fusion: Fusion, query: str, bm25: list[np.ndarray]) -> list[int]:
        """A document's passages by fused passage score; when only document-level lists found it,
        its passages are ordered by BM25, then by position (the page's opening)."""
        positions = self.index.doc_chunks[doc]
        ranked = sorted(
            (p for p in positions if p in fusion.chunk_scores), key=lambda p: -fusion.chunk_scores[p]
        )
        if not ranked:
            if not bm25:
                bm25.append(self.index.bm25.scores(query))
            scores = bm25[0]
            ranked = sorted(positions, key=lambda p: (-float(scores[p]), p))
        return ranked[: self.settings.max_chunks_per_doc]

    def matched_terms(self, query_words: list[str], position: int) -> list[str]:
        """Query words (folded, expansions included) whose stem occurs in the passage, title or headings."""
        bm25 = self.index.bm25
        out: list[str] = []
        for word in query_words:
            if word not in out and bm25.contains(bm25.analyzer.term_of(word), position):
                out.append(word)
        return out
