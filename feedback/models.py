"""Tables of the feedback store. ``drafts`` is written by the drafting service and is what every
panel event, feedback row, telemetry span and eval row refers to (one ``draft_id``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DraftRecord(Base):
    """Everything needed to replay a draft — never the unmasked question."""

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID4, the draft_id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    question_masked: Mapped[str] = mapped_column(Text)
    pii_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # kinds masked, not the values
    category: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str | None] = mapped_column(String(120))
    decision: Mapped[str] = mapped_column(String(20), index=True)  # drafted | abstained | routed_to_human
    decision_reason: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    draft_text: Mapped[str | None] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    retrieved: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # chunk ids, scores, ranks
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    kb_version: Mapped[str] = mapped_column(String(32))
    drafter: Mapped[str] = mapped_column(String(20))  # offline | llm | none
    model: Mapped[str | None] = mapped_column(String(80))
    prompt_version: Mapped[str | None] = mapped_column(String(40))
    fallback_reason: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer)
    ai_mention: Mapped[bool] = mapped_column(Boolean, default=True)
