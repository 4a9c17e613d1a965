"""« Temps gagné et travail induit »: the real measures (``eval.measures_store.week_measures``) for
the requested week and cumulated over the last 4 weeks, JSON-ready, suppression reasons as given.
One computation takes about a second per week, so the result is cached per (week, threshold, data
version): the data version changes as soon as a draft or an event is recorded."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session as DbSession

from eval.dashboard.labels import topic_label
from eval.measures_store import week_measures
from feedback.models import DraftRecord, FeedbackEvent

TITLE = "Temps gagné et travail induit"
WEEKS = 4  # cumulated over the requested week and the 3 before it
METHOD = "eval/MEASURES.md"
_CACHE: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_CACHE_SIZE = 32
_LOCK = Lock()


def data_version(engine: Engine) -> tuple[Any, ...]:
    """Changes whenever a draft or a feedback event is added (both tables only grow)."""
    with DbSession(engine) as db:
        drafts = db.execute(select(func.count()).select_from(DraftRecord)).scalar_one()
        events = db.execute(select(func.count(), func.max(FeedbackEvent.occurred_at))).one()
    return drafts, events[0], str(events[1])


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


def time_saved(engine: Engine, week: str, min_agents: int) -> dict[str, Any]:
    """``week_measures(engine, week, min_agents=…, weeks=4)`` as is (``per_week``: the 4 weeks ending
    with ``week``, the last one is the requested week; ``cumulated``: the 4 weeks together), plus the
    section's title and where the method is explained."""
    key = (id(engine), str(engine.url), week, min_agents, data_version(engine))
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    measures = redact_hidden_topics(week_measures(engine, week, min_agents=min_agents, weeks=WEEKS))
    result = {"title": TITLE, "method": METHOD, **measures}
    with _LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result
