"""Release notes for agents: each release writes an entry at the top of ``docs/nouveautes.md`` (the
panel's « Nouveautés », read by ``assistant.services.changelog``) — what changed, said for agents, and
the feedback that motivated it: thumbs-down counts and reasons, discards, a few example draft ids.

Aggregates only: the feedback line is written only when at least ``min_agents`` distinct agents gave
it (the same threshold as every other view); below that it says so. Draft ids are examples a lead can
open; no pseudonym and no question text is written.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from assistant.services.changelog import parse
from eval.dashboard.labels import label
from feedback.models import DraftRecord, FeedbackEvent

EXAMPLES_PER_REASON = 2
_FIRST_ENTRY = re.compile(r"^##\s+\d{4}-\d{2}-\d{2}", re.MULTILINE)


@dataclass
class Motivation:
    since: date
    drafts: int = 0
    agents: int = 0
    down: int = 0
    discarded: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason → draft ids


def last_entry_date(path: Path) -> date | None:
    if not path.exists():
        return None
    dated = [e.date for e in parse(path.read_text(encoding="utf-8")) if e.date]
    return date.fromisoformat(dated[0]) if dated else None


def motivation(engine: Engine, since: date) -> Motivation:
    """Feedback on drafts created since ``since`` (00:00 UTC): thumbs-down verdicts by reason (latest
    verdict per draft), discards, with example draft ids, most recent first."""
    start = datetime.combine(since, time(0), tzinfo=UTC)
    with Session(engine) as session:
        drafts = session.execute(
            select(DraftRecord.id, DraftRecord.agent_pseudonym).where(DraftRecord.created_at >= start)
        ).all()
        ids = {d.id for d in drafts}
        events = session.execute(
            select(
                FeedbackEvent.draft_id,
                FeedbackEvent.type,
                FeedbackEvent.agent_pseudonym,
                FeedbackEvent.payload,
            )
            .where(FeedbackEvent.type.in_(("verdict", "discarded")))
            .order_by(FeedbackEvent.occurred_at)
        ).all()
    out = Motivation(since, drafts=len(ids))
    verdict: dict[str, dict[str, Any]] = {}
    agents: set[str] = set()
    discarded: set[str] = set()
    for e in events:
        if e.draft_id not in ids:
            continue
        agents.add(e.agent_pseudonym or "")
        if e.type == "verdict":
            verdict[e.draft_id] = e.payload or {}  # the latest verdict counts
        else:
            discarded.add(e.draft_id)
    examples: dict[str, list[str]] = defaultdict(list)
    for draft_id, payload in reversed(list(verdict.items())):
        if payload.get("value") != "down":
            continue
        out.down += 1
        for reason in payload.get("reasons") or ["other"]:
            out.reasons[str(reason)] += 1
            if len(examples[str(reason)]) < EXAMPLES_PER_REASON:
                examples[str(reason)].append(draft_id)
    out.discarded, out.agents, out.examples = len(discarded), len(agents), dict(examples)
    return out


def feedback_line(m: Motivation, min_agents: int) -> str:
    since = m.since.strftime("%d/%m/%Y")
    if m.agents < min_agents:
        return (
            f"Retours depuis le {since} : donnés par moins de {min_agents} agents, non détaillés "
            "(seuil de confidentialité)."
        )
    reasons = ", ".join(f"{label('reasons', r).lower()} {n}" for r, n in m.reasons.most_common())
    line = (
        f"Ce qui a motivé ces changements (retours depuis le {since}, {m.agents} agents) : "
        f"{m.down} brouillons jugés « pas utile » sur {m.drafts}"
        + (f" ({reasons})" if reasons else "")
        + f", {m.discarded} brouillons écartés."
    )
    shown = [
        f"{label('reasons', r).lower()} : {', '.join(m.examples[r])}" for r, _ in m.reasons.most_common(3)
    ]
    return line + (f" Exemples de brouillons — {' ; '.join(shown)}." if shown else "")


def entry(day: date, title: str, changes: list[str], feedback: str) -> str:
    if not title.strip() or not [c for c in changes if c.strip()]:
        raise ValueError(
            "a release note needs a title and at least one change / un titre et au moins un changement"
        )
    items = [" ".join(c.split()) for c in changes if c.strip()] + [feedback]
    return f"## {day.isoformat()} — {' '.join(title.split())}\n" + "".join(f"- {i}\n" for i in items)


def prepend(path: Path, text: str) -> None:
    """The entry goes above the newest one (after the file's introduction); a new file gets a title."""
    current = (
        path.read_text(encoding="utf-8")
        if path.exists()
        else "# Nouveautés de l'assistant — notes de version pour les agents\n\n"
    )
    first = _FIRST_ENTRY.search(current)
    at = first.start() if first else len(current)
    head = (
        current[:at]
        if current[:at].endswith("\n\n") or not current[:at]
        else current[:at].rstrip("\n") + "\n\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + text + "\n" + current[at:], encoding="utf-8")
