"""Two app replicas as they run in production, natively (issue 17): a real `chroma run`, a real
PostgreSQL and two `hra serve` processes, each in its own empty working directory — they share no
file, only the two servers (and the same secrets).

One test walks the whole topology, since every step needs the previous ones and starting the
processes is most of the cost (~20 s): the first replica ingests and publishes, the second follows
from the database; both draft the same answers; feedback posted through both at once is stored once
each with a chain that verifies; a KB change ingested through one is followed by the other; a reply
sent as is by two agents through different replicas becomes a verified answer that both reuse;
readiness fails with a reason while Chroma or PostgreSQL is stopped, and recovers when they return.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from feedback.audit import verify
from feedback.db import make_engine
from feedback.models import FeedbackEvent
from tests.fixtures.app import AGENT_1_SECOND_TOKEN, AGENT_TOKENS, SUBJECTS, TOKENS
from tests.fixtures.chroma_server import ChromaProcess
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl
from tests.fixtures.postgres import Cluster
from tests.fixtures.server import free_port

pytestmark = [pytest.mark.chroma_server, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0  # a replica loads the French NER model (~8 s) and builds or follows the KB
QUESTIONS = ["Combien de jours de congés payés par mois ?", "Quelle est la durée de la période d'essai ?"]
VERIFY_QUESTIONS = [  # one question asked three ways (tests/assistant/test_verified.py)
    "Combien de jours de congés payés acquiert-on par mois ?",
    "Combien de jours de congés payés acquiert-on chaque mois ?",
    "combien de jour de congé payés acquiert-on par mois",
]
NEW_DOC = {
    "id": "doc-new-astreinte",
    "title": "Astreintes et compensation",
    "text": "Une période d'astreinte donne lieu à une compensation financière ou à un repos, "
    "fixée par accord collectif ou, à défaut, par l'employeur.",
    "source": "test",
}


class Replica:
    """`hra serve` in a subprocess, in a working directory of its own (empty at start)."""

    def __init__(self, name: str, work: Path, env: dict[str, str]) -> None:
        self.name, self.work, self.port = name, work, free_port()
        self.work.mkdir(parents=True)
        self.env = {**env, "HRA_SERVER__PORT": str(self.port)}
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        self.log = work.parent / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "serve"],
                cwd=self.work,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.tail()}"
            if self.ready().status_code == 200:
                return
            time.sleep(0.3)
        pytest.fail(f"{self.name} not ready after {START_TIMEOUT:.0f} s:\n{self.tail()}")

    def ready(self) -> httpx.Response:
        try:
            return httpx.get(f"{self.base}/ready", timeout=10)
        except httpx.TransportError:
            return httpx.Response(599)

    def kb_version(self) -> str:
        res = self.ready()
        assert res.status_code == 200, res.text
        return str(res.json()["kb_version"])

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _env(tmp: Path, chroma_url: str, database_url: str, corpus: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("HRA_")}
    return {
        **keep,
        "PYTHONPATH": str(ROOT),
        "HRA_ENV": "test",
        "HRA_SERVER__HOST": "127.0.0.1",
        "HRA_DATABASE_URL": database_url,
        "HRA_KB__STORE": "database",
        "HRA_KB__FOLLOW_INTERVAL_S": "0.5",
        "HRA_KB__CHROMA__URL": chroma_url,
        "HRA_KB__CHROMA__COLLECTION_PREFIX": "t" + uuid.uuid4().hex[:8],
        "HRA_KB__SOURCES": json.dumps([str(corpus)]),
        "HRA_KB__EMBEDDINGS__MODELS": '["fake"]',
        "HRA_KB__EMBEDDINGS__SHIPPED_VECTORS_DIR": str(tmp / "no-vectors"),
        # One secret source for every replica: the same keys and tokens, given, never generated.
        "HRA_FEEDBACK__PSEUDONYM_KEY": secrets.token_hex(32),
        "HRA_FEEDBACK__AUDIT_KEY": secrets.token_hex(32),
        "HRA_FEEDBACK__LOCK_TIMEOUT_S": "0.5",
        "HRA_AUTH__TOKENS": json.dumps(
            {**{r: [t] for r, t in TOKENS.items()}, "agent": [*AGENT_TOKENS, AGENT_1_SECOND_TOKEN]}
        ),
        "HRA_AUTH__SUBJECTS": json.dumps(SUBJECTS),
        "HRA_DECISION__MIN_CONFIDENCE": "0.3",  # the fake embedder agrees less
        "HRA_DRAFTING__CONTROL_SHARE": "0",
        "HRA_VERIFIED__GROUP_SIMILARITY": "0.8",  # as tests/assistant/test_verified.py: the fake embedder
        "HRA_VERIFIED__REUSE_SIMILARITY": "0.8",
        "HRA_LIMITS__PER_TOKEN_PER_S": "0",
        "OMP_NUM_THREADS": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }


def _draft(replica: Replica, question: str, token: str) -> dict[str, Any]:
    res = httpx.post(
        f"{replica.base}/drafts",
        json={"question": question},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert res.status_code == 201, res.text
    return dict(res.json())


def _until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_two_replicas_share_nothing_but_the_stores(tmp_path: Path, cluster: Cluster) -> None:
    (tmp_path / "chroma").mkdir()
    chroma = ChromaProcess(tmp_path / "chroma")
    chroma_url = chroma.start()
    corpus = write_jsonl(tmp_path / "kb.jsonl", SMALL_CORPUS)
    env = _env(tmp_path, chroma_url, cluster.url(), corpus)
    a, b = Replica("a", tmp_path / "a", env), Replica("b", tmp_path / "b", env)
    try:
        # 1. The first replica finds no build in the database: it ingests and publishes one.
        a.start()
        b.start()  # the second one builds nothing: it follows the published build
        assert "building and publishing" not in b.tail(200)
        assert a.kb_version() == b.kb_version()
        assert not (b.work / "var" / "kb" / "chroma").exists()  # vectors come from the server

        # 2. The same question gets the same draft from either replica.
        for question in QUESTIONS:
            da, db = _draft(a, question, AGENT_TOKENS[0]), _draft(b, question, AGENT_TOKENS[1])
            same = [
                (d["decision"]["kind"], d["text"], [c["chunk_id"] for c in d["citations"]]) for d in (da, db)
            ]
            assert same[0] == same[1] and da["kb_version"] == db["kb_version"]

        # 3. Feedback through both at once: every event stored once, one chain that verifies.
        drafts = [(r, _draft(r, QUESTIONS[0], AGENT_TOKENS[0])["draft_id"]) for r in (a, b) for _ in range(3)]
        events = [
            (replica, {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "shown"})
            for replica, draft_id in drafts
            for _ in range(10)
        ]
        headers = {"Authorization": f"Bearer {AGENT_TOKENS[0]}"}

        def post(item: tuple[Replica, dict[str, Any]]) -> int:
            replica, event = item
            return httpx.post(
                f"{replica.base}/feedback/events", json=event, headers=headers, timeout=30
            ).status_code

        with ThreadPoolExecutor(8) as pool:
            assert sorted(set(pool.map(post, events))) == [201]
            # the same events again, through the *other* replica: acknowledged, not stored twice
            swapped = [(b if r is a else a, e) for r, e in events]
            assert sorted(set(pool.map(post, swapped))) == [200]
        engine = make_engine(cluster.url())
        try:
            with engine.connect() as conn:
                assert conn.execute(select(func.count()).select_from(FeedbackEvent)).scalar() == len(events)
            assert verify(engine).ok
        finally:
            engine.dispose()  # before the cluster is stopped below: no connection left to be GC'd later

        # 4. A KB change ingested through one replica (its own CLI, its own disk) reaches the other.
        before = b.kb_version()
        write_jsonl(corpus, [*SMALL_CORPUS, NEW_DOC])
        done = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "kb", "ingest"],
            cwd=a.work,
            env=a.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        _until(lambda: b.kb_version() != before, 30, "replica b never followed the new build")
        _until(lambda: a.kb_version() == b.kb_version(), 30, "replicas disagree on kb_version")
        answer = _draft(b, "Comment est compensée une période d'astreinte ?", AGENT_TOKENS[1])
        assert answer["passages"][0]["doc_id"] == NEW_DOC["id"], answer["passages"][:1]

        # 5. Verified answers live in the database: sent as is by two agents through different
        #    replicas, the reply becomes verified and is reused as the draft on either replica.
        for replica, agent, question in ((a, 3, VERIFY_QUESTIONS[0]), (b, 4, VERIFY_QUESTIONS[1])):
            sent = _draft(replica, question, AGENT_TOKENS[agent])
            assert sent["decision"]["kind"] == "drafted", sent["decision"]
            res = httpx.post(
                f"{replica.base}/feedback/events",
                json={
                    "event_id": str(uuid.uuid4()),
                    "draft_id": sent["draft_id"],
                    "type": "sent",
                    "final_text": sent["text"],
                },
                headers={"Authorization": f"Bearer {AGENT_TOKENS[agent]}"},
                timeout=30,
            )
            assert res.status_code == 201, res.text
        listed = httpx.get(
            f"{a.base}/verified-answers", headers={"Authorization": f"Bearer {TOKENS['lead']}"}, timeout=30
        )
        assert [(v["status"], v["agents"]) for v in listed.json()] == [("verified", 2)], listed.text
        for replica in (a, b):
            reused = _draft(replica, VERIFY_QUESTIONS[2], AGENT_TOKENS[5])
            assert reused["drafter"] == "verified", (replica.name, reused["drafter"])

        # 6. Readiness says why while a store is down, and recovers by itself.
        chroma.stop()
        for replica in (a, b):
            res = replica.ready()
            assert res.status_code == 503 and "Chroma" in res.json()["detail"], res.text
        chroma.start()
        for replica in (a, b):
            _until(
                lambda r=replica: r.ready().status_code == 200, 30, f"{replica.name} not ready after Chroma"
            )
        cluster.stop()
        for replica in (a, b):
            res = replica.ready()
            assert res.status_code == 503 and res.json()["code"] == "store_unavailable", res.text
            assert "Retry-After" in res.headers
        cluster.start()
        for replica in (a, b):
            _until(
                lambda r=replica: r.ready().status_code == 200,
                30,
                f"{replica.name} not ready after PostgreSQL",
            )
        assert _draft(a, QUESTIONS[1], AGENT_TOKENS[2])["decision"]
    finally:
        a.stop()
        b.stop()
        chroma.stop()
