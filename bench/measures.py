"""Coverage and bias of the time-saved intervals on simulated weeks with a known truth →
bench/results/measures.json.

Each replication is one independent simulated week (its own 30 agents, random agent speeds and
savings, log-normal times, idle gaps, discards, control retypes; eval/simulate_sessions.py). For
each topic the 95 % cluster-bootstrap intervals of both estimators are checked against the
population value of their estimand (computed by Monte Carlo on a very large population). Also:
the time to compute every measure of a 10,000-event week.

Usage: python -m bench.measures [--weeks 200] [--replicates 1000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert

from bench.common import machine, write_result
from eval.measures import Rules, measures, time_saved_cell
from eval.measures_store import week_measures
from eval.simulate_sessions import SimConfig, SimQuestion, panel_plan, sessions, simulate_week, true_effects
from feedback.db import make_engine, migrate
from feedback.models import DraftRecord, FeedbackEvent

ESTIMATORS = {"median_difference": "median_difference", "hodges_lehmann": "hodges_lehmann"}
EVENTS_PER_QUESTION = 3.95  # shown, sent (+ edit_started, sources_opened, verdict, regenerated…) as simulated


def coverage(weeks: int, replicates: int, config: SimConfig) -> dict[str, Any]:
    truth = true_effects(config, n=2_000_000)
    hits = {e: 0 for e in ESTIMATORS}
    errors: dict[str, list[float]] = {e: [] for e in ESTIMATORS}
    widths: dict[str, list[float]] = {e: [] for e in ESTIMATORS}
    per_topic: dict[str, dict[str, list[int]]] = {t: {e: [] for e in ESTIMATORS} for t in config.topics}
    cells = 0
    for i in range(weeks):
        ss = sessions(simulate_week("2026-W48", config, seed=10_000 + i))
        for topic in sorted(config.topics):
            cell = time_saved_cell(
                [s for s in ss if s.topic == topic], Rules(replicates=replicates, seed=i), topic
            )
            if cell["status"] != "ok":
                continue
            cells += 1
            for e in ESTIMATORS:
                lo, hi = cell[f"{e}_ci95_s"]
                true = truth[topic][e]
                covered = int(lo <= true <= hi)
                hits[e] += covered
                per_topic[topic][e].append(covered)
                errors[e].append(cell[f"{e}_s"] - true)
                widths[e].append(hi - lo)
    return {
        "cells": cells,
        "truth_seconds": {t: {k: round(v, 2) for k, v in d.items()} for t, d in truth.items()},
        "coverage": {e: round(hits[e] / cells, 4) for e in ESTIMATORS},
        "bias_seconds": {e: round(float(np.mean(errors[e])), 2) for e in ESTIMATORS},
        "rmse_seconds": {e: round(float(np.sqrt(np.mean(np.square(errors[e])))), 2) for e in ESTIMATORS},
        "mean_interval_width_seconds": {e: round(float(np.mean(widths[e])), 1) for e in ESTIMATORS},
        "coverage_per_topic": {
            t: {e: round(float(np.mean(v)), 4) for e, v in d.items()} for t, d in per_topic.items()
        },
    }


def _store_week(questions: list[SimQuestion], url: str) -> tuple[Any, int]:
    """The panel plan of each question written straight into a migrated SQLite store (Core
    inserts: the point is the measures' read and compute time, not the event API's)."""
    migrate(url)
    engine = make_engine(url)
    drafts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for q in questions:
        previous: str | None = None
        for planned in panel_plan(q):
            did = str(uuid.uuid4())
            start = q.start + timedelta(milliseconds=planned.events[0].offset_ms)
            drafts.append(
                {
                    "id": did,
                    "created_at": start,
                    "question_masked": planned.question,
                    "pii_kinds": [],
                    "topic": q.session.topic,
                    "decision": "drafted",
                    "decision_reason": "sim",
                    "confidence": 0.8,
                    "draft_text": None if planned.arm == "control" else "Brouillon.",
                    "citations": [],
                    "retrieved": [],
                    "flags": [],
                    "kb_version": "sim",
                    "drafter": "offline",
                    "latency_ms": 1,
                    "arm": planned.arm,
                    "agent_pseudonym": q.session.agent,
                    "regenerated_from": previous if planned.regenerates_previous else None,
                }
            )
            for e in planned.events:
                at = q.start + timedelta(milliseconds=e.offset_ms)
                events.append(
                    {
                        "event_id": str(uuid.uuid4()),
                        "draft_id": did,
                        "type": e.type,
                        "agent_pseudonym": q.session.agent,
                        "occurred_at": at,
                        "received_at": at,
                        "payload": e.body,
                        "payload_digest": "0" * 64,
                        "edit_distance_char": 0.2 if e.type == "sent" and planned.arm == "assisted" else None,
                        "outcome": None,
                    }
                )
            previous = did
    with engine.begin() as conn:
        conn.execute(insert(DraftRecord), drafts)
        conn.execute(insert(FeedbackEvent), events)
    return engine, len(events)


def compute_10k(config: SimConfig, replicates: int) -> dict[str, Any]:
    """All the measures of a week of 10,000 panel events: sessions read from a SQLite store
    (regenerations and retypes merged), then every estimate, interval and composition."""
    n_questions = int(10_000 / EVENTS_PER_QUESTION)
    big = SimConfig(**{**config.__dict__, "agents": 30, "questions_per_agent": n_questions / 30})
    questions = simulate_week("2026-W48", big, seed=7)
    with tempfile.TemporaryDirectory() as tmp:
        engine, n_events = _store_week(questions, f"sqlite:///{tmp}/measures.sqlite")
        started = time.perf_counter()
        week_measures(engine, "2026-W48", replicates=replicates)
        from_store = time.perf_counter() - started
        engine.dispose()
    ss = sessions(questions)
    started = time.perf_counter()
    measures(ss, ["2026-W48"], Rules(replicates=replicates))
    pure = time.perf_counter() - started
    return {
        "questions": len(ss),
        "events": n_events,
        "seconds": round(from_store, 3),
        "pure_seconds": round(pure, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", type=int, default=200)
    parser.add_argument("--replicates", type=int, default=1000)
    args = parser.parse_args()
    config = SimConfig()
    started = time.perf_counter()
    cov = coverage(args.weeks, args.replicates, config)
    elapsed = time.perf_counter() - started
    speed = compute_10k(config, args.replicates)
    payload = {
        "weeks": args.weeks,
        "coverage": cov["coverage"],
        "bias_seconds": cov["bias_seconds"],
        "compute_seconds_10k_events": speed["seconds"],
        "targets": {"coverage": [0.93, 0.97], "compute_seconds_10k_events": 5.0},
        "detail": {
            **{k: v for k, v in cov.items() if k not in ("coverage", "bias_seconds")},
            "bootstrap_replicates": args.replicates,
            "interval": "95 % percentile bootstrap, agents resampled with replacement (clustered)",
            "config": {k: v for k, v in config.__dict__.items()},
            "questions_10k_events_week": speed["questions"],
            "events_10k_events_week": speed["events"],
            "compute_seconds_10k_events_pure": speed["pure_seconds"],
            "compute_note": "store read (SQLite) + sessions + every estimate (1000 clustered bootstrap "
            "replicates per cell); pure = the estimates alone",
            "events_per_question_assumed": EVENTS_PER_QUESTION,
            "coverage_run_seconds": round(elapsed, 1),
        },
        "machine": machine(),
    }
    path = write_result("measures", payload)
    print(path)
    print({k: payload[k] for k in ("weeks", "coverage", "bias_seconds", "compute_seconds_10k_events")})


if __name__ == "__main__":
    main()
