"""Drafts: create (JSON or Server-Sent Events), read back. Agents (and admins) only.

A draft belongs to the agent whose credential asked for it: another agent's draft is 404 (read and
regenerate alike); an admin may read any draft but regenerates only their own."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Generator
from contextlib import suppress
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.api.contract import BLANK_QUESTION, NOT_BLANK, is_blank, topic_ids
from assistant.api.deps import Admission, AgentCaller, Drafting
from assistant.pipeline.topics import taxonomy
from assistant.services.drafting import DraftingService, DraftRequest

router = APIRouter(prefix="/drafts", tags=["drafts"])


class DraftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    question: str = Field(
        min_length=1,
        max_length=8000,
        json_schema_extra={"pattern": NOT_BLANK},
        description="The employee's message, as received; not blank (spaces only → 422).",
    )
    category: Literal["private-sector", "civil-service"] | None = Field(
        default=None, description="The employee's category: restricts the sources to that audience."
    )
    topic: str | None = Field(
        default=None,
        max_length=120,
        json_schema_extra=topic_ids,
        description="A topic id of GET /api/v1/topics, to correct the topic the server infers from the "
        "question and the retrieved passages (stored with the draft); any other value → 422.",
    )
    regenerate_of: UUID | None = Field(
        default=None,
        description="The draft this request replaces (the panel's 'Régénérer'): the new draft stays in "
        "the assisted arm; a control-arm draft cannot be regenerated (409).",
    )
    force_draft_of: UUID | None = Field(
        default=None,
        description="« Proposer quand même »: the agent's own abstained draft; the new one is drafted "
        "despite low coverage (level « faible », forced = true, regenerated_from = that draft). 404: "
        "unknown or another agent's draft; 409: routed to a human, already drafted, or control arm; "
        "422 with regenerate_of. The question is decided again: a routed question stays routed.",
    )

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if is_blank(value):
            raise ValueError(BLANK_QUESTION)
        return value

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        topic = taxonomy().canonical(value)
        if topic is None:
            raise ValueError(
                "unknown topic id: pick one of GET /api/v1/topics"
                " / thème inconnu : choisir un thème de la liste"
            )
        return topic

    @model_validator(mode="after")
    def _one_of(self) -> DraftCreate:
        if self.force_draft_of is not None and self.regenerate_of is not None:
            raise ValueError(
                "force_draft_of and regenerate_of are exclusive / « Régénérer » ou « Proposer quand même »"
            )
        return self

    def to_request(self, agent: str) -> DraftRequest:
        """``agent``: the caller's pseudonym (from the credential), the new draft's owner."""
        return DraftRequest(
            self.question,
            self.category,
            self.topic,
            str(self.regenerate_of) if self.regenerate_of else None,
            agent=agent,
            force_draft_of=str(self.force_draft_of) if self.force_draft_of else None,
        )


class Decision(BaseModel):
    kind: Literal["drafted", "abstained", "routed_to_human"]
    reason: str
    confidence: float
    level: Literal["élevée", "moyenne", "faible"] | None = Field(
        default=None, description="Confidence shown to the agent on every draft (none when routed)."
    )
    level_reason: str | None = Field(default=None, description="Why this level, in one French line.")


class PassagePublic(BaseModel):
    n: int
    chunk_id: str
    chunk_ids: list[str] = Field(
        default_factory=list, description="Every chunk of the document in this passage."
    )
    doc_id: str
    title: str
    url: str
    heading_path: list[str]
    updated: str
    age_years: float | None = Field(
        default=None, description="Years since the source was updated, on the server's reference date."
    )
    stale: bool | None = Field(
        default=None,
        description="Older than HRA_DRAFTING__SOURCE_MAX_AGE_YEARS: shown as « ancienne source — à "
        "vérifier »; null when the source has no date.",
    )
    audience: str = "all"
    text: str | None
    cited_sentence: str | None
    scores: dict[str, float]
    ranks: dict[str, int]
    doc_ranks: dict[str, int]
    matched_terms: list[str]


class FlagPublic(BaseModel):
    kind: str = Field(
        description="Citations: invalid_citation, no_citation. Facts not found in the cited passages: "
        "url, email, phone, iban, amount, duration, article. Safety: copied_contact, prompt_leak, "
        "injection, hidden_characters, markup. Freshness: stale_term, expired_measure, old_figure, "
        "contradiction."
    )
    value: str
    message: str = Field(description="Why, in French, for the agent.")
    start: int
    end: int
    replacement: str | None = Field(
        default=None, description="What replaces a superseded term, or the newer figure, when known."
    )


class DraftPublic(BaseModel):
    draft_id: str
    created_at: str
    question_masked: str = Field(description="The question as stored and sent to any model (PII replaced).")
    pii_masked: list[str] = Field(description="Kinds of personal data that were masked.")
    category: str | None
    topic: str | None
    decision: Decision
    text: str | None = Field(
        description="The draft with [n] citations (null when abstained, routed, or in the control arm)."
    )
    citations: list[PassagePublic] = Field(
        description="Cited passages, with the sentence that backs each one."
    )
    passages: list[PassagePublic] = Field(description="All passages retrieved, best first.")
    flags: list[FlagPublic]
    kb_version: str
    drafter: str
    model: str | None
    prompt_version: str | None
    fallback_reason: str | None
    latency_ms: int
    ai_mention: bool
    arm: Literal["assisted", "control"] = Field(
        description="Drawn by the server: 'control' questions get the passages but no draft, so the "
        "time saved is measured against agents answering unaided (share: HRA_DRAFTING__CONTROL_SHARE)."
    )
    regenerated_from: str | None = Field(
        description="The draft this one replaced ('Régénérer', or the abstention of a forced draft)."
    )
    forced: bool = Field(
        default=False,
        description="Drafted at the agent's request after an abstention (« Proposer quand même »).",
    )
    dense_unavailable: list[str] = Field(
        default_factory=list,
        description="Embedders whose vector search failed for this draft (Chroma unreachable): the "
        "passages come from the other lists, keywords (BM25) only when every embedder is named; the "
        "panel shows « Recherche sémantique indisponible ». Not stored: empty when a draft is read back.",
    )


# regenerate_of / force_draft_of name a draft: unknown or another agent's → 404; not allowed → 409.
_REFUSALS: dict[int | str, dict[str, Any]] = {
    404: {"description": "regenerate_of / force_draft_of: unknown draft, or another agent's"},
    409: {"description": "that draft cannot be regenerated or forced (control arm, routed, drafted)"},
}


@router.post(
    "",
    summary="Draft a cited French reply (or abstain / route to a human).",
    status_code=201,
    response_model=DraftPublic,
    responses=_REFUSALS,
)
async def create_draft(
    body: DraftCreate, drafting: Drafting, caller: AgentCaller, admission: Admission
) -> Response:
    # A slot first (503 busy with Retry-After when every slot and the queue are taken), then the
    # pipeline in a worker thread: the event loop only ever waits, never computes.
    async with admission.slot(body.question):
        content = await run_in_threadpool(_created, drafting, body.to_request(caller.pseudonym))
    return Response(content, status_code=201, media_type="application/json")


def _created(drafting: DraftingService, request: DraftRequest) -> bytes:
    """The draft as the JSON answered, validated and written in the worker thread (returned as a
    model, FastAPI would validate it a second time and encode it on the event loop)."""
    return DraftPublic.model_validate(drafting.create(request)).model_dump_json().encode()


@router.post(
    "/stream",
    summary="The same, streamed as Server-Sent Events.",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "events: passages, token (repeated), reset (LLM fell back), final",
        },
        **_REFUSALS,
    },
)
async def stream_draft(
    body: DraftCreate, drafting: Drafting, caller: AgentCaller, admission: Admission
) -> StreamingResponse:
    release = await admission.acquire(body.question)
    try:  # refusals (404, 409; a forced draft's too) raise here, before the stream starts
        pipeline = await run_in_threadpool(drafting.run, body.to_request(caller.pseudonym))
    except BaseException:
        release()
        raise

    async def events() -> AsyncIterator[str]:
        # One pipeline step per worker-thread hop. When the client goes away, Starlette cancels
        # this generator: no further step runs (the LLM stream is closed with the pipeline), and
        # the slot is given back at once.
        steps = iter(pipeline)
        try:
            while (event := await run_in_threadpool(next, steps, None)) is not None:
                yield f"event: {event.kind}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"
        finally:
            release()
            if isinstance(steps, Generator):
                with suppress(ValueError):  # a step still running in its thread: it ends on its own
                    steps.close()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/{draft_id:uuid}",  # a UUID, so /drafts/stream is not read as a draft id (GET there is 405)
    summary="Read a draft back (as stored: PII placeholders kept). Your own drafts only; admins read any.",
    responses={404: {"description": "unknown draft id, or another agent's draft"}},
)
def read_draft(draft_id: Annotated[UUID, Path()], drafting: Drafting, caller: AgentCaller) -> DraftPublic:
    record: dict[str, Any] = drafting.get(str(draft_id), caller.reads_as)
    return DraftPublic.model_validate(record)
