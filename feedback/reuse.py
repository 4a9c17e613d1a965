"""Aggregates of the feedback tables, reused while the data has not changed and for a bounded time
after it has.

The leads' week and the reps' weekly statistics are computed in Python over every draft and event
of the period (~80 ms of CPU per read at 1,000 drafts and 6,000 events, growing with the store):
recomputed on each read, two leads refreshing took a core from the agents' drafts. The data
version (row counts and the last event date) costs a millisecond; a result computed on another
version is still served for ``max_age_s`` seconds, and the caller says when it was computed.
Readers of one key wait for the computation under way instead of each starting their own.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from feedback.models import DraftRecord, FeedbackEvent

T = TypeVar("T")


def data_version(engine: Engine) -> tuple[Any, ...]:
    """Changes whenever a draft or a feedback event is added (both tables only grow)."""
    with Session(engine) as db:
        drafts = db.execute(select(func.count()).select_from(DraftRecord)).scalar_one()
        events = db.execute(select(func.count(), func.max(FeedbackEvent.occurred_at))).one()
    return drafts, events[0], str(events[1])


def json_bytes(value: Any) -> bytes:
    """A JSON-ready value rendered as FastAPI's JSONResponse renders it, to be reused as is."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Computed(Generic[T]):
    value: T
    computed_at: datetime  # wall clock, for the reader
    version: tuple[Any, ...]  # the data version read before the computation began
    at: float  # time.monotonic(), for the age


class Reused(Generic[T]):
    """A small LRU of results per key (store, period, threshold…): a handful of keys in use.
    ``version``: what the result is computed from, cheaply read (by default the drafts and events;
    a result that also shows other tables names them too)."""

    def __init__(self, version: Callable[[Engine], tuple[Any, ...]] = data_version, size: int = 32) -> None:
        self._version, self._size = version, size
        self._entries: OrderedDict[Hashable, Computed[T]] = OrderedDict()
        self._flights: dict[Hashable, Lock] = {}  # pruned with the entries: never more than size + in flight
        self._lock = Lock()

    def get(self, key: Hashable, engine: Engine, compute: Callable[[], T], max_age_s: float) -> Computed[T]:
        key = (id(engine), str(engine.url), key)
        version = self._version(engine)
        found = self._reusable(key, version, max_age_s)
        if found is not None:
            return found
        with self._lock:
            flight = self._flights.setdefault(key, Lock())
        with flight:
            found = self._reusable(key, version, max_age_s)  # computed by the reader we waited for
            if found is not None:
                return found
            computed = Computed(compute(), datetime.now(UTC), version, time.monotonic())
            with self._lock:
                self._entries[key] = computed
                self._entries.move_to_end(key)
                while len(self._entries) > self._size:
                    evicted, _ = self._entries.popitem(last=False)
                    if not (lock := self._flights.get(evicted)) or not lock.locked():
                        self._flights.pop(evicted, None)
            return computed

    def _reusable(self, key: Hashable, version: tuple[Any, ...], max_age_s: float) -> Computed[T] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.version != version and time.monotonic() - entry.at >= max_age_s:
                return None
            self._entries.move_to_end(key)
            return entry
