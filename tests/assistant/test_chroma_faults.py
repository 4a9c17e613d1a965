"""The Chroma server killed under the app (issue 16). A real `chroma run` process, SIGKILLed.

- KB searched through Chroma's index (``exact_search_max=0``, as a KB too large to scan is):
  drafts still come back, from BM25 only, with ``dense_unavailable`` naming the embedder (the
  panel's banner); when the server is back, the next draft has its dense results again.
- KB searched exactly in memory (the default for the shipped KB): drafts keep their dense results
  with the server down; readiness says the server is gone (a new build could not be opened)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from knowledge_base.settings import ChromaSettings
from tests.fixtures.app import bearer
from tests.fixtures.chroma_server import ChromaProcess

pytestmark = pytest.mark.chroma_server
QUESTION = {"question": "Combien de jours de congés payés acquiert-on par mois ?"}


def serve(app_settings: Settings, url: str, exact_search_max: int) -> TestClient:
    kb = app_settings.kb.model_copy(update={"chroma": ChromaSettings(url=url)})
    retrieval = app_settings.retrieval.model_copy(update={"exact_search_max": exact_search_max})
    settings = app_settings.model_copy(update={"kb": kb, "retrieval": retrieval})
    return TestClient(create_app(settings), headers=bearer())


@pytest.fixture
def client(app_settings: Settings, chroma_process: ChromaProcess) -> Iterator[TestClient]:
    with serve(app_settings, chroma_process.url, exact_search_max=0) as c:
        yield c


@pytest.fixture
def exact_client(app_settings: Settings, chroma_process: ChromaProcess) -> Iterator[TestClient]:
    with serve(app_settings, chroma_process.url, exact_search_max=20_000) as c:
        yield c


def dense_scored(draft: dict[str, Any]) -> bool:
    return any("fake" in p["scores"] for p in draft["passages"])


def stream(client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    text = client.post("/api/v1/drafts/stream", json=QUESTION).text
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_drafts_survive_a_killed_chroma_server_and_recover(
    client: TestClient, chroma_process: ChromaProcess
) -> None:
    before = client.post("/api/v1/drafts", json=QUESTION)
    assert before.status_code == 201
    assert before.json()["dense_unavailable"] == [] and dense_scored(before.json())

    chroma_process.kill()
    down = client.post("/api/v1/drafts", json=QUESTION)
    assert down.status_code == 201
    draft = down.json()
    assert draft["dense_unavailable"] == ["fake"]
    assert draft["decision"]["kind"] == "drafted" and draft["text"]
    assert draft["passages"] and not dense_scored(draft)  # BM25 only
    assert all(set(p["scores"]) <= {"bm25"} for p in draft["passages"])
    events = stream(client)
    assert events[0][0] == "passages" and events[0][1]["dense_unavailable"] == ["fake"]
    assert events[-1][0] == "final" and events[-1][1]["dense_unavailable"] == ["fake"]
    # Read back later: the flag belongs to that response, not to the stored draft.
    assert client.get(f"/api/v1/drafts/{draft['draft_id']}").json()["dense_unavailable"] == []

    chroma_process.start()  # same port, same data: the collections are there again
    after = client.post("/api/v1/drafts", json=QUESTION).json()  # the very next draft
    assert after["dense_unavailable"] == [] and dense_scored(after)
    assert stream(client)[0][1]["dense_unavailable"] == []


def test_an_exactly_searched_kb_keeps_its_dense_results_with_chroma_killed(
    exact_client: TestClient, chroma_process: ChromaProcess
) -> None:
    before = exact_client.post("/api/v1/drafts", json=QUESTION).json()
    assert before["dense_unavailable"] == [] and dense_scored(before)

    chroma_process.kill()
    down = exact_client.post("/api/v1/drafts", json=QUESTION)
    assert down.status_code == 201
    assert down.json()["dense_unavailable"] == []
    assert [p["scores"] for p in down.json()["passages"]] == [p["scores"] for p in before["passages"]]
    ready = exact_client.get("/api/v1/ready")
    assert ready.status_code == 503 and "Chroma" in ready.json()["detail"]

    chroma_process.start()
    assert exact_client.get("/api/v1/ready").status_code == 200
