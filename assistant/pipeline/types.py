"""Values passed between pipeline steps (mask → retrieve → decide → draft → check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DecisionKind = Literal["drafted", "abstained", "routed_to_human"]


@dataclass(frozen=True)
class Passage:
    """A retrieved passage as the drafters see it; ``n`` is its citation number ([n])."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    url: str
    heading_path: tuple[str, ...]
    updated: str
    text: str
    audience: str = "all"  # private-sector / civil-service / all, from the document's metadata
    chunk_ids: tuple[str, ...] = ()  # every chunk of the document merged into this passage
    scores: dict[str, float] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    doc_ranks: dict[str, int] = field(default_factory=dict)
    matched_terms: tuple[str, ...] = ()
    # The file its document was loaded from, as the build's manifest recorded it at ingest (never
    # what the file says of itself); "" when unknown (a passage built by hand).
    origin: str = ""


@dataclass(frozen=True)
class DraftText:
    """What a drafter returns: the reply body with [n] markers, before checks."""

    text: str
    drafter: Literal["offline", "llm"]
    model: str | None = None
    prompt_version: str | None = None
    usage: dict[str, int] = field(default_factory=dict)  # input_tokens / output_tokens when known
    fallback_reason: str | None = None  # set when the LLM failed and the offline drafter answered
    extra: dict[str, Any] = field(default_factory=dict)


class DrafterUnavailableError(Exception):
    """The LLM could not produce a draft (timeout, repeated 429/5xx, bad answer); the reason is
    shown to the agent and the offline drafter answers instead."""
