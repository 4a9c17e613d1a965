"""Hybrid search and the LangChain retriever contract, on a real embedded Chroma (fake embedder)."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.retriever import HybridRetriever
from knowledge_base.search import HybridSearcher, SearchFilters
from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings


@pytest.fixture
def searcher(kb_settings: KnowledgeBaseSettings) -> HybridSearcher:
    ingest(kb_settings)
    return HybridSearcher(KnowledgeIndex.open(kb_settings), RetrievalSettings(top_k=4))


def test_french_query_without_accents_finds_the_page(searcher: HybridSearcher) -> None:
    hits = searcher.search("arret maladie pendant les conges payes")
    assert hits[0].chunk.doc_id == "t:maladie"
    assert {"arret", "maladie", "conges", "payes"} <= set(hits[0].matched_terms)


def test_each_hit_explains_itself(searcher: HybridSearcher) -> None:
    hit = searcher.search("rupture conventionnelle")[0]
    assert hit.chunk.doc_id == "t:rupture" and hit.doc_rank == 1
    assert set(hit.scores) == set(hit.ranks) == {"bm25", "fake"}
    assert hit.scores["bm25"] > 0 and hit.ranks["bm25"] == 1
    k = searcher.settings.rrf_k
    assert hit.fused == pytest.approx(
        sum(searcher.weight(n) / (k + r) for n, r in hit.ranks.items()), rel=1e-4
    )
    # Every list, passage- or document-level, says where it ranked the document.
    assert set(hit.doc_ranks) == {"bm25", "bm25_doc", "fake", "fake_doc", "fake_title"}
    assert hit.doc_ranks["bm25_doc"] == 1


def test_abbreviation_expansion_reaches_the_long_form(searcher: HybridSearcher) -> None:
    # "CP" only exists as "congés payés" in the corpus.
    hits = searcher.search("combien de CP par mois", top_k=2)
    assert hits[0].chunk.doc_id == "t:conges"
    assert "conges" in hits[0].matched_terms


def test_audience_filter_keeps_only_civil_service_passages(searcher: HybridSearcher) -> None:
    hits = searcher.search("licenciement du stagiaire", SearchFilters(audience="civil-service"))
    assert hits and {h.chunk.metadata["audience"] for h in hits} <= {"civil-service", "all"}
    private = searcher.search("licenciement du stagiaire", SearchFilters(audience="private-sector"))
    assert all(h.chunk.doc_id != "faq-barri:t1" for h in private)


def test_source_filter_by_key_or_name(searcher: HybridSearcher) -> None:
    by_name = searcher.search("salarié", SearchFilters(sources=("test-mt",)), top_k=10)
    assert by_name and {h.chunk.metadata["source"] for h in by_name} == {"test-mt"}
    by_key = searcher.search("salarié", SearchFilters(sources=("faq-barri",)), top_k=10)
    assert {h.chunk.doc_id for h in by_key} == {"faq-barri:t1"}
    assert searcher.search("salarié", SearchFilters(sources=("unknown",))) == []


def test_passages_per_document_are_capped(kb_settings: KnowledgeBaseSettings) -> None:
    ingest(kb_settings)
    searcher = HybridSearcher(
        KnowledgeIndex.open(kb_settings), RetrievalSettings(max_chunks_per_doc=1, top_k=10)
    )
    hits = searcher.search("congés payés salarié")
    doc_ids = [h.chunk.doc_id for h in hits]
    assert len(doc_ids) == len(set(doc_ids))
    assert [h.doc_rank for h in hits] == sorted(h.doc_rank for h in hits)


def test_query_with_no_known_word_still_answers_from_dense(searcher: HybridSearcher) -> None:
    hits = searcher.search("zzzz qqqq")
    assert all("bm25" not in h.ranks for h in hits)


# --- retriever contract: what every retriever the drafting chain accepts must honour -------------
@pytest.fixture
def retriever(searcher: HybridSearcher) -> BaseRetriever:
    return HybridRetriever(searcher=searcher, top_k=3)


def test_retriever_contract_invoke_returns_documents_with_citation_metadata(retriever: BaseRetriever) -> None:
    docs = retriever.invoke("télétravail accord collectif")
    assert 0 < len(docs) <= 3
    assert all(isinstance(d, LCDocument) and d.page_content.strip() for d in docs)
    for key in (
        "chunk_id",
        "doc_id",
        "title",
        "url",
        "heading_path",
        "license",
        "updated",
        "scores",
        "ranks",
        "matched_terms",
        "fused_score",
        "doc_rank",
    ):
        assert all(key in d.metadata for d in docs), key
    assert docs[0].metadata["doc_id"] == "t:teletravail"
    assert docs[0].id == docs[0].metadata["chunk_id"]


def test_retriever_contract_is_deterministic_and_batchable(retriever: BaseRetriever) -> None:
    first = [d.id for d in retriever.invoke("indemnité de fin de contrat CDD")]
    again = [d.id for d in retriever.invoke("indemnité de fin de contrat CDD")]
    assert first == again
    batch = retriever.batch(["indemnité de fin de contrat CDD", "rupture conventionnelle"])
    assert [d.id for d in batch[0]] == first and batch[1][0].metadata["doc_id"] == "t:rupture"


async def test_retriever_contract_async(retriever: BaseRetriever) -> None:
    docs = await retriever.ainvoke("rupture conventionnelle")
    assert docs[0].metadata["doc_id"] == "t:rupture"
