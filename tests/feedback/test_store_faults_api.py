"""Store faults as the API reports them: a lock held elsewhere, a read-only store, a failing
statement. Each gives a 503 ``{"code","detail"}`` with Retry-After, quickly, without stalling other
requests, and nothing of the question reaches the logs or the exported spans."""

from __future__ import annotations

import logging
import sqlite3
import statistics
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from assistant.app import create_app
from assistant.settings import Settings
from assistant.telemetry import TelemetrySettings, setup_telemetry
from tests.fixtures.app import bearer
from tests.fixtures.server import serving

QUESTION = "Combien de jours de congés payés par mois ?"


def sqlite_path(settings: Settings) -> Path:
    return Path(settings.database_url.split("///", 1)[1])


def event_body(draft_id: str) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "shown"}


@pytest.fixture
def settings(app_settings: Settings) -> Settings:
    fb = app_settings.feedback.model_copy(update={"lock_timeout_s": 0.5})
    return app_settings.model_copy(update={"feedback": fb})


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture
def held_lock(settings: Settings) -> Iterator[None]:
    """Another process's write transaction (a backup, a migration, a stuck script)."""
    other = sqlite3.connect(sqlite_path(settings), timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_locked_store_is_a_quick_503_and_health_never_waits(server: str, settings: Settings) -> None:
    with httpx.Client(base_url=server, headers=bearer(), timeout=30) as http:
        draft_id = http.post("/api/v1/drafts", json={"question": QUESTION}).json()["draft_id"]
        events = [event_body(draft_id) for _ in range(4)]
        other = sqlite3.connect(sqlite_path(settings), timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with ThreadPoolExecutor(4) as pool:
                posting = [pool.submit(http.post, "/api/v1/feedback/events", json=e) for e in events]
                health_s = []
                while not all(f.done() for f in posting):
                    start = time.perf_counter()
                    assert http.get("/api/v1/health").status_code == 200
                    health_s.append(time.perf_counter() - start)
                    time.sleep(0.02)
                refused = [f.result() for f in posting]
            ready = http.get("/api/v1/ready")
        finally:
            other.execute("ROLLBACK")
            other.close()
        for res in refused:
            assert res.status_code == 503, res.text
            assert res.json()["code"] == "store_unavailable" and "réessayer" in res.json()["detail"]
            assert res.headers["Retry-After"].isdigit()
        assert ready.status_code == 503 and "locked" in ready.json()["detail"]
        # Probes kept answering while four writes waited on the lock (the loop was never held).
        assert len(health_s) >= 5 and max(health_s) < 0.4, health_s
        # The panel's queue posts the same events again once the lock is gone: all stored, once.
        assert [http.post("/api/v1/feedback/events", json=e).status_code for e in events] == [201] * 4
        assert [http.post("/api/v1/feedback/events", json=e).status_code for e in events] == [200] * 4
        assert http.get("/api/v1/ready").status_code == 200


def test_a_read_only_store_is_not_ready_and_refuses_writes_with_503(app_settings: Settings) -> None:
    with TestClient(create_app(app_settings), headers=bearer()) as client:
        draft_id = client.post("/api/v1/drafts", json={"question": QUESTION}).json()["draft_id"]
    # The same database, opened read-only (as with unwritable files or a read-only replica); the
    # checkpoint signed at the first start is recent, so this start writes nothing either.
    path = sqlite_path(app_settings)
    read_only = app_settings.model_copy(update={"database_url": f"sqlite:///file:{path}?mode=ro&uri=true"})
    with TestClient(create_app(read_only), headers=bearer()) as client:
        assert client.get("/api/v1/health").status_code == 200
        ready = client.get("/api/v1/ready")
        assert ready.status_code == 503 and "not writable" in ready.json()["detail"], ready.text
        res = client.post("/api/v1/feedback/events", json=event_body(draft_id))
        assert res.status_code == 503 and res.json()["code"] == "store_unavailable"
        assert "Retry-After" in res.headers
        drafted = client.post("/api/v1/drafts", json={"question": QUESTION})
        assert drafted.status_code == 503 and drafted.json()["code"] == "store_unavailable"
        assert client.get(f"/api/v1/drafts/{draft_id}").status_code == 200  # reads still work


def test_a_failing_statement_leaks_no_question_into_logs_or_spans(
    app_settings: Settings, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    marker = "Zorglub-7431"
    spans = InMemorySpanExporter()
    telemetry = setup_telemetry(TelemetrySettings(), span_exporter=spans)
    app = create_app(app_settings, telemetry=telemetry)
    caplog.set_level(logging.DEBUG)
    with TestClient(app, headers=bearer()) as client:
        with app.state.store.engine.begin() as conn:  # every draft insert now fails in the driver
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_drafts BEFORE INSERT ON drafts "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        res = client.post("/api/v1/drafts", json={"question": f"Mes congés, dossier {marker} ?"})
        assert res.status_code == 503 and res.json()["code"] == "store_unavailable", res.text
        assert marker not in res.text
    telemetry.tracer_provider.force_flush()
    exported = spans.get_finished_spans()
    assert exported, "the request was traced"
    failed = [s for s in exported if any(e.name == "exception" for e in s.events)]
    assert failed, "the error was recorded on a span (as its type)"
    dumped = "\n".join(s.to_json() for s in exported)
    assert "IntegrityError" in dumped or "DBAPIError" in dumped
    assert marker not in dumped and "exception.stacktrace" not in dumped
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "feedback store error" in logged  # the fault is logged: its class, not its values
    assert marker not in logged and "[parameters:" not in logged


def test_health_stays_fast_while_a_lock_is_held(server: str, held_lock: None) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        times = []
        for _ in range(20):
            start = time.perf_counter()
            assert http.get("/api/v1/health").status_code == 200
            times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.1
