"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from assistant.api.deps import Knowledge
from assistant.errors import IndexUnavailableError, StoreUnavailableError, store_unavailable
from feedback.db import probe_writable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    kb_version: str
    documents: int
    chunks: int


@router.get("/health", summary="Liveness: the process answers.")
async def health() -> Health:
    # async on purpose: answered on the event loop, it needs no worker thread, so a pool full of
    # waiting requests cannot delay it.
    return Health(status="ok")


@router.get(
    "/ready",
    summary="Readiness: the index is open and its files unchanged, the feedback store accepts "
    "writes (503 with a reason otherwise).",
    responses={503: {"description": "index not built, changed on disk, or the store not writable"}},
)
def ready(knowledge: Knowledge, request: Request) -> Readiness:
    index = knowledge.searcher().index
    try:  # the store first: when it is down, the shared KB pointer cannot be followed either
        probe_writable(request.app.state.store.engine)
    except DBAPIError as exc:  # the reason, never the statement's text
        raise store_unavailable(exc) from exc
    except Exception as exc:  # any other driver failure: the store is not usable
        raise StoreUnavailableError(f"feedback store unreachable: {type(exc).__name__}") from exc
    problem = knowledge.integrity_problem()
    if problem:
        raise IndexUnavailableError(problem)
    return Readiness(
        status="ready", kb_version=index.kb_version, documents=len(index.doc_ids), chunks=len(index.chunks)
    )
