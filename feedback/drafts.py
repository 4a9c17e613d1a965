"""Reading and writing draft rows (the table every feedback event will refer to)."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from feedback.models import DraftRecord


class DraftStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(self, record: DraftRecord) -> None:
        with self._sessions.begin() as session:
            session.add(record)

    def get(self, draft_id: str) -> DraftRecord | None:
        with Session(self.engine) as session:
            return session.get(DraftRecord, draft_id)

    def ping(self) -> None:
        """Raises when the database cannot be reached (readiness)."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM drafts LIMIT 1"))
