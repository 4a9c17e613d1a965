"""Hybrid search: BM25 + each dense embedder, fused by weighted reciprocal rank fusion.

Fusion happens at the document level (a document's rank in a list is the rank of its best
chunk there): the labels, the citations and the agent's mental model are documents, and a
long page should not crowd out the others with five near-identical chunks. Each document then
contributes its best passages, each carrying its scores, ranks and matched terms — the panel
shows *why* a passage was chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from knowledge_base import vector_store
from knowledge_base.documents import Chunk
from knowledge_base.index import KnowledgeIndex
from knowledge_base.settings import RetrievalSettings

AudienceFilter = Literal["private-sector", "civil-service"]


@dataclass(frozen=True)
class SearchFilters:
    sources: tuple[str, ...] = ()  # source keys (sp, mt, contrib, faq-cdtn, faq-barri…) or source names
    audience: AudienceFilter | None = None


@dataclass
class Hit:
    chunk: Chunk
    doc_rank: int  # 1-based rank of the document after fusion
    fused: float
    scores: dict[str, float] = field(default_factory=dict)  # list name → raw score (bm25, cosine)
    ranks: dict[str, int] = field(default_factory=dict)  # list name → 1-based chunk rank in that list
    matched_terms: list[str] = field(default_factory=list)


@dataclass
class _RankedList:
    name: str
    chunk_scores: dict[int, float]  # chunk position → score, only candidates

    def chunk_ranks(self) -> dict[int, int]:
        order = sorted(self.chunk_scores, key=lambda p: -self.chunk_scores[p])
        return {p: r for r, p in enumerate(order, start=1)}


class HybridSearcher:
    def __init__(self, index: KnowledgeIndex, settings: RetrievalSettings) -> None:
        self.index, self.settings = index, settings
        self._source_key = index.metadata_array("source_key")
        self._source_name = index.metadata_array("source")
        self._audience = index.metadata_array("audience")

    # -- filters ---------------------------------------------------------------------------
    def _chroma_filters(self, filters: SearchFilters) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if filters.sources:
            out["sources"] = sorted(filters.sources)
        if filters.audience:
            out["audience"] = [filters.audience, "all"]
        return out

    def _mask(self, chroma_filters: dict[str, list[str]]) -> np.ndarray | None:
        if not chroma_filters:
            return None
        mask = np.ones(len(self.index.chunks), dtype=bool)
        if "sources" in chroma_filters:
            wanted = chroma_filters["sources"]
            mask &= np.isin(self._source_key, wanted) | np.isin(self._source_name, wanted)
        if "audience" in chroma_filters:
            mask &= np.isin(self._audience, chroma_filters["audience"])
        return mask

    # -- ranked lists ------------------------------------------------------------------------
    def _bm25_list(self, query: str, mask: np.ndarray | None, n: int) -> _RankedList:
        scores = self.index.bm25.scores(query)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        n = min(n, int(np.count_nonzero(scores)))
        top = np.argpartition(-scores, n - 1)[:n] if n else np.array([], dtype=np.int64)
        return _RankedList("bm25", {int(p): float(scores[p]) for p in top})

    def _dense_lists(self, query: str, filters: dict[str, list[str]], n: int) -> list[_RankedList]:
        lists = []
        for dense in self.index.dense:
            vector = dense.embedder.embed_query_array(query)
            found = vector_store.query(dense.collection, vector, n, filters)
            pos = self.index.chunk_pos
            lists.append(_RankedList(dense.name, {pos[cid]: sim for cid, sim in found if cid in pos}))
        return lists

    def ranked_lists(self, query: str, filters: SearchFilters | None = None) -> list[_RankedList]:
        chroma_filters = self._chroma_filters(filters or SearchFilters())
        n = self.settings.candidates
        return [
            self._bm25_list(query, self._mask(chroma_filters), n),
            *self._dense_lists(query, chroma_filters, n),
        ]

    # -- fusion ------------------------------------------------------------------------------
    def _weight(self, name: str) -> float:
        return float(self.settings.weights.get(name, 1.0))

    def fuse(self, lists: Sequence[_RankedList]) -> tuple[list[int], dict[int, float], list[dict[int, int]]]:
        """Return (documents by fused score, chunk fused scores, per-list chunk ranks)."""
        k = self.settings.rrf_k
        doc_score: dict[int, float] = {}
        chunk_score: dict[int, float] = {}
        all_ranks = []
        for lst in lists:
            w = self._weight(lst.name)
            ranks = lst.chunk_ranks()
            all_ranks.append(ranks)
            seen_docs: dict[int, int] = {}
            for pos, rank in sorted(ranks.items(), key=lambda item: item[1]):
                chunk_score[pos] = chunk_score.get(pos, 0.0) + w / (k + rank)
                doc = int(self.index.chunk_doc[pos])
                if doc not in seen_docs:  # the document's rank = rank among documents of its best chunk
                    seen_docs[doc] = len(seen_docs) + 1
                    doc_score[doc] = doc_score.get(doc, 0.0) + w / (k + seen_docs[doc])
        docs = sorted(doc_score, key=lambda d: (-doc_score[d], d))
        return docs, chunk_score, all_ranks

    def search_documents(self, query: str, filters: SearchFilters | None = None, n: int = 10) -> list[str]:
        """Document ids by fused rank — what the retrieval metrics are computed on."""
        docs, _, _ = self.fuse(self.ranked_lists(query, filters))
        return [self.index.doc_ids[d] for d in docs[:n]]

    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> list[Hit]:
        top_k = top_k or self.settings.top_k
        lists = self.ranked_lists(query, filters)
        docs, chunk_score, all_ranks = self.fuse(lists)
        by_doc: dict[int, list[int]] = {}
        for pos in sorted(chunk_score, key=lambda p: -chunk_score[p]):
            by_doc.setdefault(int(self.index.chunk_doc[pos]), []).append(pos)
        hits: list[Hit] = []
        query_words = self.index.bm25.analyzer.words(query)
        for doc_rank, doc in enumerate(docs, start=1):
            for pos in by_doc[doc][: self.settings.max_chunks_per_doc]:
                if len(hits) == top_k:
                    return hits
                hits.append(self._hit(pos, doc_rank, chunk_score[pos], lists, all_ranks, query_words))
        return hits

    def _hit(
        self,
        pos: int,
        doc_rank: int,
        fused: float,
        lists: Sequence[_RankedList],
        all_ranks: list[dict[int, int]],
        query_words: list[str],
    ) -> Hit:
        chunk = self.index.chunks[pos]
        scores = {lst.name: round(lst.chunk_scores[pos], 4) for lst in lists if pos in lst.chunk_scores}
        ranks = {lst.name: r[pos] for lst, r in zip(lists, all_ranks, strict=True) if pos in r}
        return Hit(chunk, doc_rank, round(fused, 6), scores, ranks, self.matched_terms(query_words, pos))

    def matched_terms(self, query_words: list[str], position: int) -> list[str]:
        """Query words (folded, expansions included) whose stem occurs in the passage, title or headings."""
        bm25 = self.index.bm25
        out: list[str] = []
        for word in query_words:
            if word not in out and bm25.contains(bm25.analyzer.term_of(word), position):
                out.append(word)
        return out
