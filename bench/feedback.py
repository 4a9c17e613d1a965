"""Feedback ingestion through the HTTP API → bench/results/feedback.json.

A real uvicorn server on a local port, 16 concurrent clients (threads with keep-alive httpx
clients, in a separate process — like browsers, they must not share the server's interpreter)
posting distinct events, each client also replaying 5 % of its events (idempotency under
load). Measured: sustained events/s, request latency p50/p95, then rows counted (0 lost, 0
duplicated) and the audit chain verified. Run on SQLite (WAL) and on a throwaway PostgreSQL 15
(note: durable settings, fsync on — the numbers include real commits).
Two load generators: Python clients (16 threads in a second process) and wrk (C; 16 connections,
Lua script bench/feedback_load.lua). On a 2-core box the Python load generator itself eats most of
a core, so wrk is the fair measure of the server; both are reported.
Targets: ≥ 500 events/s with p95 ≤ 50 ms on SQLite; the same figure reported for PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.common import live_server, machine, percentiles_ms, write_result
from bench.pg import postgres

CLIENTS, PER_CLIENT, REPLAY_EVERY = 16, 250, 20
TOKEN = "bench-agent-token-0123456789abcdef"


@contextlib.contextmanager
def serve(database_url: str, work: Path) -> Iterator[tuple[str, Any]]:
    from assistant.app import create_app
    from assistant.settings import Settings

    settings = Settings(
        env="test",
        database_url=database_url,
        build_index_on_start=False,
        kb={"index_dir": work / "kb"},  # type: ignore[arg-type]
        auth={"tokens": {"agent": [TOKEN]}},  # type: ignore[arg-type]
        feedback={"pseudonym_key_file": work / "p.key"},
    )  # type: ignore[arg-type]
    app = create_app(settings)
    with live_server(app) as base:
        yield base, app


def seed_drafts(app: Any, n: int) -> list[str]:
    """Drafts owned by the bench token's agent: events on another agent's draft are refused (404)."""
    from assistant.auth import derived_subject
    from tests.fixtures.audit_log import make_draft

    owner = app.state.events.pseudonym(derived_subject(TOKEN))
    ids = [str(uuid.uuid4()) for _ in range(n)]
    for draft_id in ids:
        draft = make_draft(draft_id)
        draft.agent_pseudonym = owner
        app.state.store.add(draft)
    return ids


def client_loop(
    base: str, drafts: list[str], worker: int, latencies: list[float], statuses: list[int]
) -> None:
    kinds = ["shown", "edit_started", "sources_opened", "sent", "verdict"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        for i in range(PER_CLIENT):
            kind = kinds[i % len(kinds)]
            body: dict[str, Any] = {
                "event_id": str(uuid.uuid4()),
                "draft_id": drafts[i % len(drafts)],
                "type": kind,
                "timings": {"ms_to_first_edit": 1000 + i},
            }
            if kind == "sources_opened":
                body["duration_ms"] = 2000
            elif kind == "sent":
                body["final_text"] = "Bonjour,\n\nTexte du brouillon revu [1].\n\nCordialement,"
            elif kind == "verdict":
                body.update(value="down", reasons=["too_long"], comment="Un peu long.")
            for _ in range(2 if i % REPLAY_EVERY == 0 else 1):
                t = time.perf_counter()
                res = client.post("/api/v1/feedback/events", json=body)
                latencies.append(time.perf_counter() - t)
                statuses.append(res.status_code)


def wrk_load(base: str, drafts: list[str], work: Path, seconds: int) -> dict[str, Any]:
    """16 connections from wrk (C, two threads): the load costs the server's cores almost nothing."""
    script = (Path(__file__).parent / "feedback_load.lua").read_text()
    script = script.replace("{DRAFTS}", "{" + ", ".join(f'"{d}"' for d in drafts) + "}").replace(
        "TOKEN", TOKEN
    )
    path = work / "load.lua"
    path.write_text(script)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(path), base],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("WRKJSON")).split(" ", 1)[1])


def run_wrk(database_url: str, work: Path, seconds: int) -> dict[str, Any]:
    from feedback.audit import verify
    from feedback.db import make_engine
    from feedback.models import AuditEntry, FeedbackEvent

    with serve(database_url, work) as (base, app):
        drafts = seed_drafts(app, 20)
        load = wrk_load(base, drafts, work, seconds)
    # Counted after the server stopped (graceful: in-flight requests finish): wrk stops at the
    # deadline without reading the last responses, so a few events are stored but not acknowledged.
    engine = make_engine(database_url)
    with engine.connect() as c:
        rows = c.execute(select(func.count()).select_from(FeedbackEvent)).scalar_one()
        distinct = c.execute(select(func.count(FeedbackEvent.event_id.distinct()))).scalar_one()
        entries = c.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    report = verify(engine)
    engine.dispose()
    return {
        "load": "wrk -t2 -c16",
        **load,
        "events_per_second": round(load["created"] / load["duration_s"], 1),
        "requests_per_second": round(load["requests"] / load["duration_s"], 1),
        "rows": rows,
        "audit_entries": entries,
        "lost": max(0, load["created"] - rows),
        "duplicated": rows - distinct,
        "stored_in_flight_at_deadline": rows - load["created"],
        "chain_ok": report.ok and entries == rows,
    }


def run(database_url: str, work: Path) -> dict[str, Any]:
    from feedback.audit import verify
    from feedback.models import AuditEntry, FeedbackEvent

    with serve(database_url, work) as (base, app):
        drafts = seed_drafts(app, 20)
        latencies: list[float] = []
        statuses: list[int] = []
        threads = [
            threading.Thread(target=client_loop, args=(base, drafts, w, latencies, statuses))
            for w in range(CLIENTS)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        engine = app.state.store.engine
        with engine.connect() as c:
            rows = c.execute(select(func.count()).select_from(FeedbackEvent)).scalar_one()
            entries = c.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        t = time.perf_counter()
        report = verify(engine)
        verify_s = time.perf_counter() - t
    expected = CLIENTS * PER_CLIENT
    return {
        "requests": len(statuses),
        "distinct_events": expected,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(statuses) / elapsed, 1),
        "latency_ms": percentiles_ms(latencies),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "rows": rows,
        "audit_entries": entries,
        "lost": expected - rows,
        "duplicated": max(0, rows - expected),
        "chain_ok": report.ok,
        "verify_seconds": round(verify_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--seconds", type=int, default=15, help="duration of the wrk run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hra-feedback-bench-"))
    try:
        result: dict[str, Any] = {
            "clients": CLIENTS,
            "events_per_client": PER_CLIENT,
            "replayed_share": 1 / REPLAY_EVERY,
            "targets": {"events_per_second": 500, "p95_ms": 50},
        }
        result["sqlite"] = run(f"sqlite:///{work}/bench.sqlite", work)
        print("sqlite", result["sqlite"], file=sys.stderr)
        if shutil.which("wrk"):
            result["sqlite_wrk"] = run_wrk(f"sqlite:///{work}/bench-wrk.sqlite", work, args.seconds)
            print("sqlite_wrk", result["sqlite_wrk"], file=sys.stderr)
        if not args.skip_postgres:
            with postgres() as url:
                result["postgresql"] = run(url, work)
            print("postgresql", result["postgresql"], file=sys.stderr)
            if shutil.which("wrk"):
                with postgres() as url:
                    result["postgresql_wrk"] = run_wrk(url, work, args.seconds)
                print("postgresql_wrk", result["postgresql_wrk"], file=sys.stderr)
        result.update(machine=machine(), finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        write_result("feedback", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
