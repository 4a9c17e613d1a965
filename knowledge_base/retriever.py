"""The hybrid search as a LangChain ``BaseRetriever`` (what the drafting chain plugs into)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from knowledge_base.search import Hit, HybridSearcher, SearchFilters


def hit_to_document(hit: Hit) -> LCDocument:
    """A passage plus everything the panel needs to explain it (scores, ranks, matched terms)."""
    chunk = hit.chunk
    metadata: dict[str, Any] = {
        **chunk.metadata,
        "chunk_id": chunk.id,
        "doc_id": chunk.doc_id,
        "heading_path": list(chunk.heading_path),
        "doc_rank": hit.doc_rank,
        "doc_agreement": hit.doc_agreement,
        "fused_score": hit.fused,
        "scores": hit.scores,
        "ranks": hit.ranks,
        "matched_terms": hit.matched_terms,
    }
    return LCDocument(page_content=chunk.text, metadata=metadata, id=chunk.id)


class HybridRetriever(BaseRetriever):
    """BM25 + dense embedders fused by RRF; filters and top_k fixed per retriever instance."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: HybridSearcher
    filters: SearchFilters | None = None
    top_k: int | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
    ) -> list[LCDocument]:
        return [hit_to_document(h) for h in self.searcher.search(query, self.filters, self.top_k)]
