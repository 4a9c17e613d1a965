"""Bounded cost per request: how many drafts run at once, how long one may wait, how fast a token
may call. A request over a bound is refused at once with Retry-After (503 busy, 429 rate limited)
rather than queued behind everyone — a 2-core server must not let four pasted novels stall the
fifty-millisecond questions of every other agent.

Two lanes: a question longer than ``heavy_bytes`` (its masking and routing read every character)
runs in the heavy lane, one at a time, so heavy questions share one core between them and the
other core keeps serving ordinary drafts.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pydantic import BaseModel, Field

from assistant.errors import BusyError, RateLimitedError


class LimitsSettings(BaseModel):
    drafts_in_flight: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Ordinary drafts computed at once per process. A draft is CPU work that holds "
        "the interpreter most of the time: more threads than cores only queue inside (measured on "
        "2 cores: 4 in flight, same drafts/s, /health p95 76 ms; 2 in flight, 24 ms). Raise it "
        "with an LLM, whose drafts mostly wait on the network.",
    )
    heavy_in_flight: int = Field(default=1, ge=1, le=16, description="Long questions computed at once.")
    heavy_bytes: int = Field(
        default=2048,
        ge=256,
        description="A question longer than this (UTF-8 bytes) is heavy. The longest question of "
        "the datasets is 1,940 bytes.",
    )
    queue_max: int = Field(
        default=32, ge=0, description="Drafts waiting for a slot, per lane; one more → 503 busy."
    )
    queue_timeout_s: float = Field(
        default=10.0, gt=0, description="Longest wait for a slot before 503 busy with Retry-After."
    )
    per_token_per_s: float = Field(
        default=10.0,
        ge=0,
        description="Sustained requests per second per credential (0: no limit); over it → 429.",
    )
    per_token_burst: int = Field(
        default=60, ge=1, description="Requests a credential may send at once (the panel's queue flush)."
    )
    replicas: int = Field(
        default=1,
        ge=1,
        le=256,
        description="App replicas behind the proxy. Buckets live in each process (no per-agent "
        "activity is written anywhere), so each process allows per_token_per_s and per_token_burst "
        "divided by replicas x server workers: a credential's total is at most the configured one "
        "however many processes serve it (exactly it when its requests spread evenly, as the "
        "proxy's least_conn does on average).",
    )

    def per_process(self, workers: int) -> tuple[float, int]:
        """(requests per second, burst) one process allows a credential."""
        share = self.replicas * max(1, workers)
        return self.per_token_per_s / share, max(1, math.ceil(self.per_token_burst / share))


class DraftAdmission:
    """Slots for drafts, per lane, with a bounded queue and a bounded wait."""

    def __init__(self, settings: LimitsSettings) -> None:
        self.settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lanes: dict[str, asyncio.Semaphore] = {}
        self._waiting = {"normal": 0, "heavy": 0}

    def lane_of(self, question: str) -> str:
        return "heavy" if len(question.encode("utf-8")) > self.settings.heavy_bytes else "normal"

    def _lane(self, name: str) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # one app may be served by successive loops (tests, reloads)
            self._loop = loop
            self._lanes = {
                "normal": asyncio.Semaphore(self.settings.drafts_in_flight),
                "heavy": asyncio.Semaphore(self.settings.heavy_in_flight),
            }
        return self._lanes[name]

    async def acquire(self, question: str) -> Callable[[], None]:
        """Wait for a slot of the question's lane; returns its (idempotent, synchronous) release —
        synchronous so that a cancelled stream can give its slot back without awaiting."""
        name = self.lane_of(question)
        lane = self._lane(name)
        if lane.locked():
            if self._waiting[name] >= self.settings.queue_max:
                raise BusyError(_busy(name), retry_after=2)
            self._waiting[name] += 1
            try:
                await asyncio.wait_for(lane.acquire(), self.settings.queue_timeout_s)
            except TimeoutError:
                wait = math.ceil(self.settings.queue_timeout_s / 2)
                raise BusyError(_busy(name), retry_after=wait) from None
            finally:
                self._waiting[name] -= 1
        else:
            await lane.acquire()
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                lane.release()

        return release

    @asynccontextmanager
    async def slot(self, question: str) -> AsyncIterator[None]:
        release = await self.acquire(question)
        try:
            yield
        finally:
            release()


def _busy(lane: str) -> str:
    what = "long questions" if lane == "heavy" else "drafts"
    quoi = "questions longues" if lane == "heavy" else "brouillons"
    return (
        f"too many {what} in progress, retry in a moment / trop de {quoi} en cours, réessayer dans un instant"
    )


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """A token bucket per credential, in memory: each process limits its own share
    (LimitsSettings.per_process)."""

    def __init__(self, per_s: float, burst: int, max_keys: int = 10_000) -> None:
        self.per_s, self.burst, self.max_keys = per_s, burst, max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one request of ``key``'s bucket, or raise RateLimitedError with the wait."""
        if self.per_s <= 0:
            return
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.per_s)
            bucket.at = now
            self._buckets[key] = bucket  # most recent last: the oldest keys are dropped first
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens < 1:
                wait = math.ceil((1 - bucket.tokens) / self.per_s)
                raise RateLimitedError(
                    f"too many requests for this credential, retry in {wait} s "
                    f"/ trop de requêtes pour ce jeton, réessayer dans {wait} s",
                    retry_after=wait,
                )
            bucket.tokens -= 1
