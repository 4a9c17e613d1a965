"""Tables of the evaluation loop, in the feedback store's database but owned by ``eval``
(``feedback`` never imports ``eval``): their own metadata and their own alembic history
(eval/migrations, version table ``alembic_version_eval``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class EvalBase(DeclarativeBase):
    pass


class EvalRun(EvalBase):
    """One scoring of one dataset by one release."""

    __tablename__ = "eval_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    dataset_name: Mapped[str] = mapped_column(String(200))
    dataset_hash: Mapped[str] = mapped_column(String(64))
    # kb_version, prompt_version, drafter, model, settings_hash
    release: Mapped[dict[str, Any]] = mapped_column(JSON)
    n: Mapped[int] = mapped_column(Integer)  # samples scored


class EvalScore(EvalBase):
    """A metric's mean over the run's samples, with its bootstrap 95 % interval (NULL = undefined)."""

    __tablename__ = "eval_scores"
    __table_args__ = (UniqueConstraint("run_id", "metric"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(Integer, ForeignKey("eval_runs.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(80))
    value: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)  # samples where the metric is defined


class EvalSampleScores(EvalBase):
    """Per-sample values of one metric in one run ({sample_id: value or null}): what lets
    ``hra eval compare`` bootstrap paired differences."""

    __tablename__ = "eval_sample_scores"

    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("eval_runs.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(80), primary_key=True)
    values: Mapped[dict[str, float | None]] = mapped_column(JSON)
