"""The weekly dashboard's numbers: pure functions over the rows ``store.load`` read. Never per
agent: every section counts its distinct agents and is suppressed below ``min_agents`` (with the
reason, « moins de 5 agents »); no pseudonym leaves this module."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from eval.dashboard.labels import topic_label
from eval.dashboard.store import DraftRow, EventRow
from eval.kb_gaps import THRESHOLD, Embed, gap_clusters, gap_questions
from feedback.stats import OUTCOMES

DECISIONS = ("drafted", "abstained", "routed_to_human")
ARMS = ("assisted", "control")
# Normalised character edit distance draft → sent text: [low, high) per bucket, the last one closed.
EDIT_BUCKETS = ((0.0, 0.02, "0–2 %"), (0.02, 0.1, "2–10 %"), (0.1, 0.25, "10–25 %"), (0.25, 0.5, "25–50 %"))
EDIT_LAST = (0.5, "50–100 %")


def suppressed(min_agents: int) -> dict[str, Any]:
    return {"suppressed": True, "reason": f"moins de {min_agents} agents", "agents": f"< {min_agents}"}


def section(agents: set[str], min_agents: int, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``build()`` only runs when enough distinct agents contributed."""
    if len(agents) < min_agents:
        return suppressed(min_agents)
    return {"suppressed": False, "agents": len(agents), **build()}


def minutes_seconds(seconds: float | None) -> str | None:
    """125 → « 2 min 05 s », 45 → « 45 s »."""
    if seconds is None:
        return None
    total = round(seconds)
    minutes, rest = divmod(total, 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def activity(questions: list[DraftRow], drafts: list[DraftRow], min_agents: int) -> dict[str, Any]:
    """Questions asked (a regenerated or forced draft is not a new question), every decision
    included (abstentions and questions routed to a human too), and the arms."""

    def build() -> dict[str, Any]:
        decisions = Counter(d.decision for d in questions)
        arms = Counter(d.arm for d in questions)
        return {
            "questions": len(questions),
            "decisions": {k: decisions.get(k, 0) for k in DECISIONS},
            "arms": {k: arms.get(k, 0) for k in ARMS},
            "regenerations": sum(1 for d in drafts if d.regenerated_from and not d.forced),
            "forced": sum(1 for d in drafts if d.forced),
        }

    return section({d.agent for d in questions}, min_agents, build)


def outcomes(events: list[EventRow], min_agents: int) -> dict[str, Any]:
    """Per draft, its last outcome (sent as is / edited / rewritten, discarded, …)."""
    last: dict[str, EventRow] = {}
    for event in events:  # in time order
        if event.outcome:
            last[event.draft_id] = event

    def build() -> dict[str, Any]:
        counts = Counter(e.outcome for e in last.values())
        return {"drafts": len(last), "counts": {k: counts.get(k, 0) for k in OUTCOMES}}

    return section({e.agent for e in last.values()}, min_agents, build)


def verdicts(events: list[EventRow], min_agents: int) -> dict[str, Any]:
    """Thumbs-down share per draft: drafts with at least one 👎 / drafts shown."""
    shown = {e.draft_id for e in events if e.type == "shown"}
    votes = [e for e in events if e.type == "verdict"]
    down = {e.draft_id for e in votes if e.payload.get("value") == "down"}
    up = {e.draft_id for e in votes if e.payload.get("value") == "up"}
    reasons: set[tuple[str, str]] = {
        (e.draft_id, r)
        for e in votes
        if e.payload.get("value") == "down"
        for r in e.payload.get("reasons", [])
    }
    agents = {e.agent for e in events if e.type in ("shown", "verdict")}

    def build() -> dict[str, Any]:
        counted = Counter(reason for _, reason in reasons)
        return {
            "drafts_shown": len(shown),
            "drafts_down": len(down & shown),
            "drafts_up": len(up & shown),
            "down_share": share(len(down & shown), len(shown)),
            "reasons": dict(counted.most_common()),
        }

    return section(agents, min_agents, build)


def edit_distances(events: list[EventRow], min_agents: int) -> dict[str, Any]:
    sent = [e for e in events if e.type == "sent" and e.distance is not None]

    def build() -> dict[str, Any]:
        values = sorted(e.distance for e in sent if e.distance is not None)
        quartiles = (
            [round(q, 4) for q in statistics.quantiles(values, n=4, method="inclusive")]
            if len(values) >= 2
            else None
        )
        return {"n": len(values), "quartiles": quartiles, "histogram": histogram(values)}

    return section({e.agent for e in sent}, min_agents, build)


def histogram(values: Iterable[float]) -> list[dict[str, Any]]:
    counts = Counter[str]()
    for value in values:
        label = next((lab for low, high, lab in EDIT_BUCKETS if low <= value < high), EDIT_LAST[1])
        counts[label] += 1
    labels = [lab for _, _, lab in EDIT_BUCKETS] + [EDIT_LAST[1]]
    return [{"bucket": lab, "count": counts.get(lab, 0)} for lab in labels]


def time_to_send(events: list[EventRow], arms: dict[str, str], min_agents: int) -> dict[str, Any]:
    """Median time from the draft shown (or the question opened, control arm) to « Utiliser »."""
    result = {}
    for arm in ARMS:
        sent = [
            e
            for e in events
            if e.type == "sent"
            and arms.get(e.draft_id) == arm
            and (e.payload.get("timings") or {}).get("ms_to_send") is not None
        ]

        def build(sent: list[EventRow] = sent) -> dict[str, Any]:
            median = statistics.median(e.payload["timings"]["ms_to_send"] for e in sent) / 1000
            return {"n": len(sent), "median_seconds": round(median, 1), "median": minutes_seconds(median)}

        result[arm] = section({e.agent for e in sent}, min_agents, build)
    return result


def flags(drafts: list[DraftRow], min_agents: int) -> dict[str, Any]:
    drafted = [d for d in drafts if d.decision == "drafted" and d.arm == "assisted"]

    def build() -> dict[str, Any]:
        kinds = Counter(kind for d in drafted for kind in d.flag_kinds)
        return {
            "drafts": len(drafted),
            "drafts_flagged": sum(1 for d in drafted if d.flag_kinds),
            "by_kind": dict(kinds.most_common()),
        }

    return section({d.agent for d in drafted}, min_agents, build)


def kb_gaps(
    drafts: list[DraftRow], events: list[EventRow], min_agents: int, embed: Embed | None
) -> dict[str, Any]:
    """Questions the knowledge base could not serve (abstained, discarded, or thumbs-down for
    missing or outdated information), clustered by meaning (eval.kb_gaps). Example questions
    (masked) only for a cluster at least ``min_agents`` agents fed; the others are counted."""
    gaps = gap_questions(drafts, events)
    total = section({g.agent for g in gaps}, min_agents, lambda: {"count": len(gaps)})
    if total["suppressed"] or embed is None:
        return {"total": total, "clusters": [], "hidden": None}
    clustered = gap_clusters(gaps, embed, min_agents, getattr(embed, "threshold", THRESHOLD))
    for c in clustered["clusters"]:
        c["topic_label"] = topic_label(c["topic"]) if c["topic"] else None
    return {"total": total, "clusters": clustered["clusters"], "hidden": clustered["hidden"]}


def verified_reuse(drafts: list[DraftRow], events: list[EventRow], min_agents: int) -> dict[str, Any]:
    """Drafts that were a verified answer, and what agents then did with them: the share of the
    week's drafts, sent as is, discarded, and the thumbs-down share per reused draft (the
    check that reuse does not spread a wrong answer)."""
    drafted = [d for d in drafts if d.decision == "drafted" and d.arm == "assisted"]
    reused = [d for d in drafted if d.drafter == "verified"]
    ids = {d.id for d in reused}

    def build() -> dict[str, Any]:
        mine = [e for e in events if e.draft_id in ids]
        down = {e.draft_id for e in mine if e.type == "verdict" and e.payload.get("value") == "down"}
        outcome = {e.draft_id: e.outcome for e in mine if e.outcome}
        return {
            "drafts": len(drafted),
            "reused": len(reused),
            "reused_share": share(len(reused), len(drafted)),
            "sent_as_is": sum(1 for o in outcome.values() if o == "accepted_as_is"),
            "discarded": sum(1 for o in outcome.values() if o == "discarded"),
            "down_share": share(len(down), len(reused)),
        }

    return section({d.agent for d in reused}, min_agents, build)


def week_report(
    week: str, drafts: list[DraftRow], events: list[EventRow], min_agents: int, embed: Embed | None = None
) -> dict[str, Any]:
    """Everything the page and the export show for one ISO week (drafts of that week only)."""
    ids = {d.id for d in drafts}
    events = [e for e in events if e.draft_id in ids]
    questions = [d for d in drafts if not d.regenerated_from]
    agents = {d.agent for d in drafts} | {e.agent for e in events}
    return {
        "week": week,
        "min_agents": min_agents,
        "agents": len(agents) if len(agents) >= min_agents else f"< {min_agents}",
        "activity": activity(questions, drafts, min_agents),
        "outcomes": outcomes(events, min_agents),
        "verdicts": verdicts(events, min_agents),
        "edit_distance": edit_distances(events, min_agents),
        "time_to_send": time_to_send(events, {d.id: d.arm for d in drafts}, min_agents),
        "flags": flags(drafts, min_agents),
        "kb_gaps": kb_gaps(drafts, events, min_agents, embed),
        "verified": verified_reuse(drafts, events, min_agents),
    }


def trend_point(report: dict[str, Any]) -> dict[str, Any]:
    """One week of the trend: shares rather than counts, so that weeks compare."""
    act, out, ver = report["activity"], report["outcomes"], report["verdicts"]
    times = report["time_to_send"]
    point: dict[str, Any] = {"week": report["week"], "agents": report["agents"]}
    point["questions"] = None if act["suppressed"] else act["questions"]
    point["drafted_share"] = (
        None if act["suppressed"] else share(act["decisions"]["drafted"], act["questions"])
    )
    point["as_is_share"] = (
        None if out["suppressed"] else share(out["counts"]["accepted_as_is"], out["drafts"])
    )
    point["down_share"] = None if ver["suppressed"] else ver["down_share"]
    for arm in ARMS:
        point[f"median_seconds_{arm}"] = None if times[arm]["suppressed"] else times[arm]["median_seconds"]
    point["suppressed"] = act["suppressed"]
    return point
