"""LLM faults under the real app (issue 16): a misbehaving model server on a real loopback socket —
timeout, HTTP 429, HTTP 500, connection reset in the middle of the stream. Each time the agent
gets the offline draft with a fallback reason naming the cause, on POST /drafts and on
/drafts/stream (where a reset after the first tokens emits « reset » before the offline text)."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.app import create_app
from assistant.pipeline.drafting.llm import LlmDrafter, LlmSettings
from assistant.settings import Settings
from tests.assistant.test_llm_drafter import mistral_events
from tests.fixtures.app import bearer

QUESTION = {"question": "Combien de jours de congés payés acquiert-on par mois ?"}
FIRST_TOKENS = ["Bonjour,\n\n", "Vous acquérez "]


@dataclass
class FaultyModelServer:
    """A model endpoint that misbehaves on purpose: ``mode`` is slow / 429 / 500 / reset / ok."""

    mode: str = "ok"
    requests: int = 0
    _sock: socket.socket = field(default_factory=socket.socket)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> str:
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        threading.Thread(target=self._serve, daemon=True).start()
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            self._read_request(conn)
            self.requests += 1
            if self.mode == "slow":
                time.sleep(3)  # longer than the drafter's timeout: it gives up first
                return
            if self.mode in ("429", "500"):
                body = json.dumps({"message": "rate limited" if self.mode == "429" else "boom"}).encode()
                status = "429 Too Many Requests" if self.mode == "429" else "500 Internal Server Error"
                conn.sendall(
                    f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                    "connection: close\r\n\r\n".encode()
                    + body
                )
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
            events = mistral_events([*FIRST_TOKENS, "2,5 jours par mois [1].", "\n\nCordialement,"])
            for event in events[: 2 if self.mode == "reset" else len(events)]:
                conn.sendall(f"data: {json.dumps(event)}\n\n".encode())
                time.sleep(0.05)
            if self.mode == "reset":  # RST instead of FIN: the client sees « connection reset by peer »
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            conn.sendall(b"data: [DONE]\n\n")

    @staticmethod
    def _read_request(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
        length = int(lines[0].split(b":")[1]) if lines else 0
        while len(body) < length:
            body += conn.recv(65536)


@pytest.fixture
def model_server() -> Iterator[FaultyModelServer]:
    server = FaultyModelServer()
    server.url = server.start()  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture
def client(app_settings: Settings, model_server: FaultyModelServer) -> Iterator[TestClient]:
    settings = LlmSettings(
        api_key=SecretStr("test-key"),
        base_url=model_server.url,  # type: ignore[attr-defined]
        timeout_s=0.5,
        max_retries=1,
    )
    llm = LlmDrafter(settings, sleep=lambda _: None)
    with TestClient(create_app(app_settings, llm=llm), headers=bearer()) as c:
        yield c
    llm.close()


def sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def offline_text(client: TestClient) -> str:
    """What the offline drafter writes for the question (the same app, the same index)."""
    drafting = client.app.state.drafting  # type: ignore[attr-defined]
    llm, drafting.llm = drafting.llm, LlmDrafter(LlmSettings(provider="openai_compatible"))  # not configured
    try:
        return str(client.post("/api/v1/drafts", json=QUESTION).json()["text"])
    finally:
        drafting.llm = llm


CAUSES = {
    "slow": (r"timeout after 0.5 s", 1),
    "429": (r"Mistral API: HTTP 429 after 2 attempts", 2),
    "500": (r"Mistral API: HTTP 500 after 2 attempts", 2),
    "reset": (r"Mistral API: connection reset by the server (stream interrupted)", 1),
}


@pytest.mark.parametrize("mode", list(CAUSES))
def test_post_drafts_falls_back_to_the_offline_draft_with_the_cause(
    mode: str, client: TestClient, model_server: FaultyModelServer
) -> None:
    model_server.mode = "ok"
    assert client.post("/api/v1/drafts", json=QUESTION).json()["drafter"] == "llm"  # the server works
    model_server.mode, model_server.requests = mode, 0

    draft = client.post("/api/v1/drafts", json=QUESTION).json()

    reason, attempts = CAUSES[mode]
    assert draft["drafter"] == "offline" and draft["decision"]["kind"] == "drafted"
    expected = f"LLM indisponible ({reason}) : brouillon extractif hors ligne à la place."
    assert draft["fallback_reason"] == expected
    assert model_server.requests == attempts
    assert draft["text"] == offline_text(client)


@pytest.mark.parametrize("mode", list(CAUSES))
def test_stream_falls_back_too_and_resets_what_was_shown(
    mode: str, client: TestClient, model_server: FaultyModelServer
) -> None:
    model_server.mode = mode

    events = sse(client.post("/api/v1/drafts/stream", json=QUESTION).text)

    kinds = [k for k, _ in events]
    final = events[-1][1]
    reason, _ = CAUSES[mode]
    assert kinds[0] == "passages" and kinds[-1] == "final"
    assert final["drafter"] == "offline" and reason in final["fallback_reason"]
    if mode == "reset":  # the first tokens reached the panel, then « reset », then the offline text
        at = kinds.index("reset")
        assert "".join(d["text"] for k, d in events[:at] if k == "token") == "".join(FIRST_TOKENS)
        assert events[at][1]["reason"] == final["fallback_reason"]
        after = "".join(d["text"] for k, d in events[at:] if k == "token")
    else:  # nothing was shown: no reset, only the offline text
        assert "reset" not in kinds
        after = "".join(d["text"] for k, d in events if k == "token")
    assert final["text"].startswith(after.rstrip()) and after.strip()
