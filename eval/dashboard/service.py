"""The dashboard's two reads: one week (with the eval runs, the demo flag and the time saved against
the control arm) and a trend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from eval.dashboard import aggregates
from eval.dashboard.store import eval_runs, is_demo, load, verified_answers
from eval.dashboard.time_saved import time_saved
from eval.dashboard.weeks import bounds, current_week, french_label, last_weeks, shift
from eval.kb_gaps import Embed

NO_RUNS = "aucune évaluation enregistrée"


def week_data(
    engine: Engine,
    week: str | None,
    min_agents: int,
    now: datetime | None = None,
    embed: Embed | None = None,
    measures_max_age_s: float = 0.0,
) -> dict[str, Any]:
    """``measures_max_age_s``: how long the time-saved section may be reused after the data changed
    (eval/dashboard/time_saved.py); 0 recomputes it on any change."""
    this_week = current_week(now or datetime.now(UTC))
    week = week or this_week
    drafts, events = load(engine, *bounds(week))
    report = aggregates.week_report(week, drafts, events, min_agents, embed)
    runs = eval_runs(engine)
    return {
        **report,
        "verified": {**report["verified"], "answers_now": verified_answers(engine)},
        "label": french_label(week),
        "previous": shift(week, -1),
        "next": shift(week, 1) if week < this_week else None,
        "demo": is_demo(engine),
        "evals": {"runs": runs, "message": None if runs else NO_RUNS},
        "time_saved": time_saved(engine, week, min_agents, measures_max_age_s),
    }


def trend_data(engine: Engine, until: str | None, n: int, min_agents: int) -> dict[str, Any]:
    until = until or current_week()
    weeks = last_weeks(until, n)
    drafts, events = load(engine, bounds(weeks[0])[0], bounds(weeks[-1])[1])
    points = []
    for week in weeks:
        mine = [d for d in drafts if d.week == week]
        points.append(aggregates.trend_point(aggregates.week_report(week, mine, events, min_agents)))
    return {"until": until, "weeks": points, "min_agents": min_agents, "demo": is_demo(engine)}
