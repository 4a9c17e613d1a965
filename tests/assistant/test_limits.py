"""Bounded cost per request, on a real server: per-credential rate limit (429), draft slots with a
bounded queue (503 busy), a stream that stops computing when its client leaves, long questions in
their own lane so they cannot stall ordinary drafts, and a query whose cost is capped."""

from __future__ import annotations

import statistics
import threading
import time
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from assistant.app import create_app
from assistant.errors import RateLimitedError
from assistant.pipeline.drafting.llm import LlmDrafter, LlmSettings
from assistant.services.limits import DraftAdmission, LimitsSettings, RateLimiter
from assistant.settings import Settings
from knowledge_base.embeddings import MAX_QUERY_BYTES, bounded_query
from tests.fixtures.app import agent_bearer, bearer
from tests.fixtures.server import serving

QUESTION = "Combien de jours de congés payés acquiert-on par mois ?"
SLOW_ANSWER = "Bonjour, vous acquérez 2,5 jours ouvrables de congés par mois de travail effectif [1]. " * 4


def with_limits(settings: Settings, **limits: object) -> Settings:
    return settings.model_copy(update={"limits": LimitsSettings.model_validate({**limits})})


@pytest.fixture
def slow_llm() -> LlmDrafter:
    """The fake chat model, streaming one character every 20 ms (~7 s for the whole answer)."""
    return LlmDrafter(LlmSettings(provider="fake", fake_response=SLOW_ANSWER, fake_chunk_delay_s=0.02))


def test_a_credential_over_its_rate_gets_429_with_retry_after_and_others_do_not(
    app_settings: Settings,
) -> None:
    settings = with_limits(app_settings, per_token_per_s=0.5, per_token_burst=3)
    with serving(create_app(settings)) as url, httpx.Client(base_url=url) as http:
        statuses = [http.get("/api/v1/topics", headers=bearer()).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = http.get("/api/v1/topics", headers=bearer())
        assert refused.json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
        assert http.get("/api/v1/topics", headers=agent_bearer(2)).status_code == 200  # another agent
        assert http.get("/api/v1/health").status_code == 200  # probes carry no credential


def test_full_slots_and_queue_answer_503_busy_at_once(app_settings: Settings, slow_llm: LlmDrafter) -> None:
    settings = with_limits(app_settings, drafts_in_flight=1, queue_max=0, per_token_per_s=0)
    with serving(create_app(settings, llm=slow_llm)) as url, httpx.Client(base_url=url, timeout=30) as http:
        with http.stream("POST", "/api/v1/drafts/stream", json={"question": QUESTION}, headers=bearer()) as s:
            next(s.iter_lines())  # the first draft holds the only slot while it streams
            start = time.perf_counter()
            busy = http.post("/api/v1/drafts", json={"question": QUESTION}, headers=agent_bearer(2))
            waited = time.perf_counter() - start
        assert busy.status_code == 503 and busy.json()["code"] == "busy", busy.text
        assert busy.headers["Retry-After"].isdigit() and waited < 2.0


def test_an_abandoned_stream_stops_and_gives_its_slot_back(
    app_settings: Settings, slow_llm: LlmDrafter
) -> None:
    settings = with_limits(
        app_settings, drafts_in_flight=1, queue_max=4, queue_timeout_s=20, per_token_per_s=0
    )
    app = create_app(settings, llm=slow_llm)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        with http.stream("POST", "/api/v1/drafts/stream", json={"question": QUESTION}, headers=bearer()) as s:
            for line in s.iter_lines():
                if line.startswith("event: token"):
                    break  # the agent closes the panel mid-draft
        start = time.perf_counter()
        # The whole answer would stream for ~7 s; the slot is free long before that.
        res = http.post(
            "/api/v1/drafts", json={"question": "Quel est le préavis de démission ?"}, headers=bearer()
        )
        assert res.status_code == 201, res.text
        assert time.perf_counter() - start < 4.0
    with app.state.store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM drafts").scalar_one()
    assert stored == 1  # the abandoned draft never reached its end, so it was never stored


def test_long_questions_cannot_stall_ordinary_drafts(app_settings: Settings) -> None:
    """The probe's stall: four 8,000-character questions held a 50 ms draft for 76.6 s. Now they
    run one at a time in their own lane, with a capped query; ordinary drafts keep their pace."""
    settings = with_limits(app_settings, per_token_per_s=0, queue_timeout_s=60)
    worst = ["😀" * 8000, ("e\u0301" * 4000), ("congés payés report " * 400)[:8000], "ٱ" * 8000]
    with serving(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as http:

        def draft(question: str, n: int = 1) -> float:
            start = time.perf_counter()
            res = http.post("/api/v1/drafts", json={"question": question}, headers=agent_bearer(n))
            assert res.status_code == 201, res.text
            return time.perf_counter() - start

        idle = [draft(QUESTION) for _ in range(8)]
        with ThreadPoolExecutor(4) as pool:
            heavy = [pool.submit(draft, q, 2 + i) for i, q in enumerate(worst)]
            during = []
            while not all(f.done() for f in heavy) and len(during) < 30:
                during.append(draft(QUESTION))
            heavy_s = [f.result() for f in heavy]
    assert len(during) >= 3, "ordinary drafts were served while the long ones ran"
    # Generous bound for a shared CI machine; bench/load.py measures the ratio (≤ 3x the idle p95).
    assert statistics.median(during) < max(10 * statistics.median(idle), 1.5), (idle, during)
    assert max(heavy_s) < 60


def test_the_query_an_embedder_reads_is_bounded_in_bytes() -> None:
    assert bounded_query(QUESTION) == QUESTION
    for text in ("😀" * 8000, "e\u0301" * 4000, "a" * 9000):
        bounded = bounded_query(text)
        assert len(bounded.encode("utf-8")) <= MAX_QUERY_BYTES
        assert unicodedata.normalize("NFC", text).startswith(bounded) and len(bounded) > 400
    assert bounded_query("e\u0301" * 10) == "é" * 10  # NFC first: combining marks cost nothing extra


def test_admission_lanes_and_bucket_refill() -> None:
    admission = DraftAdmission(LimitsSettings(heavy_bytes=300))
    assert admission.lane_of("a" * 300) == "normal" and admission.lane_of("é" * 151) == "heavy"
    limiter = RateLimiter(per_s=50, burst=2)
    limiter.take("k")
    limiter.take("k")
    with pytest.raises(Exception, match="trop de requêtes"):
        limiter.take("k")
    time.sleep(0.05)  # 50/s refills one request in 20 ms
    limiter.take("k")


def test_the_limiter_is_thread_safe() -> None:
    limiter = RateLimiter(per_s=0.001, burst=100)
    taken: list[int] = []

    def spend() -> None:
        for _ in range(50):
            try:
                limiter.take("shared")
                taken.append(1)
            except Exception:
                pass

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 100  # exactly the burst, never more, whatever the interleaving


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    yield


def test_health_answers_at_once_while_slow_llm_streams_run(
    app_settings: Settings, slow_llm: LlmDrafter
) -> None:
    settings = with_limits(app_settings, per_token_per_s=0)
    with serving(create_app(settings, llm=slow_llm)) as url, httpx.Client(base_url=url, timeout=30) as http:

        def stream(n: int) -> int:
            with http.stream(
                "POST", "/api/v1/drafts/stream", json={"question": QUESTION}, headers=agent_bearer(n)
            ) as s:
                return sum(1 for line in s.iter_lines() if line.startswith("event: token"))

        with ThreadPoolExecutor(2) as pool:
            streams = [pool.submit(stream, n) for n in (1, 2)]
            times = []
            while not all(f.done() for f in streams):
                start = time.perf_counter()
                assert http.get("/api/v1/health").status_code == 200
                times.append(time.perf_counter() - start)
                time.sleep(0.05)
            assert all(f.result() > 10 for f in streams)  # both streamed token by token meanwhile
    assert len(times) > 20 and statistics.median(times) < 0.05, times


def test_each_process_allows_its_share_of_a_credentials_rate() -> None:
    """Buckets live in each process: with 3 replicas of 2 workers each, one process allows a sixth,
    so a credential's total over the round-robin stays per_token_per_s (and its burst)."""
    limits = LimitsSettings(per_token_per_s=12, per_token_burst=60, replicas=3)
    assert limits.per_process(workers=2) == (2.0, 10)
    assert LimitsSettings(per_token_per_s=10, per_token_burst=60).per_process(workers=1) == (10.0, 60)
    limiter = RateLimiter(
        *LimitsSettings(per_token_per_s=0.001, per_token_burst=5, replicas=2).per_process(1)
    )
    for _ in range(3):  # ceil(5 / 2)
        limiter.take("agent:agent-1")
    with pytest.raises(RateLimitedError):
        limiter.take("agent:agent-1")
