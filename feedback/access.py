"""Reads of the log and the aggregates, recorded in the audit chain: the role (never the person),
what was read, the hour. Representatives see them in *Le journal*; editing or deleting one breaks
the chain like any event (``feedback.audit.verify`` re-derives each entry from its row)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedback.audit import access_canonical
from feedback.chain import append, lock_chain, writer_lock
from feedback.models import AccessEvent

ATTEMPTS = 3  # another writer took the next seq: retry from the new head


def to_hour(moment: datetime) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def record_access(engine: Engine, role: str, what: str, now: datetime | None = None) -> str:
    """Store the read and append it to the chain, in one transaction."""
    event_id, at = str(uuid.uuid4()), to_hour(now or datetime.now(UTC))
    canonical = access_canonical(event_id, at, role, what)
    for attempt in range(ATTEMPTS):
        try:
            with writer_lock(engine), Session(engine) as session, session.begin():
                lock_chain(session)
                session.add(AccessEvent(event_id=event_id, occurred_at=at, role=role, what=what))
                append(session, event_id, canonical)
            return event_id
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
    return event_id


def accesses(engine: Engine, start: datetime, end: datetime, limit: int = 200) -> list[dict[str, Any]]:
    """The reads of [start, end), newest first (for *Le journal*)."""
    with Session(engine) as session:
        rows = session.execute(
            select(AccessEvent.occurred_at, AccessEvent.role, AccessEvent.what)
            .where(AccessEvent.occurred_at >= start, AccessEvent.occurred_at < end)
            .order_by(AccessEvent.occurred_at.desc())
            .limit(limit)
        ).all()
    return [
        {"hour": to_hour(at).strftime("%Y-%m-%d %H h"), "role": role, "what": what} for at, role, what in rows
    ]
