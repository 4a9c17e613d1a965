"""Exact in-memory search of the dense collections (``knowledge_base.exact_search``), on a real
embedded Chroma: the same lists as Chroma's index where that index is exact (a small corpus), ties
broken by position, filters applied, and Chroma's index used again whenever the vectors can't be
held (too many passages, entries missing)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from knowledge_base.exact_search import ExactVectors, MissingVectors, read_vectors
from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.search import HybridSearcher, SearchFilters
from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings

QUERIES = ["arret maladie pendant les conges payes", "rupture conventionnelle", "licenciement du stagiaire"]


@pytest.fixture
def index(kb_settings: KnowledgeBaseSettings) -> KnowledgeIndex:
    ingest(kb_settings)
    return KnowledgeIndex.open(kb_settings)


def test_top_is_by_cosine_then_position_within_the_mask() -> None:
    vectors = ExactVectors.from_rows(np.array([[1, 0], [0, 3], [2, 0], [1, 1], [0, -1]], dtype=np.float32))
    assert vectors.top(np.array([5.0, 0.0]), 3) == [(0, 1.0), (2, 1.0), (3, pytest.approx(0.7071, abs=1e-4))]
    mask = np.array([False, True, False, True, True])
    assert [p for p, _ in vectors.top(np.array([1.0, 0.0]), 10, mask)] == [3, 1, 4]
    assert vectors.top(np.array([1.0, 0.0]), 5, np.zeros(5, dtype=bool)) == []


def test_lists_are_chromas_where_its_index_is_exact(index: KnowledgeIndex) -> None:
    exact = HybridSearcher(index, RetrievalSettings())
    chroma = HybridSearcher(index, RetrievalSettings(exact_search_max=0))
    assert set(exact.exact) == {"fake"} and chroma.exact == {}
    for query in QUERIES:
        for filters in (None, SearchFilters(audience="civil-service")):
            got = {lst.name: lst.scores for lst in exact.ranked_lists(query, filters)}
            want = {lst.name: lst.scores for lst in chroma.ranked_lists(query, filters)}
            assert got.keys() == want.keys() == {"bm25", "bm25_doc", "fake", "fake_doc", "fake_title"}
            for name, scores in got.items():  # same entries, same cosines (to float32 rounding)
                assert scores.keys() == want[name].keys()
                assert [scores[p] for p in sorted(scores)] == pytest.approx(
                    [want[name][p] for p in sorted(scores)], abs=1e-5
                )
            assert [h.chunk.id for h in exact.search(query, filters)] == [
                h.chunk.id for h in chroma.search(query, filters)
            ]


def test_a_kb_over_the_limit_is_searched_through_chromas_index(index: KnowledgeIndex) -> None:
    searcher = HybridSearcher(index, RetrievalSettings(exact_search_max=len(index.chunks) - 1))
    assert searcher.exact == {} and searcher.search("rupture conventionnelle")[0].scores["fake"] > 0


def test_missing_entries_fall_back_to_chroma_and_say_why(
    index: KnowledgeIndex, caplog: pytest.LogCaptureFixture
) -> None:
    dense = index.dense[0]
    with pytest.raises(MissingVectors, match="1 of 2 entries"):
        read_vectors(dense.collection, [index.chunks[0].id, "absent-id"])
    dense.collection.delete(ids=[index.chunks[0].id])
    with caplog.at_level(logging.WARNING, logger="knowledge_base.search"):
        searcher = HybridSearcher(index, RetrievalSettings())
    assert searcher.exact == {}
    assert "exact search of fake not loaded" in caplog.text and "Chroma's index is used" in caplog.text
    assert searcher.search("rupture conventionnelle")
