"""The offline extractive drafter on the small corpus's real BM25 index."""

from __future__ import annotations

import re

import pytest

from assistant.pipeline.drafting.offline import CLOSING, GREETING, OfflineDrafter
from assistant.services.drafting import passages_from_hits
from knowledge_base.index import KnowledgeIndex
from knowledge_base.ingest import ingest
from knowledge_base.search import HybridSearcher
from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings


@pytest.fixture
def index(kb_settings: KnowledgeBaseSettings) -> KnowledgeIndex:
    ingest(kb_settings)
    return KnowledgeIndex.open(kb_settings)


def draft_for(index: KnowledgeIndex, question: str) -> tuple[str, list[str]]:
    hits = HybridSearcher(index, RetrievalSettings()).search(question, top_k=4)
    passages = passages_from_hits(hits)
    return OfflineDrafter(index.bm25).draft(question, passages).text, [p.text for p in passages]


def test_reads_as_a_reply_with_cited_verbatim_sentences(index: KnowledgeIndex) -> None:
    text, passages = draft_for(index, "Combien de jours de congés payés acquiert un salarié par mois ?")
    assert text.startswith(GREETING) and text.endswith(CLOSING)
    body = [s for s in re.findall(r"[^.\n]*\[\d\][.!…]", text)]
    assert 1 <= len(body) <= 5
    assert "2,5 jours ouvrables" in text
    for (
        cited
    ) in body:  # every sentence is a passage sentence, word for word (bar the marker and a connective)
        core = re.sub(r"\s\[\d\]", "", cited).strip().removeprefix("Par ailleurs, ")
        assert any(core[1:-1] in p for p in passages), core


def test_each_citation_points_to_the_passage_it_quotes(index: KnowledgeIndex) -> None:
    question = "rupture conventionnelle et indemnité spécifique"
    hits = HybridSearcher(index, RetrievalSettings()).search(question, top_k=4)
    passages = passages_from_hits(hits)
    chosen = OfflineDrafter(index.bm25).select(question, passages)
    assert chosen
    for c in chosen:
        assert c.text in passages[c.passage.n - 1].text


def test_no_shared_term_gives_an_empty_body_not_an_invention(index: KnowledgeIndex) -> None:
    hits = HybridSearcher(index, RetrievalSettings()).search("zzz qqq", top_k=3)
    text = OfflineDrafter(index.bm25).draft("zzz qqq", passages_from_hits(hits)).text
    assert "[" not in text  # nothing to cite, nothing invented
