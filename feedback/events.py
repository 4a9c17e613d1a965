"""Storing panel events: validate → pseudonymise → mask free text → derive → store + chain.

Each event is stored in one transaction together with its audit entry, under the chain lock:
either both exist or neither does. ``event_id`` makes posting idempotent: the same event again
returns the stored result (200); the same id with a different content is a conflict (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from feedback import chain
from feedback.audit import event_canonical
from feedback.keys import Pseudonymizer
from feedback.models import DraftRecord, FeedbackEvent
from feedback.schemas import FREE_TEXT_FIELDS, Sent
from feedback.settings import FeedbackSettings

Mask = Callable[[str], str]


class UnknownDraftError(Exception):
    pass


class EventConflictError(Exception):
    pass


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
        self, engine: Engine, settings: FeedbackSettings, pseudonymize: Pseudonymizer, mask: Mask
    ) -> None:
        self.engine, self.settings, self._pseudonymize, self._mask = engine, settings, pseudonymize, mask

    def outcome(self, char_distance: float) -> str:
        if char_distance <= self.settings.accepted_max_distance:
            return "accepted_as_is"
        return "rewritten" if char_distance >= self.settings.rewritten_min_distance else "edited"

    def record(self, event: Any) -> Stored:
        """Store one validated event (a feedback.schemas model)."""
        now = datetime.now(UTC)
        payload = event.model_dump(
            mode="json",
            exclude={"event_id", "draft_id", "agent_id", "type", "occurred_at"},
            exclude_none=True,
        )
        for name in FREE_TEXT_FIELDS:  # never store a name, e-mail or phone an agent typed or pasted
            if isinstance(payload.get(name), str):
                payload[name] = self._mask(payload[name])
        pseudonym = self._pseudonymize(event.agent_id)
        occurred = (event.occurred_at or now).astimezone(UTC)
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
        with chain.writer_lock(), Session(self.engine, expire_on_commit=False) as session, session.begin():
            chain.lock_chain(session)
            existing = session.get(FeedbackEvent, event_id)
            if existing is not None:
                if existing.payload_digest != digest:
                    raise EventConflictError(
                        f"event {event_id} was already stored with a different content / "
                        "cet identifiant d'événement existe déjà avec un autre contenu"
                    )
                return Stored(event_id, False, existing.outcome, existing.edit_distance_char)
            draft = session.get(DraftRecord, str(event.draft_id))
            if draft is None:
                raise UnknownDraftError(f"no draft {event.draft_id} / brouillon introuvable")
            row = FeedbackEvent(
                event_id=event_id,
                draft_id=draft.id,
                type=event.type,
                agent_pseudonym=pseudonym,
                occurred_at=occurred,
                received_at=now,
                payload=payload,
                payload_digest=digest,
            )
            if isinstance(event, Sent):
                row.edit_distance_char, row.edit_distance_word = edit_distances(
                    draft.draft_text or "", payload["final_text"]
                )
                row.outcome = self.outcome(row.edit_distance_char)
            elif event.type == "discarded":
                row.outcome = "discarded"
            session.add(row)
            session.flush()
            chain.append(session, event_id, event_canonical(row), now)
        return Stored(event_id, True, row.outcome, row.edit_distance_char)
