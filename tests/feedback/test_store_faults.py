"""Fault injection on the feedback store (issue 16), with real processes and a real PostgreSQL:

- PostgreSQL stopped (``pg_ctl stop -m immediate``) under a running app: writes and readiness answer
  503 with Retry-After and a ``{"code","detail"}`` body; once restarted, the panel's queue re-posts
  the same events (same ``event_id``) and every acknowledged event is stored exactly once, the log
  verifies.
- A writer process SIGKILLed at a random (seeded) moment, several rounds, on SQLite and PostgreSQL
  (and PostgreSQL stopped under a running writer): an entry and its row are one transaction, so the
  chain always verifies afterwards — no torn tail — and every write the writer acknowledged is there.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from assistant.app import create_app
from assistant.settings import Settings
from feedback.audit import verify
from feedback.db import make_engine, migrate
from feedback.models import AuditEntry, DraftRecord, FeedbackEvent
from tests.fixtures.postgres import Cluster

WRITER = Path(__file__).with_name("store_writer.py")
ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Combien de jours de congés payés par mois ?"


def shown(draft_id: str) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "shown"}


def stored_ids(engine: Engine) -> list[str]:
    with engine.connect() as c:
        return list(c.execute(select(FeedbackEvent.event_id)).scalars())


def test_postgres_stopped_answers_503_and_the_queue_loses_nothing(
    app_settings: Settings, cluster: Cluster
) -> None:
    fb = app_settings.feedback.model_copy(update={"lock_timeout_s": 0.5})
    settings = app_settings.model_copy(update={"database_url": cluster.url(), "feedback": fb})
    with TestClient(create_app(settings), headers={"Authorization": "Bearer agent-token-for-tests"}) as c:
        res = c.post("/api/v1/drafts", json={"question": QUESTION, "topic": "conges"})
        assert res.status_code == 201, res.text
        draft_id = res.json()["draft_id"]
        queue = [shown(draft_id) for _ in range(6)]  # the panel's queue: kept until acknowledged
        acknowledged: set[str] = set()
        for event in queue[:3]:
            assert c.post("/api/v1/feedback/events", json=event).status_code == 201
            acknowledged.add(event["event_id"])

        cluster.stop()
        for event in queue[3:]:
            started = time.perf_counter()
            res = c.post("/api/v1/feedback/events", json=event)
            assert res.status_code == 503, res.text
            assert res.json()["code"] == "store_unavailable" and res.json()["detail"]
            assert int(res.headers["Retry-After"]) >= 1
            assert time.perf_counter() - started < 10  # an answer, not a hang
        drafted = c.post("/api/v1/drafts", json={"question": QUESTION, "topic": "conges"})
        assert drafted.status_code == 503 and drafted.json()["code"] == "store_unavailable", drafted.text
        assert "Retry-After" in drafted.headers
        ready = c.get("/api/v1/ready")
        assert ready.status_code == 503 and ready.json()["code"] == "store_unavailable", ready.text
        assert ready.json()["detail"] and "Retry-After" in ready.headers
        assert c.get("/api/v1/health").status_code == 200  # the process itself is alive

        cluster.start()
        statuses = {}
        for event in queue:  # the queue re-posts everything it holds, acknowledged or not
            res = c.post("/api/v1/feedback/events", json=event)
            statuses[event["event_id"]] = res.status_code
        assert [statuses[e["event_id"]] for e in queue] == [200] * 3 + [201] * 3  # replays: stored once
        assert c.get("/api/v1/ready").status_code == 200
        assert c.post("/api/v1/drafts", json={"question": QUESTION, "topic": "conges"}).status_code == 201

        engine = c.app.state.store.engine  # type: ignore[attr-defined]
        ids = stored_ids(engine)
        assert sorted(ids) == sorted(e["event_id"] for e in queue)  # each exactly once
        report = verify(engine)
        assert report.ok and report.tree_size == 2 + 6, report.reason  # two drafts, six events


# --------------------------------------------------------------------------- a writer killed mid-write


def run_writer_and_kill(
    url: str, seed: int, delay: float, tmp: Path, crash: Callable[[], None] | None = None
) -> list[tuple[str, str]]:
    """Start the writer, let it write for ``delay`` seconds after it is ready, then SIGKILL it (or
    ``crash`` the server under it, and wait for it to fail); returns what it acknowledged (kind,
    id) — printed only after the commit returned."""
    out = tmp / f"acks-{seed}.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), url, str(seed)],
            stdout=sink,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 60
            while "READY" not in out.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                time.sleep(0.02)
            time.sleep(delay)
            if crash is None:
                proc.send_signal(signal.SIGKILL)
            else:
                crash()
                proc.wait(timeout=30)  # the writer's next statement fails: it exits on the error
        finally:
            proc.kill()
            proc.wait(timeout=30)
            if proc.stderr:
                proc.stderr.close()
    assert proc.returncode == (-signal.SIGKILL if crash is None else 1)
    lines = out.read_text().splitlines()
    return [tuple(line.split(" ", 1)) for line in lines if line[:2] in ("D ", "E ")]  # type: ignore[misc]


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_writer_killed_mid_write_leaves_a_chain_that_verifies(db_url: str, tmp_path: Path) -> None:
    rounds = 4
    migrate(db_url)
    engine = make_engine(db_url)
    rng = random.Random(16)
    acked: list[tuple[str, str]] = []
    try:
        for n in range(rounds):
            acked += run_writer_and_kill(db_url, 100 + n, rng.uniform(0.2, 0.9), tmp_path)
            report = verify(engine)
            # Asserted, not tolerated: an entry and its row commit together, so a kill never leaves
            # a torn tail (an entry without its row, or a row without its entry).
            assert report.ok and report.first_broken_seq is None, f"round {n}: {report.reason}"
            assert report.tree_size == count(engine, DraftRecord) + count(engine, FeedbackEvent)
            assert report.tree_size == count(engine, AuditEntry)
            with engine.connect() as c:
                drafts = set(c.execute(select(DraftRecord.id)).scalars())
                events = set(c.execute(select(FeedbackEvent.event_id)).scalars())
            missing = [(k, i) for k, i in acked if i not in (drafts if k == "D" else events)]
            assert missing == [], f"round {n}: acknowledged but lost: {missing}"
            # and nothing else, but for at most one write per round committed just before the kill
            assert 0 <= len(drafts) + len(events) - len(acked) <= n + 1
        assert len(acked) >= rounds  # the writer did write between start and kill
    finally:
        engine.dispose()


def test_postgres_stopped_under_a_writer_loses_no_acknowledged_write(
    cluster: Cluster, tmp_path: Path
) -> None:
    url = cluster.url()
    migrate(url)
    acked = run_writer_and_kill(url, 7, 0.5, tmp_path, crash=cluster.stop)
    cluster.start()
    engine = make_engine(url)
    try:
        report = verify(engine)
        assert report.ok, report.reason
        with engine.connect() as c:
            stored = set(c.execute(select(DraftRecord.id)).scalars())
            stored |= set(c.execute(select(FeedbackEvent.event_id)).scalars())
        assert acked and {i for _, i in acked} <= stored
        assert len(stored) - len(acked) <= 1 and report.tree_size == len(stored)
    finally:
        engine.dispose()
