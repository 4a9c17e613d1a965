"""Maintainers' routes (role admin): the state of the knowledge base."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from assistant.api.deps import KbStatus, Knowledge
from assistant.auth import AdminAccess

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get(
    "/kb/status",
    summary="Knowledge base status: documents by age, stale-lexicon hits per document, last ingest "
    "and the last sync of each source (added / changed / removed, with titles; what its review held).",
    responses={503: {"description": "index not built yet"}},
)
def kb_status(
    knowledge: Knowledge,
    service: KbStatus,
    _: AdminAccess,
    limit: int = Query(default=20, ge=1, le=1000, description="Documents listed as oldest / most stale."),
) -> dict[str, Any]:
    return service.status(knowledge.searcher().index, limit=limit)
