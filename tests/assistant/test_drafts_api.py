"""The drafting API end to end on the small corpus: offline drafter, real SQLite store, auth, SSE,
telemetry (in-memory exporter)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from assistant.app import create_app
from assistant.settings import Settings
from assistant.telemetry import TelemetrySettings, setup_telemetry
from tests.fixtures.app import TOKENS

AGENT, REP = TOKENS["agent"], TOKENS["rep"]
QUESTION = "Bonjour, combien de jours de congés payés un salarié acquiert-il par mois ? Mon mail : a.b@x.fr"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def client(app_settings: Settings, spans: InMemorySpanExporter) -> Iterator[TestClient]:
    telemetry = setup_telemetry(TelemetrySettings(), span_exporter=spans)
    with TestClient(create_app(app_settings, telemetry=telemetry)) as c:
        yield c


def auth(token: str = AGENT) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_draft_is_cited_persisted_and_readable(client: TestClient) -> None:
    res = client.post(
        "/api/v1/drafts", json={"question": QUESTION, "category": "private-sector"}, headers=auth()
    )
    assert res.status_code == 201, res.text
    draft = res.json()
    assert draft["decision"]["kind"] == "drafted"
    assert draft["drafter"] == "offline" and draft["model"] is None
    assert "[1]" in draft["text"] and draft["text"].endswith("Réponse préparée avec l'aide d'un outil d'IA")
    assert draft["citations"] and draft["citations"][0]["cited_sentence"]
    assert draft["citations"][0]["doc_id"] == "t:conges"
    assert "[EMAIL_1]" in draft["question_masked"] and "a.b@x.fr" not in draft["question_masked"]
    assert draft["pii_masked"] == ["EMAIL"]
    again = client.get(f"/api/v1/drafts/{draft['draft_id']}", headers=auth())
    assert again.status_code == 200 and again.json()["text"] == draft["text"]
    assert "a.b@x.fr" not in again.text  # the store never saw the address
    # A confidence level with its reason on every draft, kept by the store.
    assert draft["decision"]["level"] in ("élevée", "moyenne", "faible") and draft["decision"]["level_reason"]
    assert again.json()["decision"]["level"] == draft["decision"]["level"]


def test_sources_are_one_per_document_and_cited_without_gaps(client: TestClient) -> None:
    import re

    draft = client.post("/api/v1/drafts", json={"question": QUESTION}, headers=auth()).json()
    docs = [p["doc_id"] for p in draft["passages"]]
    assert len(docs) == len(set(docs)) and [p["n"] for p in draft["passages"]] == list(
        range(1, len(docs) + 1)
    )
    cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", draft["text"])})
    assert cited == list(range(1, len(cited) + 1))  # [1][2]…, never [1][3]


def test_sensitive_question_is_routed_without_draft(client: TestClient) -> None:
    res = client.post(
        "/api/v1/drafts",
        headers=auth(),
        json={"question": "Je suis harcelée par mon responsable depuis des mois, que faire ?"},
    )
    body = res.json()
    assert body["decision"]["kind"] == "routed_to_human" and body["text"] is None
    assert body["decision"]["reason"] and body["passages"]  # reason shown, passages still listed


def test_stream_sends_passages_then_text_then_the_final_record(client: TestClient) -> None:
    with client.stream("POST", "/api/v1/drafts/stream", json={"question": QUESTION}, headers=auth()) as res:
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/event-stream")
        raw = "".join(res.iter_text())
    events = [
        (
            block.split("\n")[0].removeprefix("event: "),
            json.loads(block.split("\n")[1].removeprefix("data: ")),
        )
        for block in raw.strip().split("\n\n")
    ]
    kinds = [k for k, _ in events]
    assert kinds[0] == "passages" and kinds[-1] == "final" and set(kinds[1:-1]) == {"token"}
    streamed = "".join(d["text"] for k, d in events if k == "token")
    final = events[-1][1]
    assert final["text"].startswith(streamed.strip()[:40]) and events[0][1]["draft_id"] == final["draft_id"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"question": ""}, "question"),
        ({"question": "   \n "}, "vide"),
        ({"question": "x" * 8001}, "question"),
        ({"question": ["a"]}, "question"),
        ({"question": "ok", "extra": 1}, "extra"),
        ({"question": "ok", "category": "retired"}, "category"),
        ({}, "question"),
    ],
)
def test_bad_input_is_422_with_a_clear_message(
    client: TestClient, body: dict[str, object], fragment: str
) -> None:
    res = client.post("/api/v1/drafts", json=body, headers=auth())
    assert res.status_code == 422 and res.json()["code"] == "invalid_request"
    assert fragment in res.json()["detail"]


def test_auth_and_unknown_ids(client: TestClient) -> None:
    assert client.post("/api/v1/drafts", json={"question": "congés"}).status_code == 401
    assert client.post("/api/v1/drafts", json={"question": "congés"}, headers=auth("nope")).status_code == 401
    forbidden = client.post("/api/v1/drafts", json={"question": "congés"}, headers=auth(REP))
    assert forbidden.status_code == 403 and "rep" in forbidden.json()["detail"]
    assert (
        client.get("/api/v1/drafts/00000000-0000-4000-8000-000000000000", headers=auth()).status_code == 404
    )
    assert client.get("/api/v1/drafts/not-an-id", headers=auth()).status_code == 404  # not a draft URL


def test_spans_carry_ids_and_counts_never_text(client: TestClient, spans: InMemorySpanExporter) -> None:
    client.post("/api/v1/drafts", json={"question": QUESTION}, headers=auth())
    finished = spans.get_finished_spans()
    names = {s.name for s in finished}
    assert {"draft.pipeline", "retrieve", "decide", "draft", "check"} <= names
    decide_span = next(s for s in finished if s.name == "decide")
    assert decide_span.attributes["hra.decision"] == "drafted"
    for span in finished:
        for value in (span.attributes or {}).values():
            assert "congés" not in str(value) and "a.b@x.fr" not in str(value)


def test_readiness_checks_the_store(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/api/v1/ready").status_code == 200

    def down(*_: object) -> None:
        raise OSError("database is gone")

    monkeypatch.setattr("assistant.api.health.probe_writable", down)
    res = client.get("/api/v1/ready")
    assert res.status_code == 503 and res.json()["code"] == "store_unavailable"


def test_out_of_scope_question_abstains_and_still_lists_passages(client: TestClient) -> None:
    res = client.post(
        "/api/v1/drafts",
        headers=auth(),
        json={"question": "Comment réinitialiser mon mot de passe VPN sur l'imprimante ?"},
    )
    body = res.json()
    assert body["decision"]["kind"] == "abstained" and body["text"] is None
    assert "confiance" in body["decision"]["reason"] and body["passages"]


def test_created_at_keeps_its_time_zone_when_read_back(client: TestClient) -> None:
    made = client.post("/api/v1/drafts", json={"question": QUESTION}, headers=auth()).json()
    read = client.get(f"/api/v1/drafts/{made['draft_id']}", headers=auth()).json()
    assert made["created_at"].endswith("+00:00") and read["created_at"] == made["created_at"]
