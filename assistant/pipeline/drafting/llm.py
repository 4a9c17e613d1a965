"""The LLM drafter: Mistral, an OpenAI-compatible endpoint or a LangChain fake model, streamed.

Retries are ours, not the SDKs' (the chat models get ``max_retries=0``): only HTTP 429 and 5xx are
retried, only before the first text chunk reached the caller (after that the agent has seen part of
a draft, and a second answer would not continue it), with exponential backoff and full jitter. Every
other failure becomes ``DrafterUnavailableError`` at once so the offline drafter answers quickly.

What the two providers raise (checked in the installed sources):
- ``langchain_mistralai`` talks to ``/chat/completions`` with httpx + httpx-sse: an error status is
  ``httpx.HTTPStatusError`` (raised before the first event), timeouts are ``httpx.TimeoutException``,
  network failures ``httpx.TransportError``, a non-SSE answer ``httpx_sse.SSEError``.
- ``langchain_openai`` uses the openai SDK, which wraps the same failures as
  ``openai.APIStatusError`` (``.status_code``), ``openai.APITimeoutError``, ``openai.APIConnectionError``.

Logs carry provider, counts and reasons only — never the question or the draft.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx
import openai
from httpx_sse import SSEError
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessageChunk
from langchain_mistralai import ChatMistralAI
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field, SecretStr

from assistant.pipeline.drafting.prompt import DraftPrompt, load_prompt
from assistant.pipeline.types import DrafterUnavailableError, DraftText, Passage

log = logging.getLogger(__name__)

Provider = Literal["mistral", "openai_compatible", "fake"]
API_LABELS: dict[Provider, str] = {
    "mistral": "Mistral API",
    "openai_compatible": "OpenAI-compatible API",
    "fake": "fake LLM",
}
STATUS_HINTS = {
    400: "request rejected",
    401: "API key refused",
    403: "access denied",
    404: "model or endpoint not found",
    413: "request too large",
    422: "request rejected",
}
DEFAULT_FAKE_RESPONSE = (
    "Bonjour,\n\nLes règles applicables à votre situation sont décrites dans la documentation RH [1]. "
    "Nous vous invitons à vous y reporter pour le détail des démarches [1]. "
    "Le service RH reste à votre disposition pour toute précision.\n\nCordialement,"
)


class LlmSettings(BaseModel):
    provider: Provider = Field(
        default="mistral",
        description="'mistral' (Mistral API), 'openai_compatible' (e.g. a self-hosted vLLM) or 'fake' "
        "(a canned streamed answer for tests and benchmarks).",
    )
    model: str = Field(default="mistral-small-latest", description="Model name sent to the provider.")
    base_url: str | None = Field(
        default=None,
        description="Endpoint, e.g. http://vllm:8000/v1. Required for openai_compatible; for mistral it "
        "replaces https://api.mistral.ai/v1.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="API key. For mistral, MISTRAL_API_KEY is read when unset, and without any key the "
        "LLM drafter is off (the offline drafter answers). Optional for openai_compatible.",
    )
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Timeout of each HTTP operation.")
    max_retries: int = Field(
        default=2, ge=0, le=5, description="Retries on HTTP 429/5xx before the first chunk only."
    )
    backoff_base_s: float = Field(
        default=0.5, gt=0, description="First retry waits up to this long; doubles per retry."
    )
    backoff_cap_s: float = Field(
        default=4.0,
        gt=0,
        description="Longest wait between two attempts, so a call lasts at most "
        "(max_retries + 1) x timeout_s + max_retries x backoff_cap_s.",
    )
    temperature: float = Field(default=0.2, ge=0, le=1, description="Sampling temperature.")
    fake_response: str = Field(
        default=DEFAULT_FAKE_RESPONSE, description="The answer of provider 'fake', streamed per character."
    )
    fake_chunk_delay_s: float = Field(
        default=0.0, ge=0, description="Provider 'fake': pause before each streamed chunk (benchmarks)."
    )


GEN_AI_SYSTEMS = {"mistral": "mistral_ai", "openai_compatible": "openai", "fake": "fake"}


@dataclass(frozen=True)
class Failure:
    reason: str
    retryable: bool


class LlmDrafter:
    """Streams a cited French draft; raises ``DrafterUnavailableError`` with a reason for the agent."""

    def __init__(
        self,
        settings: LlmSettings | None = None,
        *,
        prompt: DraftPrompt | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        model: BaseChatModel | None = None,
    ) -> None:
        """``model``: a chat model of the caller's (provider 'fake' only), e.g. a scripted one for
        attack benches; otherwise the provider's model is built from the settings."""
        self.settings = settings or LlmSettings()
        self.prompt = prompt or load_prompt()
        self._sleep = sleep  # injected so tests skip the backoff without patching time globally
        self._rng = rng or random.Random()
        self._api = API_LABELS[self.settings.provider]
        self._missing = missing_configuration(self.settings)
        self._model: BaseChatModel | None = None
        self._http: httpx.Client | None = None
        if model is not None and self.settings.provider != "fake":
            raise ValueError("a caller's chat model needs provider 'fake'")
        if model is not None:
            self._model = model
        elif self._missing is None:
            self._model, self._http = build_chat_model(self.settings)

    @property
    def is_configured(self) -> bool:
        return self._model is not None

    @property
    def model_name(self) -> str:
        return "fake" if self.settings.provider == "fake" else self.settings.model

    @property
    def prompt_version(self) -> str:
        return self.prompt.version

    @property
    def system(self) -> str:
        """The gen_ai.system semantic-convention value."""
        return GEN_AI_SYSTEMS[self.settings.provider]

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        category: str | None = None,
        usage: dict[str, int] | None = None,
    ) -> Iterator[str]:
        """Yield the draft's text chunks as they arrive; token counts are added to ``usage``."""
        for chunk in self._chunks(question, passages, category):
            if usage is not None:
                add_usage(usage, chunk)
            if text := chunk.text:
                yield str(text)  # a plain str, not LangChain's TextAccessor subclass

    def draft(self, question: str, passages: Sequence[Passage], category: str | None = None) -> DraftText:
        parts: list[str] = []
        usage: dict[str, int] = {}
        for chunk in self._chunks(question, passages, category):
            parts.append(str(chunk.text))
            add_usage(usage, chunk)
        return DraftText(
            text="".join(parts).strip(),
            drafter="llm",
            model=self.model_name,
            prompt_version=self.prompt_version,
            usage=usage,
        )

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def _chunks(
        self, question: str, passages: Sequence[Passage], category: str | None
    ) -> Iterator[AIMessageChunk]:
        if self._model is None:
            raise DrafterUnavailableError(self._missing or "LLM not configured")
        messages = self.prompt.messages(question, passages, category)
        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            started = visible = False
            try:
                for chunk in self._model.stream(messages):
                    text = chunk.text
                    started, visible = started or bool(text), visible or bool(text.strip())
                    yield chunk
            except Exception as exc:  # whatever the cause, the caller needs a reason and a fallback
                failure = classify(exc, self._api, self.settings.timeout_s)
                self._give_up_or_wait(failure, attempt, attempts, started, exc)
                continue
            if not visible:
                raise DrafterUnavailableError("empty answer")
            log.info(
                "llm draft: provider=%s attempts=%d passages=%d",
                self.settings.provider,
                attempt,
                len(passages),
            )
            return

    def _give_up_or_wait(
        self, failure: Failure, attempt: int, attempts: int, started: bool, exc: Exception
    ) -> None:
        log.warning("llm attempt %d/%d failed: %s", attempt, attempts, failure.reason)
        if started:
            raise DrafterUnavailableError(f"{failure.reason} (stream interrupted)") from exc
        if not failure.retryable:
            raise DrafterUnavailableError(failure.reason) from exc
        if attempt == attempts:
            plural = "s" if attempts > 1 else ""
            raise DrafterUnavailableError(f"{failure.reason} after {attempts} attempt{plural}") from exc
        self._sleep(self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        """Full jitter (uniform in [0, capped exponential]): concurrent drafters do not retry in step."""
        s = self.settings
        return self._rng.uniform(0.0, min(s.backoff_cap_s, s.backoff_base_s * 2 ** (attempt - 1)))


def missing_configuration(settings: LlmSettings) -> str | None:
    """Why the drafter cannot run, or None. Checked here because ChatMistralAI would send 'Bearer None'."""
    if settings.provider == "mistral" and resolve_api_key(settings) is None:
        return "no Mistral API key (MISTRAL_API_KEY)"
    if settings.provider == "openai_compatible" and not settings.base_url:
        return "no base_url for the OpenAI-compatible endpoint"
    return None


def resolve_api_key(settings: LlmSettings) -> SecretStr | None:
    if settings.api_key is not None and settings.api_key.get_secret_value().strip():
        return settings.api_key
    if settings.provider == "mistral" and (env_key := os.environ.get("MISTRAL_API_KEY", "").strip()):
        return SecretStr(env_key)
    return None


def build_chat_model(settings: LlmSettings) -> tuple[BaseChatModel, httpx.Client | None]:
    """The LangChain chat model, and the HTTP client we own (closed by ``LlmDrafter.close``)."""
    if settings.provider == "fake":
        return FakeListChatModel(
            responses=[settings.fake_response], sleep=settings.fake_chunk_delay_s or None
        ), None
    if settings.provider == "openai_compatible":
        return build_openai_compatible(settings)
    return build_mistral(settings)


def build_mistral(settings: LlmSettings) -> tuple[BaseChatModel, httpx.Client]:
    model = ChatMistralAI(
        model_name=settings.model,  # the field's alias: what mypy's pydantic signature knows
        api_key=resolve_api_key(settings),
        base_url=settings.base_url,
        timeout=math.ceil(settings.timeout_s),  # the field is an int ...
        max_retries=0,
        streaming=True,
        temperature=settings.temperature,
    )
    # ... so set the exact (float) timeout on the httpx clients it built.
    model.client.timeout = httpx.Timeout(settings.timeout_s)
    model.async_client.timeout = httpx.Timeout(settings.timeout_s)
    return model, model.client


def build_openai_compatible(settings: LlmSettings) -> tuple[BaseChatModel, httpx.Client]:
    # A classic httpx client (openai>=3 accepts one; its default is httpx2): one HTTP stack for both
    # providers, so proxies, timeouts and test interception (respx) behave the same.
    http = httpx.Client(base_url=settings.base_url or "", timeout=settings.timeout_s)
    model = ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        # Self-hosted servers (vLLM…) usually accept any key; the SDK refuses to start without one.
        api_key=resolve_api_key(settings) or SecretStr("EMPTY"),
        timeout=settings.timeout_s,
        max_retries=0,
        streaming=True,
        stream_usage=True,
        temperature=settings.temperature,
        http_client=http,
    )
    return model, http


def add_usage(usage: dict[str, int], chunk: AIMessageChunk) -> None:
    if chunk.usage_metadata:
        for key in ("input_tokens", "output_tokens"):
            usage[key] = usage.get(key, 0) + chunk.usage_metadata[key]


def classify(exc: BaseException, api: str, timeout_s: float) -> Failure:
    chain = causes(exc)
    if any(isinstance(e, httpx.TimeoutException | openai.APITimeoutError | TimeoutError) for e in chain):
        return Failure(f"timeout after {timeout_s:g} s", retryable=False)
    status = next((code for e in chain if (code := status_code(e)) is not None), None)
    if status is not None:
        if status == 429 or status >= 500:
            return Failure(f"{api}: HTTP {status}", retryable=True)
        return Failure(
            f"{api}: HTTP {status} ({STATUS_HINTS.get(status, 'request refused')})", retryable=False
        )
    if isinstance(exc, ValueError) and "no generation chunks" in str(exc).lower():
        return Failure("empty answer", retryable=False)  # langchain-core's words for a stream with no chunk
    if any(isinstance(e, SSEError) for e in chain):  # before TransportError: SSEError subclasses it
        return Failure(f"{api}: the answer is not an event stream", retryable=False)
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return Failure(f"{api}: connection reset by the server", retryable=False)
    if any(isinstance(e, httpx.TransportError | openai.APIConnectionError) for e in chain):
        return Failure(f"{api}: connection failed ({type(exc).__name__})", retryable=False)
    return Failure(f"{api}: unexpected {type(exc).__name__}", retryable=False)


def status_code(exc: BaseException) -> int | None:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code
    return None


def causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (LangChain or the SDKs may re-raise with a cause)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
