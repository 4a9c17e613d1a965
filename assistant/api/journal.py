"""*Le journal* of the representatives' space (``feedback.journal``): the feedback log, one row per
event, no pseudonym, no free text, the time to the hour; filterable; CSV with French headers; and
the week's reads of the log and the aggregates (``feedback.access``), this one included.
Roles: rep, lead, admin."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from assistant.api.access import logged_read
from assistant.api.contract import topic_ids
from assistant.auth import Principal
from assistant.errors import DomainError
from assistant.pipeline.topics import taxonomy
from feedback.access import accesses
from feedback.journal import MAX_ROWS, JournalQuery, journal, to_csv
from feedback.weeks import WEEK_PATTERN, bounds, current_week

router = APIRouter(tags=["audit"])
JournalRead = Annotated[Principal, Depends(logged_read("journal"))]
JournalCsvRead = Annotated[Principal, Depends(logged_read("journal.csv"))]
EventType = Literal["shown", "edit_started", "regenerated", "sources_opened", "sent", "discarded", "verdict"]
Outcome = Literal["accepted_as_is", "edited", "rewritten", "discarded", "no_draft", "unassisted"]


def _query(
    week: Annotated[
        str | None, Query(pattern=WEEK_PATTERN, description="ISO week (default: this week).")
    ] = None,
    type: Annotated[EventType | None, Query(description="Event type.")] = None,
    topic: Annotated[
        str | None,
        Query(max_length=60, json_schema_extra=topic_ids, description="A topic id of the taxonomy."),
    ] = None,
    outcome: Annotated[Outcome | None, Query(description="Outcome of a sent or discarded draft.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JournalQuery:
    canonical = taxonomy().canonical(topic) if topic is not None else None
    if topic is not None and canonical is None:
        raise DomainError("unknown topic id / thème inconnu")
    try:
        start, end = bounds(week or current_week())
    except ValueError as exc:
        raise DomainError(str(exc)) from exc
    return JournalQuery(start, end, type, canonical, outcome, limit, offset)


Filters = Annotated[JournalQuery, Depends(_query)]


def _labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "topic_label": taxonomy().label_of(r["topic"])} for r in rows]


@router.get("/audit/journal", summary="The feedback log, one row per event, as representatives see it.")
def read_journal(request: Request, _: JournalRead, q: Filters) -> dict[str, Any]:
    engine = request.app.state.events.engine
    page = journal(engine, q)
    return {
        **page,
        "accesses": accesses(engine, q.start, q.end),
        "week": q.start.date().isoformat(),
        "rows": _labelled(page["rows"]),
        "topics": taxonomy().listing(),
    }


@router.get(
    "/audit/journal.csv",
    summary="The same rows (up to 500 per page) as CSV, French headers.",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}},
)
def journal_csv(request: Request, _: JournalCsvRead, q: Filters) -> Response:
    rows = _labelled(journal(request.app.state.events.engine, q)["rows"])
    return Response(
        to_csv([{**r, "topic": r["topic_label"]} for r in rows]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="journal-{q.start.date().isoformat()}.csv"'},
    )
