"""Aggregates for project leads and workers' representatives: per ISO week and topic, never per
agent. A cell built from fewer than ``min_agents`` distinct pseudonyms is suppressed entirely
(its figures could point at one person); pseudonyms never leave this module.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from feedback.models import DraftRecord, FeedbackEvent

NO_TOPIC = "(sans thème)"
OUTCOMES = ("accepted_as_is", "edited", "rewritten", "discarded", "no_draft", "unassisted")


@dataclass
class _Cell:
    agents: set[str] = field(default_factory=set)
    shown: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    distances: list[float] = field(default_factory=list)
    ms_to_send: list[int] = field(default_factory=list)  # assisted arm
    ms_to_send_control: list[int] = field(default_factory=list)  # control arm: answered without a draft


def _week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_stats(
    engine: Engine, since: datetime | None = None, until: datetime | None = None, min_agents: int = 5
) -> list[dict[str, Any]]:
    query = select(
        FeedbackEvent.type,
        FeedbackEvent.agent_pseudonym,
        FeedbackEvent.occurred_at,
        FeedbackEvent.payload,
        FeedbackEvent.outcome,
        FeedbackEvent.edit_distance_char,
        FeedbackEvent.draft_id,
        DraftRecord.topic,
        DraftRecord.arm,
    ).join(DraftRecord, DraftRecord.id == FeedbackEvent.draft_id)
    if since is not None:
        query = query.where(FeedbackEvent.occurred_at >= since)
    if until is not None:
        query = query.where(FeedbackEvent.occurred_at < until)
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    with Session(engine) as session:
        for kind, agent, occurred, payload, outcome, distance, draft_id, topic, arm in session.execute(query):
            cell = cells[(_week(occurred), topic or NO_TOPIC)]
            cell.agents.add(agent)
            payload = payload or {}
            if kind == "shown":
                cell.shown.add(draft_id)
            if outcome:
                cell.outcomes[outcome] += 1
            if distance is not None:
                cell.distances.append(distance)
            if kind == "sent" and (payload.get("timings") or {}).get("ms_to_send") is not None:
                times = cell.ms_to_send_control if arm == "control" else cell.ms_to_send
                times.append(payload["timings"]["ms_to_send"])
            if kind == "verdict":
                cell.verdicts[payload.get("value", "?")] += 1
                cell.reasons.update(payload.get("reasons", []))
    return [_row(week, topic, cell, min_agents) for (week, topic), cell in sorted(cells.items())]


def _row(week: str, topic: str, cell: _Cell, min_agents: int) -> dict[str, Any]:
    if len(cell.agents) < min_agents:
        return {"week": week, "topic": topic, "suppressed": True, "agents": f"< {min_agents}"}
    verdicts = sum(cell.verdicts.values())
    return {
        "week": week,
        "topic": topic,
        "suppressed": False,
        "agents": len(cell.agents),
        "drafts_shown": len(cell.shown),
        **{o: cell.outcomes.get(o, 0) for o in OUTCOMES},
        "thumbs_down_rate": round(cell.verdicts.get("down", 0) / verdicts, 4) if verdicts else None,
        "down_reasons": dict(sorted(cell.reasons.items())),
        "median_edit_distance": round(statistics.median(cell.distances), 4) if cell.distances else None,
        "median_ms_to_send": _median_int(cell.ms_to_send),
        "median_ms_to_send_control": _median_int(cell.ms_to_send_control),
    }


def _median_int(values: list[int]) -> int | None:
    return int(statistics.median(values)) if values else None


CSV_COLUMNS = [
    "week",
    "topic",
    "agents",
    "drafts_shown",
    *OUTCOMES,
    "thumbs_down_rate",
    "median_edit_distance",
    "median_ms_to_send",
    "median_ms_to_send_control",
    "down_reasons",
]


# French headers (the file is opened by representatives and leads in a spreadsheet).
CSV_HEADERS = {
    "week": "semaine",
    "topic": "thème",
    "agents": "agents",
    "drafts_shown": "brouillons affichés",
    "accepted_as_is": "envoyés tels quels",
    "edited": "envoyés modifiés",
    "rewritten": "réécrits",
    "discarded": "écartés",
    "no_draft": "répondus sans brouillon",
    "unassisted": "répondus (bras témoin)",
    "thumbs_down_rate": "part « pas utile »",
    "median_edit_distance": "distance d'édition médiane",
    "median_ms_to_send": "temps médian jusqu'à l'envoi (ms)",
    "median_ms_to_send_control": "temps médian bras témoin (ms)",
    "down_reasons": "raisons « pas utile »",
}


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([CSV_HEADERS[c] for c in CSV_COLUMNS])
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    for row in rows:
        if row["suppressed"]:
            writer.writerow(
                {"week": row["week"], "topic": row["topic"], **{c: row["agents"] for c in CSV_COLUMNS[2:]}}
            )
        else:
            writer.writerow(
                {**row, "down_reasons": ";".join(f"{k}={v}" for k, v in row["down_reasons"].items())}
            )
    return out.getvalue()
