"""Feedback events from the side panel (agents) and the aggregate audit view (leads, representatives).

No route here returns an agent pseudonym or a per-agent figure. The agent of an event is the
credential's subject (pseudonymised by the event service); a body naming an agent is refused (422).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

import feedback
from assistant.api.access import logged_read
from assistant.api.contract import Instant
from assistant.auth import AgentAccess, Principal, require_roles
from assistant.errors import ConflictError, InvalidRequestError, NotFoundError
from assistant.pipeline.topics import taxonomy
from assistant.services.verified import VerifiedAnswers
from feedback.audit import AuditError, checkpoint_now, export_bundle, latest_checkpoint, public_key_info
from feedback.events import EventConflictError, EventDateError, EventService, UnknownDraftError
from feedback.reuse import Reused, json_bytes
from feedback.schemas import EventIn
from feedback.stats import to_csv, weekly_stats

router = APIRouter(tags=["feedback"])
AUDIT_DOC = Path(feedback.__file__).parent / "AUDIT.md"
VERIFIER = Path(feedback.__file__).parent / "verifier" / "verify_audit.py"
_EVENT = TypeAdapter(EventIn)
AuditReader = Annotated[Principal, Depends(require_roles("rep", "lead", "admin"))]
# Reads of the aggregates and of the log are themselves logged in the chain (feedback.access).
StatsRead = Annotated[Principal, Depends(logged_read("stats"))]
StatsCsvRead = Annotated[Principal, Depends(logged_read("stats.csv"))]
BundleRead = Annotated[Principal, Depends(logged_read("bundle"))]
_STATS: Reused[bytes] = Reused()  # the statistics' JSON, rendered once per computation


def _event_service(request: Request) -> EventService:
    return request.app.state.events  # type: ignore[no-any-return]


async def _events(request: Request) -> EventService:  # async: no hop to a worker thread
    return _event_service(request)


Events = Annotated[EventService, Depends(_events)]


class EventAck(BaseModel):
    event_id: str
    status: int = Field(description="201 stored, 200 already stored (same content), 404/409/422 refused")
    detail: str | None = None
    outcome: str | None = None


class Batch(BaseModel):
    events: list[dict[str, Any]] = Field(min_length=1, description="Up to feedback.batch_max_events events.")


def _ack(
    service: EventService, event: Any, subject: str, verified: VerifiedAnswers | None = None
) -> EventAck:
    try:
        stored = service.record(event, subject)
    except UnknownDraftError as exc:
        return EventAck(event_id=str(event.event_id), status=404, detail=str(exc))
    except EventConflictError as exc:
        return EventAck(event_id=str(event.event_id), status=409, detail=str(exc))
    except EventDateError as exc:
        return EventAck(event_id=str(event.event_id), status=422, detail=str(exc))
    if verified is not None and stored.created and event.type in ("sent", "verdict"):
        verified.observe(stored.event_id)  # a send may make a verified answer, a thumbs-down retire one
    return EventAck(event_id=stored.event_id, status=201 if stored.created else 200, outcome=stored.outcome)


@router.post(
    "/feedback/events",
    summary="Record one panel event (idempotent on event_id) as the credential's agent; a body with "
    "agent_id is 422, an event on another agent's draft 404. Roles: agent, admin.",
    status_code=201,
    response_model=EventAck,
    responses={200: {"description": "already stored", "model": EventAck}, 404: {}, 409: {}},
)
def post_event(event: EventIn, service: Events, agent: AgentAccess, request: Request) -> JSONResponse:
    # A plain def runs in the thread pool: a store that waits on a lock (another process, a
    # backup) must never hold the event loop, or /health and every other request stall with it.
    ack = _ack(service, event, agent.subject, request.app.state.verified)
    if ack.status == 404:
        raise NotFoundError(ack.detail or "")
    if ack.status == 409:
        raise ConflictError(ack.detail or "")
    if ack.status == 422:
        raise InvalidRequestError(ack.detail or "")
    return JSONResponse(ack.model_dump(), status_code=ack.status)


@router.post(
    "/feedback/events/batch",
    summary="Record several events; each is stored or refused on its own, "
    "with a status per event. Roles: agent, admin.",
)
def post_batch(body: Batch, service: Events, request: Request, agent: AgentAccess) -> list[EventAck]:
    limit = request.app.state.settings.feedback.batch_max_events
    if len(body.events) > limit:
        raise InvalidRequestError(f"at most {limit} events per batch / au plus {limit} événements par envoi")
    acks = []
    for raw in body.events:
        try:
            event = _EVENT.validate_python(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            acks.append(EventAck(event_id=str(raw.get("event_id", "?")), status=422, detail=problems))
            continue
        acks.append(_ack(service, event, agent.subject, request.app.state.verified))
    return acks


@router.get(
    "/audit/stats",
    summary="Aggregates per ISO week and topic; cells from fewer than 5 agents are "
    "suppressed. Reused for up to HRA_FEEDBACK__AGGREGATES_MAX_AGE_S after new data arrived: the "
    "X-Computed-At header says when they were computed. Roles: rep, lead, admin.",
    response_model=list[dict[str, Any]],
)
def stats(
    request: Request, _: StatsRead, since: Instant | None = None, until: Instant | None = None
) -> Response:
    settings = request.app.state.settings.feedback
    engine = _event_service(request).engine

    def render() -> bytes:
        rows = weekly_stats(engine, since, until, settings.min_agents_per_cell)
        labelled = [{**r, "topic_label": taxonomy().label_of(r["topic"])} for r in rows]
        return json_bytes(labelled)

    key = (since, until, settings.min_agents_per_cell)
    found = _STATS.get(key, engine, render, settings.aggregates_max_age_s)
    computed_at = found.computed_at.isoformat(timespec="seconds")
    return Response(found.value, media_type="application/json", headers={"X-Computed-At": computed_at})


@router.get(
    "/audit/stats.csv",
    summary="The same aggregates as CSV. Roles: rep, lead, admin.",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}},
)
def stats_csv(
    request: Request, _: StatsCsvRead, since: Instant | None = None, until: Instant | None = None
) -> Response:
    rows = weekly_stats(
        _event_service(request).engine, since, until, request.app.state.settings.feedback.min_agents_per_cell
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
    found = latest_checkpoint(_event_service(request).engine)
    if found is None:
        raise NotFoundError("no checkpoint yet (run `hra audit checkpoint`) / aucun point de contrôle")
    return json_of(found)


@router.post(
    "/audit/checkpoint",
    summary="A signed receipt (Ed25519) for the log as it is now: tree size, head hash, time, "
    "signature, key fingerprint. Keep it: a later bundle must extend it. 201 new, 200 when the "
    "latest checkpoint already covers the current head; 409 when the log does not verify (it is "
    "never signed then). Roles: rep, lead, admin.",
    status_code=201,
    responses={
        200: {
            "description": "the latest checkpoint already covers the head",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        409: {},
    },
)
def new_checkpoint(request: Request, _: AuditReader) -> JSONResponse:
    try:
        cp, created = checkpoint_now(_event_service(request).engine, request.app.state.audit_key)
    except AuditError as exc:
        raise ConflictError(str(exc)) from exc
    return JSONResponse(
        json_of(cp),
        status_code=201 if created else 200,
        headers={"Content-Disposition": f'attachment; filename="recu-audit-{cp.tree_size}.json"'},
    )


@router.get(
    "/audit/public-key",
    summary="The Ed25519 public key that signs checkpoints (raw, hex) and its fingerprint "
    "(SHA-256 of the raw key, hex). Roles: rep, lead, admin.",
)
def public_key(request: Request, _: AuditReader) -> dict[str, str]:
    return public_key_info(request.app.state.audit_key)


@router.get(
    "/audit/bundle",
    summary="Everything needed to verify the log offline (format hra-audit-bundle/1, AUDIT.md §5): "
    "entry hashes and pseudonym-free contents, recent checkpoints, public key. Roles: rep, lead, admin.",
)
def bundle(request: Request, _: BundleRead, content: bool = True) -> Response:
    """``content=false``: digests only (proves the log extends a receipt, shows no per-event record)."""
    found = export_bundle(_event_service(request).engine, request.app.state.audit_key, with_content=content)
    body = json.dumps(found, ensure_ascii=False)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="paquet-audit.json"'},
    )


@router.get(
    "/audit/verifier.py",
    summary="The standalone verifier (one Python file: standard library + cryptography). "
    "Roles: rep, lead, admin.",
    response_class=Response,
    responses={200: {"content": {"text/x-python": {"schema": {"type": "string"}}}, "description": "Python"}},
)
def verifier_script(_: AuditReader) -> FileResponse:
    return FileResponse(VERIFIER, media_type="text/x-python; charset=utf-8", filename="verify_audit.py")


@router.get(
    "/audit/verifier",
    summary="How to verify the log yourself (French). Roles: rep, lead, admin.",
    response_class=Response,
    responses={
        200: {"content": {"text/markdown": {"schema": {"type": "string"}}}, "description": "Markdown"}
    },
)
def verifier(request: Request, _: AuditReader) -> PlainTextResponse:
    """AUDIT.md with this deployment's public key written into §5.2 (the committed file cannot
    know it: each deployment has its own key)."""
    doc = AUDIT_DOC.read_text(encoding="utf-8")
    start, end = doc.find(_KEY_START), doc.find(_KEY_END)
    if 0 <= start < end:
        key = public_key_info(request.app.state.audit_key)
        block = (
            f"{_KEY_START}\nClé publique de ce déploiement (Ed25519, hexadécimal) :\n\n"
            f"    {key['public_key_hex']}\n\nSon empreinte (SHA-256), **à recopier une fois** "
            "(procès-verbal, courriel au CSE) ; si elle change un jour sans changement de clé "
            f"annoncé par écrit, c'est un signal d'alerte :\n\n    {key['fingerprint_grouped']}\n"
        )
        doc = doc[:start] + block + doc[end:]
    return PlainTextResponse(doc, media_type="text/markdown; charset=utf-8")


_KEY_START, _KEY_END = "<!-- cle-publique -->", "<!-- /cle-publique -->"


def json_of(cp: Any) -> dict[str, Any]:
    return json.loads(cp.to_json())  # type: ignore[no-any-return]
