"""Passage search, with the reasons each passage was chosen (the panel's "pourquoi ce passage")."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.api.contract import BLANK_QUESTION, NOT_BLANK, is_blank
from assistant.api.deps import Knowledge
from assistant.auth import AgentAccess
from knowledge_base.search import SearchFilters

router = APIRouter(tags=["knowledge base"])


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1,
        max_length=8000,
        json_schema_extra={"pattern": NOT_BLANK},
        description="The employee's question, in French; not blank (spaces only → 422).",
    )
    top_k: int = Field(default=5, ge=1, le=50, description="Passages to return.")
    sources: list[str] = Field(
        default=[], max_length=20, description="Source keys to keep (sp, mt, contrib…)."
    )
    audience: Literal["private-sector", "civil-service"] | None = Field(
        default=None, description="Keep passages for this audience (and those for all)."
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError(BLANK_QUESTION)
        return value


class PassagePublic(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    url: str
    heading_path: list[str]
    source: str
    updated: str
    text: str
    doc_rank: int
    fused_score: float
    scores: dict[str, float]
    ranks: dict[str, int] = Field(description="Rank of this passage in each passage-level list.")
    doc_ranks: dict[str, int] = Field(
        description="Rank of its document in every list (passage and document level)."
    )
    matched_terms: list[str]


class SearchPublic(BaseModel):
    kb_version: str
    passages: list[PassagePublic]


@router.post(
    "/search", summary="Hybrid search (BM25 + embeddings, RRF) over the knowledge base. Roles: agent, admin."
)
def search(body: SearchRequest, knowledge: Knowledge, _: AgentAccess) -> SearchPublic:
    searcher = knowledge.searcher()
    hits = searcher.search(body.question, SearchFilters(tuple(body.sources), body.audience), body.top_k)
    return SearchPublic(
        kb_version=searcher.index.kb_version,
        passages=[
            PassagePublic(
                chunk_id=h.chunk.id,
                doc_id=h.chunk.doc_id,
                title=str(h.chunk.metadata.get("title", "")),
                url=str(h.chunk.metadata.get("url", "")),
                heading_path=list(h.chunk.heading_path),
                source=str(h.chunk.metadata.get("source", "")),
                updated=str(h.chunk.metadata.get("updated", "")),
                text=h.chunk.text,
                doc_rank=h.doc_rank,
                fused_score=h.fused,
                scores=h.scores,
                ranks=h.ranks,
                doc_ranks=h.doc_ranks,
                matched_terms=h.matched_terms,
            )
            for h in hits
        ],
    )
