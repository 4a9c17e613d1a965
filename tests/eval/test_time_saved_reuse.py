"""The dashboard's « Temps gagné » section is reused while the data has not changed, and for
``max_age_s`` after it has; readers of one week share one computation (on a real SQLite store)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine

import eval.dashboard.time_saved as module
from eval.dashboard.time_saved import time_saved
from feedback import reuse
from feedback.drafts import DraftStore
from tests.fixtures.audit_log import make_draft, migrated_engine

WEEK = "2026-W02"
ID = "0d5a1e7c-0000-4000-8000-{:012d}"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = migrated_engine(tmp_path / "hra.sqlite")
    DraftStore(engine).add(make_draft(ID.format(1)))
    return engine


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the real computations (the function still runs: only "was it called" is recorded)."""
    calls: list[str] = []
    real = module.week_measures

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "week_measures", counted)
    return calls


def test_unchanged_data_is_never_recomputed(engine: Engine, computations: list[str]) -> None:
    first = time_saved(engine, WEEK, 5)
    assert time_saved(engine, WEEK, 5) is first and len(computations) == 1
    assert first["computed_at"] and first["max_age_s"] == 0


def test_with_no_reuse_window_new_data_is_computed_at_once(engine: Engine, computations: list[str]) -> None:
    time_saved(engine, WEEK, 5, max_age_s=0)
    DraftStore(engine).add(make_draft(ID.format(2)))
    time_saved(engine, WEEK, 5, max_age_s=0)
    assert len(computations) == 2


def test_within_the_window_new_data_reuses_the_last_result_then_not(
    engine: Engine, computations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = time_saved(engine, WEEK, 5, max_age_s=60)
    DraftStore(engine).add(make_draft(ID.format(2)))
    assert time_saved(engine, WEEK, 5, max_age_s=60) is first  # at most 60 s old: reused
    assert len(computations) == 1
    later = time.monotonic() + 61
    monkeypatch.setattr(reuse, "time", SimpleNamespace(monotonic=lambda: later))
    again = time_saved(engine, WEEK, 5, max_age_s=60)
    assert again is not first and len(computations) == 2 and again["max_age_s"] == 60


def test_concurrent_readers_share_one_computation(engine: Engine, computations: list[str]) -> None:
    results: list[dict[str, Any]] = []
    start = threading.Barrier(4)

    def reader() -> None:
        start.wait()
        results.append(time_saved(engine, WEEK, 5))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert len(computations) == 1
