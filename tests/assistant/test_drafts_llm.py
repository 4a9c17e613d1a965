"""The drafting API with the Mistral path: intercepted HTTP, real ChatMistralAI code, and the
fallback to the offline drafter with its reason."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr

from assistant.app import create_app
from assistant.pipeline.drafting.llm import LlmDrafter, LlmSettings
from assistant.settings import Settings
from assistant.telemetry import TelemetrySettings, setup_telemetry
from tests.assistant.test_llm_drafter import MISTRAL_URL, mistral_events, sse_response
from tests.fixtures.app import bearer

QUESTION = {"question": "Combien de jours de congés payés acquiert-on par mois ?"}
ANSWER = [
    "Bonjour,\n\n",
    "Vous acquérez 2,5 jours ouvrables par mois [1] ",
    "et 30 jours par an [9].",
    "\n\nCordialement,",
]


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def client(app_settings: Settings, spans: InMemorySpanExporter) -> Iterator[TestClient]:
    llm = LlmDrafter(LlmSettings(api_key=SecretStr("test-key"), max_retries=1), sleep=lambda _: None)
    app = create_app(
        app_settings, telemetry=setup_telemetry(TelemetrySettings(), span_exporter=spans), llm=llm
    )
    with TestClient(app, headers=bearer()) as c:
        yield c


def test_mistral_draft_is_checked_and_reports_model_and_usage(
    client: TestClient, respx_mock: respx.MockRouter, spans: InMemorySpanExporter
) -> None:
    route = respx_mock.post(MISTRAL_URL).mock(
        return_value=sse_response(
            mistral_events(ANSWER, {"prompt_tokens": 310, "completion_tokens": 25, "total_tokens": 335})
        )
    )
    draft = client.post("/api/v1/drafts", json=QUESTION).json()
    assert route.call_count == 1
    assert draft["drafter"] == "llm" and draft["model"] == "mistral-small-latest"
    assert draft["prompt_version"] == "draft-fr-v2" and draft["fallback_reason"] is None
    assert "[1]" in draft["text"] and "[9]" not in draft["text"]  # [9] was never retrieved: removed, flagged
    assert any(f["kind"] == "invalid_citation" and f["value"] == "9" for f in draft["flags"])
    draft_span = next(s for s in spans.get_finished_spans() if s.name == "draft")
    assert draft_span.attributes["gen_ai.system"] == "mistral_ai"
    assert draft_span.attributes["gen_ai.request.model"] == "mistral-small-latest"
    assert draft_span.attributes["gen_ai.usage.input_tokens"] == 310
    assert draft_span.attributes["gen_ai.usage.output_tokens"] == 25


def test_mistral_errors_fall_back_to_the_offline_drafter_with_the_reason(
    client: TestClient, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(MISTRAL_URL).mock(
        return_value=httpx.Response(503, json={"message": "overloaded"})
    )
    draft = client.post("/api/v1/drafts", json=QUESTION).json()
    assert route.call_count == 2  # one retry, then give up
    assert draft["drafter"] == "offline" and "503" in draft["fallback_reason"]
    assert draft["decision"]["kind"] == "drafted" and "[1]" in draft["text"]


def test_timeout_falls_back_too(client: TestClient, respx_mock: respx.MockRouter) -> None:
    respx_mock.post(MISTRAL_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    draft = client.post("/api/v1/drafts", json=QUESTION).json()
    assert draft["drafter"] == "offline" and "timeout" in draft["fallback_reason"]


def test_no_key_means_offline_without_any_http_call(
    app_settings: Settings, respx_mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    route = respx_mock.post(MISTRAL_URL)
    with TestClient(create_app(app_settings), headers=bearer()) as c:
        draft = c.post("/api/v1/drafts", json=QUESTION).json()
    assert draft["drafter"] == "offline" and draft["fallback_reason"] is None and route.call_count == 0


def test_the_deployments_trusted_domains_reach_the_checks(
    app_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HRA_DRAFTING__TRUSTED_DOMAINS is passed to the checks of every draft (what the checks do with
    it is tested in test_hardened_checks.py)."""
    import assistant.services.drafting as drafting_service

    seen: list[object] = []
    real = drafting_service.check_draft

    def recording(*args: object, **kwargs: object) -> object:
        seen.append(kwargs.get("extra_domains"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(drafting_service, "check_draft", recording)
    settings = app_settings.model_copy(
        update={
            "drafting": app_settings.drafting.model_copy(update={"trusted_domains": ["intranet.example.fr"]})
        }
    )
    with TestClient(create_app(settings), headers=bearer()) as c:
        draft = c.post("/api/v1/drafts", json=QUESTION).json()
    assert draft["decision"]["kind"] == "drafted"
    assert seen == [["intranet.example.fr"]]
