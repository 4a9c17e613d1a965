"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from assistant.api.deps import Knowledge
from assistant.errors import StoreUnavailableError

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    kb_version: str
    documents: int
    chunks: int


@router.get("/health", summary="Liveness: the process answers.")
def health() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    summary="Readiness: the index is open (503 with a reason otherwise).",
    responses={503: {"description": "index not built or not reachable"}},
)
def ready(knowledge: Knowledge, request: Request) -> Readiness:
    index = knowledge.searcher().index
    try:
        request.app.state.store.ping()
    except Exception as exc:  # any driver error: the store is not usable
        raise StoreUnavailableError(f"feedback store unreachable: {type(exc).__name__}") from exc
    return Readiness(
        status="ready", kb_version=index.kb_version, documents=len(index.doc_ids), chunks=len(index.chunks)
    )
