"""The HTTP surface available so far: health, readiness, search, and clear 4xx on bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from knowledge_base.settings import EmbeddingSettings, KnowledgeBaseSettings
from tests.fixtures.app import bearer


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), headers=bearer()) as c:  # builds the index on start
        yield c


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    ready = client.get("/api/v1/ready").json()
    assert ready["status"] == "ready" and ready["documents"] == 6 and len(ready["kb_version"]) == 16


def test_search_returns_passages_with_reasons(client: TestClient) -> None:
    res = client.post("/api/v1/search", json={"question": "rupture conventionnelle CDI", "top_k": 3})
    assert res.status_code == 200
    first = res.json()["passages"][0]
    assert first["doc_id"] == "t:rupture" and first["url"] == "https://example.test/rupture"
    assert first["ranks"]["bm25"] == 1 and "rupture" in first["matched_terms"]


def test_search_filters_by_audience(client: TestClient) -> None:
    res = client.post(
        "/api/v1/search", json={"question": "stagiaire licenciement", "audience": "civil-service"}
    )
    assert {p["doc_id"] for p in res.json()["passages"]} == {"faq-barri:t1"}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "vide"),
        ({"question": "x" * 8001}, "question"),
        ({"question": 42}, "question"),
        ({"question": "ok", "unknown": 1}, "unknown"),
        ({"question": "ok", "top_k": 0}, "top_k"),
        ({"question": "ok", "audience": "martians"}, "audience"),
    ],
)
def test_bad_input_is_a_clear_4xx(client: TestClient, body: dict[str, object], fragment: str) -> None:
    res = client.post("/api/v1/search", json=body)
    assert res.status_code in (400, 422)
    assert set(res.json()) == {"code", "detail"} and fragment in res.json()["detail"]


def test_readiness_is_503_with_a_reason_when_no_index(app_settings: Settings) -> None:
    app = create_app(app_settings.model_copy(update={"build_index_on_start": False}))
    with TestClient(app, headers=bearer()) as c:
        res = c.get("/api/v1/ready")
        assert res.status_code == 503 and res.json()["code"] == "index_unavailable"
        assert "hra kb ingest" in res.json()["detail"]
        assert c.post("/api/v1/search", json={"question": "congés"}).status_code == 503


def test_prod_refuses_the_fake_embedder(kb_settings: KnowledgeBaseSettings) -> None:
    with pytest.raises(ValueError, match="fake"):
        Settings(env="prod", kb=KnowledgeBaseSettings(embeddings=EmbeddingSettings(models=["fake"])))


def test_prod_refuses_fake_llm_missing_and_dev_tokens() -> None:
    with pytest.raises(ValueError) as err:
        Settings(
            env="prod",
            llm={"provider": "fake"},  # type: ignore[arg-type]
            auth={"tokens": {"agent": ["dev-agent-abc"], "lead": ["x" * 40]}},
        )  # type: ignore[arg-type]
    message = str(err.value)
    assert "HRA_LLM__PROVIDER=fake" in message and "role 'rep'" in message and "role 'agent'" in message
    strong = {role: ["s" * 40] for role in ("agent", "lead", "rep", "admin")}
    assert Settings(env="prod", auth={"tokens": strong}).env == "prod"  # type: ignore[arg-type]


def test_search_requires_an_agent_token(client: TestClient) -> None:
    assert (
        client.post("/api/v1/search", json={"question": "congés"}, headers={"Authorization": ""}).status_code
        == 401
    )
    assert (
        client.post("/api/v1/search", json={"question": "congés"}, headers=bearer("lead")).status_code == 403
    )


def test_settings_read_nested_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRA_KB__CHROMA__URL", "http://127.0.0.1:8123")
    monkeypatch.setenv("HRA_RETRIEVAL__TOP_K", "6")
    settings = Settings()
    assert settings.kb.chroma.url == "http://127.0.0.1:8123" and settings.retrieval.top_k == 6
