"""Sessions (one per question) from the feedback store, and the week's JSON-ready measures.

A question is its first draft plus the drafts that replaced it (``regenerated_from``: « Régénérer »,
« Proposer quand même ») plus a retyped question (same agent, similar masked text, within
``RETYPE_WINDOW_S``, the first one having led to no sent text) — intention-to-treat: the arm is
the one of the first draw. Time on each draft is the ``ms_to_send`` the panel measured at its last
action (sent, discarded, regenerated); a draft left without any action (a control question retyped
as a new one) counts until the next draft of the question was shown.

Feedback time: the panel does not time the thumbs-down form. What exists is the verdict's own
``timings.ms_to_send`` (draft shown → verdict posted). When the verdict comes after the text was
sent, the difference with the sent ``ms_to_send`` is the time from sending to posting the verdict:
an upper bound of the time spent in the form, used as ``feedback_ms``. A verdict given before
sending is inside the time to send already (0 here).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session as DbSession

from eval.measures import (
    DraftLite,
    Rules,
    Session,
    detect_retypes,
    iso_week,
    measures,
    week_start,
    weeks_ending,
)
from feedback.models import DraftRecord, FeedbackEvent

NO_TOPIC = "(sans thème)"
RETYPE_WINDOW_S = 600.0
FEEDBACK_CAP_MS = 15 * 60 * 1000  # a verdict posted later than this after sending is not form time


@dataclass
class _Draft:
    id: str
    agent: str
    arm: str
    topic: str
    created_at: datetime
    question: str
    regenerated_from: str | None
    flags: int
    shown_at: datetime | None = None
    terminal: str | None = None  # sent | discarded | regenerated
    terminal_ms: int | None = None
    sent_ms: int | None = None
    active_edit_ms: int = 0
    sources_open_ms: int | None = None
    sources_events_ms: int = 0
    edit_distance: float | None = None
    feedback_ms: int = 0
    thumbs_down: int = 0
    invented: int = 0
    verdict_after_ms: list[int] = field(default_factory=list)

    @property
    def at(self) -> datetime:
        return self.shown_at or self.created_at


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_sessions(engine: Engine, since: datetime, until: datetime) -> tuple[list[Session], dict[str, int]]:
    """Sessions of the questions first drawn in [since, until) — drafts are read with a margin so
    that a question's later drafts and events are included. Returns the sessions and counts of
    what was merged (regenerations, retypes)."""
    margin = timedelta(days=1)
    drafts: dict[str, _Draft] = {}
    with DbSession(engine) as db:
        rows = db.execute(
            select(
                DraftRecord.id,
                DraftRecord.agent_pseudonym,
                DraftRecord.arm,
                DraftRecord.topic,
                DraftRecord.created_at,
                DraftRecord.question_masked,
                DraftRecord.regenerated_from,
                DraftRecord.flags,
            ).where(
                DraftRecord.agent_pseudonym.is_not(None),
                or_(
                    DraftRecord.created_at.between(since - margin, until + margin),
                    DraftRecord.id.in_(
                        select(FeedbackEvent.draft_id).where(
                            FeedbackEvent.occurred_at >= since - margin,
                            FeedbackEvent.occurred_at < until + margin,
                        )
                    ),
                ),
            )
        )
        for did, agent, arm, topic, created, question, parent, flags in rows:
            drafts[did] = _Draft(
                did, agent, arm, topic or NO_TOPIC, _aware(created), question, parent, len(flags or [])
            )
        events = db.execute(
            select(
                FeedbackEvent.draft_id,
                FeedbackEvent.type,
                FeedbackEvent.occurred_at,
                FeedbackEvent.payload,
                FeedbackEvent.edit_distance_char,
            )
            .where(FeedbackEvent.occurred_at >= since - margin, FeedbackEvent.occurred_at < until + margin)
            .order_by(FeedbackEvent.occurred_at)
        )
        for did, kind, occurred, payload, distance in events:
            d = drafts.get(did)
            if d is None:
                continue
            _apply(d, kind, _aware(occurred), payload or {}, distance)
    for d in drafts.values():
        for after in d.verdict_after_ms:  # verdicts posted after sending: the form's upper bound
            if d.sent_ms is not None and 0 <= after - d.sent_ms <= FEEDBACK_CAP_MS:
                d.feedback_ms += after - d.sent_ms
    return _sessions(drafts, since, until)


def _apply(d: _Draft, kind: str, occurred: datetime, payload: dict[str, Any], distance: float | None) -> None:
    timings = payload.get("timings") or {}
    if kind == "shown":
        d.shown_at = occurred if d.shown_at is None else min(d.shown_at, occurred)
    elif kind in ("sent", "discarded", "regenerated"):
        d.terminal, d.terminal_ms = kind, timings.get("ms_to_send")
        if kind == "sent":
            d.sent_ms, d.edit_distance = timings.get("ms_to_send"), distance
        d.active_edit_ms = timings.get("active_edit_ms") or d.active_edit_ms
        if timings.get("sources_open_ms") is not None:
            d.sources_open_ms = timings["sources_open_ms"]
    elif kind == "sources_opened":
        d.sources_events_ms += int(payload.get("duration_ms") or 0)
    elif kind == "verdict":
        if payload.get("value") == "down":
            d.thumbs_down += 1
            d.invented += int("invented_source_or_fact" in payload.get("reasons", []))
        if timings.get("ms_to_send") is not None:
            d.verdict_after_ms.append(int(timings["ms_to_send"]))


def _root(drafts: dict[str, _Draft], did: str) -> str:
    seen = {did}
    while (parent := drafts[did].regenerated_from) is not None and parent in drafts and parent not in seen:
        did = parent
        seen.add(did)
    return did


def _sessions(
    drafts: dict[str, _Draft], since: datetime, until: datetime
) -> tuple[list[Session], dict[str, int]]:
    # 1. regenerations: each draft joins the question of its first draft
    question: dict[str, str] = {did: _root(drafts, did) for did in drafts}
    groups: dict[str, list[_Draft]] = defaultdict(list)
    for did, root in question.items():
        groups[root].append(drafts[did])
    # 2. retyped questions: a first draft retyped joins the earlier question (first draw kept)
    lites = [
        DraftLite(
            root,
            drafts[root].agent,
            drafts[root].at,
            drafts[root].question,
            any(x.terminal == "sent" for x in members),
            False,
        )
        for root, members in groups.items()
    ]
    retyped_into = detect_retypes(lites, RETYPE_WINDOW_S)
    merged: dict[str, list[_Draft]] = defaultdict(list)
    for root, members in groups.items():
        merged[retyped_into.get(root, root)].extend(members)
    out: list[Session] = []
    for root, members in merged.items():
        first = drafts[root]
        if not (since <= first.at < until):
            continue
        members.sort(key=lambda x: x.at)
        out.append(_session(first, members, retyped=any(m.id in retyped_into for m in members)))
    counts = {
        "retyped_questions": len(retyped_into),
        "regenerations": sum(1 for d in drafts.values() if d.regenerated_from is not None),
    }
    return out, counts


def _session(first: _Draft, members: list[_Draft], retyped: bool) -> Session:
    spent = 0
    ended_sent = members[-1].terminal == "sent"
    for i, m in enumerate(members):
        if m.terminal_ms is not None:
            spent += m.terminal_ms
        elif i + 1 < len(members):  # left without an action: until the next draft was shown
            spent += max(0, int((members[i + 1].at - m.at).total_seconds() * 1000))
    discarded = [m for m in members if m.terminal == "discarded"]
    sent = next((m for m in reversed(members) if m.terminal == "sent"), None)
    return Session(
        arm="control" if first.arm == "control" else "assisted",
        topic=first.topic,
        agent=first.agent,
        week=iso_week(first.at),
        ms_to_send=spent if ended_sent else None,
        sources_open_ms=sum(
            m.sources_open_ms if m.sources_open_ms is not None else m.sources_events_ms for m in members
        ),
        active_edit_ms=sum(m.active_edit_ms for m in members),
        edit_distance=sent.edit_distance if sent is not None else None,
        discarded=bool(discarded),
        discarded_ms=sum(m.terminal_ms or 0 for m in discarded),
        regenerations=sum(1 for m in members if m.terminal == "regenerated"),
        feedback_ms=sum(m.feedback_ms for m in members),
        thumbs_down=sum(m.thumbs_down for m in members),
        invented=sum(m.invented for m in members),
        flags=sum(m.flags for m in members),
        retyped=retyped,
        drafts=len(members),
    )


def week_bounds(week: str, weeks: int = 1) -> tuple[datetime, datetime]:
    first = weeks_ending(week, weeks)[0]
    since = datetime.combine(week_start(first), datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(week_start(week), datetime.min.time(), tzinfo=UTC) + timedelta(weeks=1)
    return since, until


def week_measures(
    engine: Engine, week: str, min_agents: int = 5, weeks: int = 1, replicates: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Everything the dashboard's « Temps gagné et travail induit » section shows, JSON-ready:
    ``per_week`` (the ``weeks`` weeks ending with ``week``) and ``cumulated``, each with the time
    saved overall and per topic (both estimators, 95 % clustered intervals, sizes, power note),
    per-arm quartiles of the time to send, the extra-work composition, the net effect and the
    retype frequency; suppressed cells carry ``status`` and ``reason`` instead of figures."""
    since, until = week_bounds(week, weeks)
    sessions, counts = load_sessions(engine, since, until)
    rules = Rules(min_agents=min_agents, replicates=replicates, seed=seed)
    result = measures(sessions, weeks_ending(week, weeks), rules)
    result["merged"] = counts
    result["feedback_time_note"] = (
        "Le formulaire « pas utile » n'est pas chronométré : le temps de retour est borné par "
        "l'écart entre l'envoi et l'avis (borne haute)."
    )
    return result
