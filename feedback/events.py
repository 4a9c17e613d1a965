"""Storing panel events: validate → pseudonymise → mask free text → derive → store + chain.

The agent of an event is the authenticated subject handed in by the route (never a body field),
stored as its HMAC pseudonym; an event on a draft that another agent owns is refused exactly like an
event on an unknown draft, so nobody can write into someone else's draft's history.

Each event is stored in one transaction together with its audit entry, under the chain lock:
either both exist or neither does. ``event_id`` makes posting idempotent: the same event again
returns the stored result (200); the same id with a different content is a conflict (409).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from feedback import chain
from feedback.audit import event_canonical
from feedback.keys import Pseudonymizer
from feedback.models import AuditEntry, DraftRecord, FeedbackEvent
from feedback.schemas import FREE_TEXT_FIELDS, Sent
from feedback.settings import FeedbackSettings

log = logging.getLogger(__name__)
Mask = Callable[[str], str]


@dataclass(frozen=True)
class Observation:
    """What telemetry may know about a stored event: categories and durations, never a text, never
    an agent. ``release`` is the knowledge-base version the draft was written with."""

    type: str
    outcome: str | None
    arm: str
    topic: str | None
    drafter: str
    release: str
    timings: dict[str, int]
    duration_ms: int | None  # sources_opened
    down_reasons: tuple[str, ...]
    flag_kinds: tuple[str, ...]


Recorder = Callable[[Observation], None]


class UnknownDraftError(Exception):
    pass


class EventConflictError(Exception):
    pass


class EventDateError(ValueError):
    """occurred_at outside the window around the server's clock (422): the server's time decides."""


@dataclass(frozen=True)
class Stored:
    event_id: str
    created: bool  # False: this exact event was already stored (idempotent replay)
    outcome: str | None
    edit_distance_char: float | None


def edit_distances(draft: str, final: str) -> tuple[float, float]:
    """Normalised Levenshtein distance draft → final, on characters and on words (0 = identical)."""
    return (
        round(Levenshtein.normalized_distance(draft, final), 4),
        round(Levenshtein.normalized_distance(draft.split(), final.split()), 4),
    )


class EventService:
    def __init__(
        self,
        engine: Engine,
        settings: FeedbackSettings,
        pseudonymize: Pseudonymizer,
        mask: Mask,
        recorder: Recorder | None = None,  # metrics of stored events (assistant/telemetry.py)
    ) -> None:
        self.engine, self.settings, self._pseudonymize, self._mask = engine, settings, pseudonymize, mask
        self._recorder = recorder
        self._head = chain.ChainHead()

    def outcome(self, char_distance: float) -> str:
        if char_distance <= self.settings.accepted_max_distance:
            return "accepted_as_is"
        return "rewritten" if char_distance >= self.settings.rewritten_min_distance else "edited"

    def pseudonym(self, subject: str) -> str:
        """The stored form of an authenticated subject (HMAC: the raw subject is never stored)."""
        return self._pseudonymize(subject)

    def record(self, event: Any, subject: str) -> Stored:
        """Store one validated event (a feedback.schemas model) by the authenticated ``subject``."""
        now = datetime.now(UTC)
        payload = event.model_dump(
            mode="json",
            exclude={"event_id", "draft_id", "type", "occurred_at"},
            exclude_none=True,
        )
        for name in FREE_TEXT_FIELDS:  # never store a name, e-mail or phone an agent typed or pasted
            if isinstance(payload.get(name), str):
                payload[name] = self._mask(payload[name])
        pseudonym = self.pseudonym(subject)
        occurred = self._occurred(event.occurred_at, now)
        digest = chain.sha256_hex(
            chain.canonical_json(
                {
                    "draft_id": str(event.draft_id),
                    "type": event.type,
                    "agent": pseudonym,
                    "payload": payload,
                    "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None,
                }
            )
        )
        event_id = str(event.event_id)
        row = {
            "event_id": event_id,
            "draft_id": str(event.draft_id),
            "type": event.type,
            "agent_pseudonym": pseudonym,
            "occurred_at": occurred,
            "received_at": now,
            "payload": payload,
            "payload_digest": digest,
            "edit_distance_char": None,
            "edit_distance_word": None,
            "outcome": "discarded" if event.type == "discarded" else None,
        }
        for attempt in range(3):
            try:
                return self._store(row, isinstance(event, Sent), fresh=attempt > 0)
            except IntegrityError:  # another process appended to the chain, or stored this very event
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _occurred(self, occurred_at: datetime | None, now: datetime) -> datetime:
        """The client's date, if plausible: a queue may hold events offline for days, but a year 0001
        or 9999 would invent weeks in the aggregates and dodge (or hasten) retention."""
        if occurred_at is None:
            return now
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
        occurred = occurred_at.astimezone(UTC)
        earliest = now - timedelta(days=self.settings.occurred_at_past_days)
        latest = now + timedelta(seconds=self.settings.occurred_at_future_s)
        if not earliest <= occurred <= latest:
            raise EventDateError(
                f"occurred_at must lie between {earliest:%Y-%m-%dT%H:%M}Z and {latest:%Y-%m-%dT%H:%M}Z "
                "(server time) / la date de l'événement est hors de la fenêtre acceptée"
            )
        return occurred

    def _store(self, row: dict[str, Any], sent: bool, fresh: bool = False) -> Stored:
        """Draft (and owner) check and the outcome first, outside the writer lock — a stored draft
        never changes, and every process's chain writes wait while the lock is held; then one
        transaction: idempotency check, event row, chain entry (Core statements: this is the hot
        path of the panel's event stream)."""
        with self.engine.connect() as conn:
            draft = conn.execute(
                select(
                    DraftRecord.draft_text,
                    DraftRecord.arm,
                    DraftRecord.agent_pseudonym,
                    DraftRecord.topic,
                    DraftRecord.drafter,
                    DraftRecord.kb_version,
                    DraftRecord.flags,
                ).where(DraftRecord.id == row["draft_id"])
            ).first()
        # Another agent's draft (or one written before drafts had an owner) is "not found": the
        # answer must not even confirm that it exists. Checked before idempotency on purpose.
        if draft is None or draft.agent_pseudonym != row["agent_pseudonym"]:
            raise UnknownDraftError(f"no draft {row['draft_id']} / brouillon introuvable")
        if sent and draft.arm == "control":
            row["outcome"] = "unassisted"  # the control arm's baseline: written without a draft
        elif sent and draft.draft_text is None:
            row["outcome"] = "no_draft"  # abstained or routed: nothing to compare the reply with
        elif sent:
            row["edit_distance_char"], row["edit_distance_word"] = edit_distances(
                draft.draft_text, row["payload"]["final_text"]
            )
            row["outcome"] = self.outcome(row["edit_distance_char"])
        with chain.writer_lock(self.engine):
            with self.engine.begin() as conn:
                chain.lock_chain(conn)
                existing = conn.execute(
                    select(
                        FeedbackEvent.payload_digest, FeedbackEvent.outcome, FeedbackEvent.edit_distance_char
                    ).where(FeedbackEvent.event_id == row["event_id"])
                ).first()
                if existing is not None:
                    if existing.payload_digest != row["payload_digest"]:
                        raise EventConflictError(
                            f"event {row['event_id']} was already stored with a different content "
                            "/ cet identifiant d'événement existe déjà avec un autre contenu"
                        )
                    return Stored(row["event_id"], False, existing.outcome, existing.edit_distance_char)
                # The chain's ids are shared with drafts and access entries: an event reusing one (a
                # client bug, or a draft id sent as an event id) would fail on the unique key and
                # come back as a 503 on every retry of the panel's queue — say 409 once instead.
                if conn.execute(select(AuditEntry.seq).where(AuditEntry.event_id == row["event_id"])).first():
                    raise EventConflictError(
                        f"id {row['event_id']} is already used in the audit log "
                        "/ cet identifiant est déjà utilisé dans le journal : générer un nouvel identifiant"
                    )
                conn.execute(insert(FeedbackEvent), row)
                head = self._head.append(
                    conn, row["event_id"], event_canonical(FeedbackEvent(**row)), row["received_at"], fresh
                )
            self._head.committed(head)  # before the lock is released (see ChainHead)
        if self._recorder is not None:
            self._observe(row, draft)
        return Stored(row["event_id"], True, row["outcome"], row["edit_distance_char"])

    def _observe(self, row: dict[str, Any], draft: Any) -> None:
        payload = row["payload"]
        timings = {k: int(v) for k, v in (payload.get("timings") or {}).items() if v is not None}
        observation = Observation(
            type=row["type"],
            outcome=row["outcome"],
            arm=draft.arm,
            topic=draft.topic,
            drafter=draft.drafter,
            release=draft.kb_version,
            timings=timings,
            duration_ms=payload.get("duration_ms"),
            down_reasons=tuple(payload.get("reasons", ())) if payload.get("value") == "down" else (),
            flag_kinds=tuple(str(f.get("kind", "?")) for f in (draft.flags or []) if isinstance(f, dict)),
        )
        try:
            assert self._recorder is not None
            self._recorder(observation)
        except Exception:  # metrics never break the storing of an event
            log.exception("feedback metrics failed")
