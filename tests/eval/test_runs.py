"""Runs stored and listed (SQLite and PostgreSQL), the eval migration both ways, and compare's
seeded bootstrap flagging a planted regression."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect

from eval.compare import compare_runs
from eval.db import downgrade, migrate
from eval.runs import Run, RunStore, majority_release, release
from feedback.db import make_engine
from feedback.db import migrate as migrate_feedback

EVAL_TABLES = {"eval_runs", "eval_scores", "eval_sample_scores"}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    migrate_feedback(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def make_run(values: list[float], when: datetime, kb: str = "kb-1", name: str = "gold") -> Run:
    ids = [f"q{i}" for i in range(len(values))]
    return Run(
        name, "h" * 64, release(kb_version=kb, drafter="offline"), ids, {"recall@10": values}, created_at=when
    )


def test_runs_are_stored_and_listed_newest_first(engine: Engine) -> None:
    store = RunStore(engine)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    first = store.add(make_run([1.0, 0.0, math.nan, 1.0], t0))
    second = store.add(make_run([1.0, 1.0, 1.0, 0.5], t0 + timedelta(days=7), kb="kb-2"))

    runs = store.list_runs()
    assert [r["id"] for r in runs] == [second, first]
    old = runs[1]
    assert old["dataset"] == {"name": "gold", "hash": "h" * 64} and old["n"] == 4
    assert old["release"]["kb_version"] == "kb-1" and set(old["release"]) >= {"prompt_version", "model"}
    score = old["scores"]["recall@10"]
    assert score["n"] == 3 and score["value"] == pytest.approx(2 / 3)
    assert score["ci_low"] <= score["value"] <= score["ci_high"]
    assert store.list_runs(limit=1)[0]["id"] == second
    assert store.get(first)["samples"]["recall@10"] == {"q0": 1.0, "q1": 0.0, "q2": None, "q3": 1.0}


def test_compare_flags_a_planted_regression_with_a_seeded_paired_bootstrap(engine: Engine) -> None:
    store = RunStore(engine)
    rng = random.Random(0)
    base = [float(rng.random() < 0.8) for _ in range(200)]
    worse = [0.0 if v and rng.random() < 0.25 else v for v in base]  # ≈ −0.2 on the same questions
    now = datetime.now(UTC)
    a, b, c = (store.add(make_run(v, now)) for v in (base, worse, base))

    rows = compare_runs(store.get(a), store.get(b), threshold=0.02)
    (row,) = rows
    assert row["paired"] and row["regression"] and row["delta"] < -0.1 and row["ci_high"] < 0
    assert rows == compare_runs(store.get(a), store.get(b), threshold=0.02)  # seeded: reproducible
    (same,) = compare_runs(store.get(a), store.get(c))
    assert same["delta"] == 0 and not same["regression"]
    (small,) = compare_runs(store.get(a), store.get(b), threshold=0.5)
    assert not small["regression"]  # beyond the threshold only


def test_majority_release_says_when_a_dataset_mixes_releases() -> None:
    rel = release(kb_version="k1", drafter="offline")
    out = majority_release([{"release": rel}, {"release": rel}, {"release": {**rel, "kb_version": "k2"}}])
    assert out["kb_version"] == "k1" and out["mixed"] == 2
    with pytest.raises(ValueError, match="unknown release"):
        release(kb="x")


def test_the_eval_migration_up_and_down_leaves_the_feedback_schema_alone(engine: Engine) -> None:
    before = set(inspect(engine).get_table_names())
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= EVAL_TABLES
    migrate(engine)  # at head: a no-op
    RunStore(engine).add(make_run([1.0], datetime.now(UTC)))
    downgrade(engine, "base")
    after = set(inspect(engine).get_table_names())
    assert not EVAL_TABLES & after
    assert after - {"alembic_version_eval"} == before  # drafts, events, audit log untouched
    migrate(engine)
    assert RunStore(engine).list_runs() == []
