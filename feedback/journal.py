"""*Le journal* of the representatives' space: the feedback log itself, one row per event, as a
representative may see it — never a pseudonym, never free text, the time to the hour.

What a row keeps: the hour, the event type, the draft's topic and decision, the outcome, the
thumbs-down reasons (a fixed list), whether free text was given (« texte libre masqué »), the edit
distance (rounded). What it drops: the agent (not even a hash), the draft id, the question, the
draft, the sent reply, a discard reason typed by the agent, an expected answer, timings to the
millisecond. Filters: ISO week, event type, topic, outcome."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from feedback.models import DraftRecord, FeedbackEvent

MASKED = "texte libre masqué"
FREE_TEXT_FIELDS = ("final_text", "reason", "expected_answer", "comment")
MAX_ROWS = 500

CSV_HEADERS = {
    "heure": "hour",
    "type": "type",
    "thème": "topic",
    "décision": "decision",
    "issue": "outcome",
    "raisons": "reasons",
    "distance d'édition": "edit_distance",
    "texte libre": "free_text",
}


@dataclass(frozen=True)
class JournalQuery:
    start: datetime
    end: datetime
    type: str | None = None
    topic: str | None = None
    outcome: str | None = None
    limit: int = MAX_ROWS
    offset: int = 0


def hour(at: datetime) -> str:
    """« 2026-11-23 10 h » — to the hour: a minute-level time could be matched against a rota."""
    return at.strftime("%Y-%m-%d %H h")


def _row(event: Any, topic: str | None, decision: str) -> dict[str, Any]:
    payload = event.payload or {}
    reasons = payload.get("reasons") if event.type == "verdict" else None
    free = [f for f in FREE_TEXT_FIELDS if str(payload.get(f) or "").strip()]
    return {
        "hour": hour(event.occurred_at),
        "type": event.type,
        "topic": topic,
        "decision": decision,
        "outcome": event.outcome,
        "value": payload.get("value") if event.type == "verdict" else None,
        "reasons": list(reasons or []),
        "edit_distance": None if event.edit_distance_char is None else round(event.edit_distance_char, 2),
        "free_text": MASKED if free else None,
        "purged": event.payload is None,
    }


def journal(engine: Engine, q: JournalQuery) -> dict[str, Any]:
    """One page of events (newest first) and the total matching the filters."""
    where = [FeedbackEvent.occurred_at >= q.start, FeedbackEvent.occurred_at < q.end]
    if q.type:
        where.append(FeedbackEvent.type == q.type)
    if q.outcome:
        where.append(FeedbackEvent.outcome == q.outcome)
    if q.topic:
        where.append(DraftRecord.topic == q.topic)
    base = select(FeedbackEvent, DraftRecord.topic, DraftRecord.decision).join(
        DraftRecord, DraftRecord.id == FeedbackEvent.draft_id
    )
    with Session(engine) as session:
        total = session.scalar(
            select(func.count())
            .select_from(FeedbackEvent)
            .join(DraftRecord, DraftRecord.id == FeedbackEvent.draft_id)
            .where(*where)
        )
        found = session.execute(
            base.where(*where)
            .order_by(FeedbackEvent.occurred_at.desc(), FeedbackEvent.event_id)
            .limit(q.limit)
            .offset(q.offset)
        ).all()
        rows = [_row(e, topic, decision) for e, topic, decision in found]
    return {"total": int(total or 0), "offset": q.offset, "limit": q.limit, "rows": rows}


def to_csv(rows: list[dict[str, Any]]) -> str:
    """French headers; reasons joined with « ; »."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    for r in rows:
        values = {**r, "reasons": " ; ".join(r["reasons"])}
        writer.writerow(["" if values[k] is None else values[k] for k in CSV_HEADERS.values()])
    return out.getvalue()
