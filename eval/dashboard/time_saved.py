"""« Temps gagné et travail induit »: the real measures (``eval.measures_store.week_measures``) for
the requested week and cumulated over the last 4 weeks, JSON-ready, suppression reasons as given.
One computation takes about a second per week, so the result is cached per (week, threshold) with
the data version it was computed on (it changes as soon as a draft or an event is recorded), and
reused for a bounded time after the data changed (HRA_FEEDBACK__MEASURES_MAX_AGE_S)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from eval.dashboard.labels import topic_label
from eval.measures_store import week_measures
from feedback.reuse import Reused

TITLE = "Temps gagné et travail induit"
WEEKS = 4  # cumulated over the requested week and the 3 before it
METHOD = "eval/MEASURES.md"
_REUSED: Reused[dict[str, Any]] = Reused()


HIDDEN_TOPIC = "thème masqué"


def redact_hidden_topics(measures: dict[str, Any]) -> dict[str, Any]:
    """A topic whose cell is hidden is not named either: in a small pilot, « lanceur d'alerte » asked
    by two agents is already too much said (and topics typed freely by agents can be question text).
    The count of hidden topics and their reason stay."""
    blocks = [*measures.get("per_week", []), measures.get("cumulated") or {}]
    for block in blocks:
        for cell in block.get("per_topic", []):
            if cell.get("status") != "ok":
                cell["cell"] = HIDDEN_TOPIC
            else:
                cell["cell"] = topic_label(cell["cell"])  # the taxonomy's French label, not its id
    return measures


def time_saved(engine: Engine, week: str, min_agents: int, max_age_s: float = 0.0) -> dict[str, Any]:
    """``week_measures(engine, week, min_agents=…, weeks=4)`` as is (``per_week``: the 4 weeks ending
    with ``week``, the last one is the requested week; ``cumulated``: the 4 weeks together), plus the
    section's title, where the method is explained and when it was computed (``computed_at``).

    A result is reused while the data has not changed, and for ``max_age_s`` seconds after it has:
    bootstrapped intervals over four weeks of sessions are not worth recomputing for every event
    posted since (under a mixed load they took a core from the agents' drafts). Readers of the same
    week wait for the one computation under way rather than each starting their own."""

    def compute() -> dict[str, Any]:
        measures = redact_hidden_topics(week_measures(engine, week, min_agents=min_agents, weeks=WEEKS))
        computed_at = datetime.now(UTC).isoformat(timespec="seconds")
        head = {"title": TITLE, "method": METHOD, "computed_at": computed_at}
        return {**head, **measures, "max_age_s": max_age_s}

    return _REUSED.get((week, min_agents), engine, compute, max_age_s).value
