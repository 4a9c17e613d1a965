"""Eval runs and releases, stored in the feedback store's database.

A *release* is what produced the answers: ``{kb_version, prompt_version, drafter, model,
settings_hash}``. A *run* is one dataset scored for one release: per metric, the mean with a
bootstrap 95 % interval, plus every sample's value (so two runs can be compared sample by sample).

Interface used by the leads' dashboard: ``RunStore(engine).add(run) -> run_id`` and
``RunStore(engine).list_runs(limit=50)`` → newest first, each
``{"id", "created_at", "dataset", "release", "n", "scores": {metric: {"value", "ci_low", "ci_high", "n"}}}``
(``dataset`` = ``{"name", "hash"}``; undefined values are None).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assistant.release import settings_hash as release_hash
from eval.db import migrate
from eval.models import EvalRun, EvalSampleScores, EvalScore
from eval.stats import mean_ci

RELEASE_KEYS = ("kb_version", "prompt_version", "drafter", "model", "settings_hash")


def release(**values: Any) -> dict[str, Any]:
    unknown = set(values) - set(RELEASE_KEYS)
    if unknown:
        raise ValueError(f"unknown release field(s) {sorted(unknown)}; known: {RELEASE_KEYS}")
    return {k: values.get(k) for k in RELEASE_KEYS}


def settings_hash(settings: Mapping[str, Any]) -> str:
    return release_hash(settings)  # the drafts' own (assistant.release): runs and feedback line up


def majority_release(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The release most samples of a feedback dataset were drafted by (``mixed`` says how many
    releases the dataset spans: its scores then mix them)."""
    seen = Counter(json.dumps(s.get("release") or {}, sort_keys=True) for s in samples)
    if not seen:
        return {**release(), "mixed": 0}
    top, _ = seen.most_common(1)[0]
    return {**release(**json.loads(top)), "mixed": len(seen)}


def _clean(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


@dataclass
class Run:
    dataset_name: str
    dataset_hash: str
    release: dict[str, Any]
    sample_ids: list[str]
    per_sample: dict[str, list[float]]  # metric → values aligned with sample_ids (NaN = undefined)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    summaries: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for metric, values in self.per_sample.items():
            if len(values) != len(self.sample_ids):
                raise ValueError(f"metric {metric}: {len(values)} values for {len(self.sample_ids)} samples")
            self.summaries.setdefault(metric, mean_ci(values))

    @property
    def n(self) -> int:
        return len(self.sample_ids)


class RunStore:
    def __init__(self, engine: Engine, ensure_schema: bool = True) -> None:
        self.engine = engine
        if ensure_schema:
            migrate(engine)

    def add(self, run: Run) -> int:
        with Session(self.engine) as session, session.begin():
            row = EvalRun(
                created_at=run.created_at,
                dataset_name=run.dataset_name,
                dataset_hash=run.dataset_hash,
                release=run.release,
                n=run.n,
            )
            session.add(row)
            session.flush()
            for metric, (value, low, high, n) in run.summaries.items():
                session.add(
                    EvalScore(
                        run_id=row.id,
                        metric=metric,
                        value=_clean(value),
                        ci_low=_clean(low),
                        ci_high=_clean(high),
                        n=n,
                    )
                )
                values = dict(zip(run.sample_ids, map(_clean, run.per_sample[metric]), strict=True))
                session.add(EvalSampleScores(run_id=row.id, metric=metric, values=values))
            return row.id

    def list_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            runs = session.scalars(
                select(EvalRun).order_by(EvalRun.created_at.desc(), EvalRun.id.desc()).limit(limit)
            ).all()
            scores: dict[int, dict[str, Any]] = {r.id: {} for r in runs}
            for s in session.scalars(select(EvalScore).where(EvalScore.run_id.in_(list(scores)))):
                scores[s.run_id][s.metric] = {
                    "value": s.value,
                    "ci_low": s.ci_low,
                    "ci_high": s.ci_high,
                    "n": s.n,
                }
            return [
                {
                    "id": r.id,
                    "created_at": r.created_at,
                    "dataset": {"name": r.dataset_name, "hash": r.dataset_hash},
                    "release": r.release,
                    "n": r.n,
                    "scores": dict(sorted(scores[r.id].items())),
                }
                for r in runs
            ]

    def get(self, run_id: int) -> dict[str, Any]:
        """One run as in ``list_runs`` plus ``"samples": {metric: {sample_id: value}}``."""
        with Session(self.engine) as session:
            row = session.get(EvalRun, run_id)
            if row is None:
                raise KeyError(f"no eval run {run_id}")
            samples = {
                s.metric: s.values
                for s in session.scalars(select(EvalSampleScores).where(EvalSampleScores.run_id == run_id))
            }
            scores = {
                s.metric: {"value": s.value, "ci_low": s.ci_low, "ci_high": s.ci_high, "n": s.n}
                for s in session.scalars(select(EvalScore).where(EvalScore.run_id == run_id))
            }
        return {
            "id": row.id,
            "created_at": row.created_at,
            "dataset": {"name": row.dataset_name, "hash": row.dataset_hash},
            "release": row.release,
            "n": row.n,
            "scores": dict(sorted(scores.items())),
            "samples": samples,
        }
