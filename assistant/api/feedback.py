"""Feedback events from the side panel (agents) and the aggregate audit view (leads, representatives).

No route here returns an agent pseudonym or a per-agent figure. The agent of an event is the
credential's subject (pseudonymised by the event service); a body naming an agent is refused (422).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

import feedback
from assistant.auth import AgentAccess, Principal, require_roles
from assistant.errors import ConflictError, DomainError, NotFoundError
from feedback.events import EventConflictError, EventService, UnknownDraftError
from feedback.schemas import EventIn
from feedback.stats import to_csv, weekly_stats

router = APIRouter(tags=["feedback"])
AUDIT_DOC = Path(feedback.__file__).parent / "AUDIT.md"
_EVENT = TypeAdapter(EventIn)
AuditReader = Annotated[Principal, Depends(require_roles("rep", "lead", "admin"))]


def _events(request: Request) -> EventService:
    return request.app.state.events  # type: ignore[no-any-return]


Events = Annotated[EventService, Depends(_events)]


class EventAck(BaseModel):
    event_id: str
    status: int = Field(description="201 stored, 200 already stored (same content), 404/409/422 refused")
    detail: str | None = None
    outcome: str | None = None


class Batch(BaseModel):
    events: list[dict[str, Any]] = Field(min_length=1, description="Up to feedback.batch_max_events events.")


def _ack(service: EventService, event: Any, subject: str) -> EventAck:
    try:
        stored = service.record(event, subject)
    except UnknownDraftError as exc:
        return EventAck(event_id=str(event.event_id), status=404, detail=str(exc))
    except EventConflictError as exc:
        return EventAck(event_id=str(event.event_id), status=409, detail=str(exc))
    return EventAck(event_id=stored.event_id, status=201 if stored.created else 200, outcome=stored.outcome)


@router.post(
    "/feedback/events",
    summary="Record one panel event (idempotent on event_id) as the credential's agent; a body with "
    "agent_id is 422, an event on another agent's draft 404. Roles: agent, admin.",
    status_code=201,
    responses={200: {"description": "already stored"}, 404: {}, 409: {}},
)
async def post_event(event: EventIn, service: Events, agent: AgentAccess) -> JSONResponse:
    # Run on the event loop on purpose: writes are serialised by the chain lock anyway, and a
    # store takes ~1 ms — cheaper than a thread-pool hop with 16 requests fighting for the GIL.
    ack = _ack(service, event, agent.subject)
    if ack.status == 404:
        raise NotFoundError(ack.detail or "")
    if ack.status == 409:
        raise ConflictError(ack.detail or "")
    return JSONResponse(ack.model_dump(), status_code=ack.status)


@router.post(
    "/feedback/events/batch",
    summary="Record several events; each is stored or refused on its own, "
    "with a status per event. Roles: agent, admin.",
)
async def post_batch(body: Batch, service: Events, request: Request, agent: AgentAccess) -> list[EventAck]:
    limit = request.app.state.settings.feedback.batch_max_events
    if len(body.events) > limit:
        raise DomainError(f"at most {limit} events per batch / au plus {limit} événements par envoi")
    acks = []
    for raw in body.events:
        try:
            event = _EVENT.validate_python(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            acks.append(EventAck(event_id=str(raw.get("event_id", "?")), status=422, detail=problems))
            continue
        acks.append(_ack(service, event, agent.subject))
    return acks


@router.get(
    "/audit/stats",
    summary="Aggregates per ISO week and topic; cells from fewer than 5 agents are "
    "suppressed. Roles: rep, lead, admin.",
)
def stats(
    request: Request, _: AuditReader, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    settings = request.app.state.settings.feedback
    return weekly_stats(_events(request).engine, since, until, settings.min_agents_per_cell)


@router.get(
    "/audit/stats.csv",
    summary="The same aggregates as CSV. Roles: rep, lead, admin.",
    response_class=PlainTextResponse,
)
def stats_csv(
    request: Request, _: AuditReader, since: datetime | None = None, until: datetime | None = None
) -> Response:
    rows = weekly_stats(
        _events(request).engine, since, until, request.app.state.settings.feedback.min_agents_per_cell
    )
    return Response(
        to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="stats-retours.csv"'},
    )


@router.get(
    "/audit/checkpoint",
    summary="The latest signed checkpoint of the audit chain. Roles: rep, lead, admin.",
    responses={404: {"description": "no checkpoint yet"}},
)
def checkpoint(request: Request, _: AuditReader) -> dict[str, Any]:
    from feedback.audit import latest_checkpoint

    found = latest_checkpoint(_events(request).engine)
    if found is None:
        raise NotFoundError("no checkpoint yet (run `hra audit checkpoint`) / aucun point de contrôle")
    return json_of(found)


@router.get(
    "/audit/verifier",
    summary="How to verify the log yourself (French). Roles: rep, lead, admin.",
    response_class=PlainTextResponse,
)
def verifier(_: AuditReader) -> PlainTextResponse:
    return PlainTextResponse(AUDIT_DOC.read_text(encoding="utf-8"), media_type="text/markdown; charset=utf-8")


def json_of(cp: Any) -> dict[str, Any]:
    return json.loads(cp.to_json())  # type: ignore[no-any-return]
