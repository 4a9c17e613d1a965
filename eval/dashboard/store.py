"""What the dashboard reads from the store: the drafts of a period with their events (one query
each), whether the store holds demo data, and the eval runs per release. Pseudonyms are read here
to count distinct agents; they never leave ``aggregates``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from eval.dashboard.weeks import week_of
from feedback.models import DraftRecord, FeedbackEvent, VerifiedAnswer
from feedback.reuse import data_version

DEMO_TABLE = "hra_demo"  # created by `hra demo simulate` in its own store only (eval/demo.py)


@dataclass(frozen=True)
class DraftRow:
    id: str
    week: str
    agent: str
    decision: str  # drafted | abstained | routed_to_human
    arm: str  # assisted | control
    regenerated_from: str | None
    forced: bool
    topic: str | None
    question: str  # PII-masked
    flag_kinds: tuple[str, ...]
    drafter: str = "offline"  # verified | offline | llm | none


@dataclass(frozen=True)
class EventRow:
    draft_id: str
    type: str
    agent: str
    payload: dict[str, Any]
    outcome: str | None
    distance: float | None
    occurred_at: datetime


def load(engine: Engine, start: datetime, end: datetime) -> tuple[list[DraftRow], list[EventRow]]:
    """Drafts created in [start, end) and every event about them (whenever it occurred)."""
    in_period = (DraftRecord.created_at >= start) & (DraftRecord.created_at < end)
    draft_query = select(
        DraftRecord.id,
        DraftRecord.created_at,
        DraftRecord.agent_pseudonym,
        DraftRecord.decision,
        DraftRecord.arm,
        DraftRecord.regenerated_from,
        DraftRecord.forced,
        DraftRecord.topic,
        DraftRecord.question_masked,
        DraftRecord.flags,
        DraftRecord.drafter,
    ).where(in_period)
    event_query = (
        select(
            FeedbackEvent.draft_id,
            FeedbackEvent.type,
            FeedbackEvent.agent_pseudonym,
            FeedbackEvent.payload,
            FeedbackEvent.outcome,
            FeedbackEvent.edit_distance_char,
            FeedbackEvent.occurred_at,
        )
        .join(DraftRecord, DraftRecord.id == FeedbackEvent.draft_id)
        .where(in_period)
        .order_by(FeedbackEvent.occurred_at)
    )
    with Session(engine) as session:
        drafts = [
            DraftRow(
                r.id,
                week_of(r.created_at),
                r.agent_pseudonym or "(sans propriétaire)",
                r.decision,
                r.arm,
                r.regenerated_from,
                bool(r.forced),
                r.topic,
                r.question_masked,
                tuple(str(f.get("kind", "?")) for f in r.flags or []),
                r.drafter,
            )
            for r in session.execute(draft_query)
        ]
        events = [
            EventRow(r[0], r[1], r[2], r[3] or {}, r[4], r[5], r[6]) for r in session.execute(event_query)
        ]
    return drafts, events


def verified_answers(engine: Engine) -> dict[str, Any]:
    """The verified answers as they stand now (counts only: who sent them is never read here)."""
    if not inspect(engine).has_table(VerifiedAnswer.__tablename__):
        return {"candidate": 0, "verified": 0, "retired": {}}
    with Session(engine) as session:
        rows = session.execute(
            select(VerifiedAnswer.status, VerifiedAnswer.retired_reason, func.count()).group_by(
                VerifiedAnswer.status, VerifiedAnswer.retired_reason
            )
        ).all()
    out: dict[str, Any] = {"candidate": 0, "verified": 0, "retired": {}}
    for status, reason, n in rows:
        if status == "retired":
            out["retired"][reason or "?"] = out["retired"].get(reason or "?", 0) + n
        else:
            out[status] = out.get(status, 0) + n
    return out


def week_version(engine: Engine) -> tuple[Any, ...]:
    """Changes whenever anything the week shows changes: drafts and events, the verified answers'
    statuses, a new eval run, the demo mark."""
    runs = None
    if inspect(engine).has_table("eval_runs"):
        with Session(engine) as session:
            runs = session.execute(text("SELECT max(id) FROM eval_runs")).scalar()
    return data_version(engine), is_demo(engine), str(verified_answers(engine)), runs


def is_demo(engine: Engine) -> bool:
    return inspect(engine).has_table(DEMO_TABLE)


def eval_runs(engine: Engine) -> list[dict[str, Any]]:
    """Runs per release from ``eval.runs`` (imported lazily: the module or its table may not exist
    yet); [] when there is none to show."""
    try:
        from eval.runs import RunStore

        runs = RunStore(engine, ensure_schema=False).list_runs()  # a page read never migrates
    except (ImportError, SQLAlchemyError, AttributeError, TypeError):
        return []
    return list(runs or [])
