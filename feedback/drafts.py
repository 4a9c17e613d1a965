"""Reading and writing draft rows (the table every feedback event will refer to).

A draft is stored in one transaction with its audit-chain entry (``feedback.audit.draft_canonical``:
the draft's id and the SHA-256 of its content, never a text or a pseudonym), under the chain lock
like an event: either both exist or neither does, and editing the row later breaks ``verify``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from feedback.audit import draft_canonical, record_values
from feedback.chain import append, lock_chain, writer_lock
from feedback.models import DraftRecord

ATTEMPTS = 3  # another process took the next seq: retry from the new head
# The defaults the database would fill in, set before hashing so the hash covers what is stored.
_DEFAULTS: dict[str, Callable[[], Any]] = {
    "pii_kinds": list,
    "citations": list,
    "retrieved": list,
    "flags": list,
    "ai_mention": lambda: True,
    "arm": lambda: "assisted",
    "forced": lambda: False,
}


_stamps: dict[int, datetime] = {}  # id(engine) → the creation date drafts take meanwhile (demo only)


@contextmanager
def stamped(engine: Engine, created_at: datetime) -> Iterator[None]:
    """DEMO ONLY (eval/demo.py simulates past weeks): drafts stored through ``engine`` meanwhile are
    dated ``created_at`` instead of now — set before the chain entry is computed, so the entry
    covers the date the draft keeps (moving it afterwards would be an edit ``verify`` reports)."""
    _stamps[id(engine)] = created_at
    try:
        yield
    finally:
        _stamps.pop(id(engine), None)


class DraftStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, record: DraftRecord) -> None:
        """Store the draft and append its entry to the audit chain, in one transaction."""
        if id(self.engine) in _stamps:
            record.created_at = _stamps[id(self.engine)]
        for name, default in _DEFAULTS.items():
            if getattr(record, name) is None:
                setattr(record, name, default())
        canonical = draft_canonical(record.id, record_values(record))
        for attempt in range(ATTEMPTS):
            try:
                with writer_lock(self.engine), self._sessions.begin() as session:
                    lock_chain(session)
                    session.add(record)
                    append(session, record.id, canonical, datetime.now(UTC))
                return
            except IntegrityError:  # another process appended first (or the id exists): retry
                if attempt == ATTEMPTS - 1:
                    raise

    def get(self, draft_id: str) -> DraftRecord | None:
        with Session(self.engine) as session:
            return session.get(DraftRecord, draft_id)

    def ping(self) -> None:
        """Raises when the database cannot be reached (readiness)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM drafts LIMIT 1"))
