"""« Temps gagné et travail induit »: the real measures (``eval.measures_store.week_measures``) for
the requested week and cumulated over the last 4 weeks, JSON-ready, suppression reasons as given.
One computation takes about a second per week, so the result is cached per (week, threshold) with
the data version it was computed on (it changes as soon as a draft or an event is recorded), and
reused for a bounded time after the data changed (HRA_FEEDBACK__MEASURES_MAX_AGE_S)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
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
_CACHE: OrderedDict[tuple[Any, ...], _Computed] = OrderedDict()
_CACHE_SIZE = 32
_LOCK = Lock()
_FLIGHTS: dict[tuple[Any, ...], Lock] = {}  # one per (store, week, threshold): a handful


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


def time_saved(engine: Engine, week: str, min_agents: int, max_age_s: float = 0.0) -> dict[str, Any]:
    """``week_measures(engine, week, min_agents=…, weeks=4)`` as is (``per_week``: the 4 weeks ending
    with ``week``, the last one is the requested week; ``cumulated``: the 4 weeks together), plus the
    section's title, where the method is explained and when it was computed (``computed_at``).

    A result is reused while the data has not changed, and for ``max_age_s`` seconds after it has:
    bootstrapped intervals over four weeks of sessions are not worth recomputing for every event
    posted since (under a mixed load they took a core from the agents' drafts). Readers of the same
    week wait for the one computation under way rather than each starting their own."""
    key = (id(engine), str(engine.url), week, min_agents)
    version = data_version(engine)
    reused = _reusable(key, version, max_age_s)
    if reused is not None:
        return reused
    with _flight(key):
        reused = _reusable(key, version, max_age_s)  # computed meanwhile by the reader we waited for
        if reused is not None:
            return reused
        measures = redact_hidden_topics(week_measures(engine, week, min_agents=min_agents, weeks=WEEKS))
        computed_at = datetime.now(UTC).isoformat(timespec="seconds")
        result = {"title": TITLE, "method": METHOD, "computed_at": computed_at, **measures}
        result["max_age_s"] = max_age_s
        with _LOCK:
            _CACHE[key] = _Computed(version, time.monotonic(), result)
            _CACHE.move_to_end(key)
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return result


@dataclass(frozen=True)
class _Computed:
    version: tuple[Any, ...]  # data_version() read before the computation began
    at: float  # time.monotonic()
    result: dict[str, Any]


def _reusable(key: tuple[Any, ...], version: tuple[Any, ...], max_age_s: float) -> dict[str, Any] | None:
    with _LOCK:
        entry = _CACHE.get(key)
        if entry is None:
            return None
        if entry.version != version and time.monotonic() - entry.at >= max_age_s:
            return None
        _CACHE.move_to_end(key)
        return entry.result


@contextmanager
def _flight(key: tuple[Any, ...]) -> Iterator[None]:
    with _LOCK:
        lock = _FLIGHTS.setdefault(key, Lock())
    with lock:
        yield
