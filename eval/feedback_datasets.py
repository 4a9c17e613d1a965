"""Evaluation sets built from the feedback store — masked text only.

- every assisted draft an agent *sent* → a sample whose reference is the final text (PII-masked
  as stored), with the agent's outcome (accepted_as_is / edited / rewritten / no_draft);
- every assisted draft *discarded* and never sent → a sample with outcome ``discarded`` and no
  reference (it counts in the outcome rates only);
- every thumbs-down with an expected answer → a sample whose reference is that answer, with the
  verdict's reasons.
Control-arm drafts (answered without a draft) are not samples. Events whose payload was purged
(retention) are skipped. Each sample carries its draft's release (kb_version, prompt, drafter…).

Written as JSONL named ``feedback-YYYY-MM-DD-<hash8>.jsonl`` (hash of the content), and convertible
to a ragas ``EvaluationDataset``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from feedback.models import DraftRecord, FeedbackEvent

DEFAULT_DIR = Path("var/eval/datasets")
RAGAS_FIELDS = (
    "user_input",
    "retrieved_contexts",
    "retrieved_context_ids",
    "reference_context_ids",
    "response",
    "reference",
)


def release_of(draft: DraftRecord) -> dict[str, Any]:
    return {
        "kb_version": draft.kb_version,
        "prompt_version": draft.prompt_version,
        "drafter": draft.drafter,
        "model": draft.model,
        "settings_hash": draft.settings_hash,  # None for drafts written before migration 0008
    }


def _base(draft: DraftRecord) -> dict[str, Any]:
    passages = draft.retrieved or []
    return {
        "draft_id": draft.id,
        "user_input": draft.question_masked,
        "retrieved_contexts": [p.get("text") or "" for p in passages],
        "retrieved_context_ids": list(dict.fromkeys(p.get("doc_id") or p.get("chunk_id") for p in passages)),
        "response": draft.draft_text,
        "release": release_of(draft),
        "forced": bool(getattr(draft, "forced", False)),
        "decision": draft.decision,
    }


def build_samples(engine: Engine) -> list[dict[str, Any]]:
    """All samples of the store, sorted by sample_id (a stable order for the content hash)."""
    samples: list[dict[str, Any]] = []
    with Session(engine) as session:
        drafts = {d.id: d for d in session.scalars(select(DraftRecord).where(DraftRecord.arm != "control"))}
        events: dict[str, list[FeedbackEvent]] = {}
        query = select(FeedbackEvent).where(FeedbackEvent.type.in_(("sent", "discarded", "verdict")))
        for ev in session.scalars(query.order_by(FeedbackEvent.occurred_at, FeedbackEvent.event_id)):
            if ev.draft_id in drafts:
                events.setdefault(ev.draft_id, []).append(ev)
        for draft_id, evs in events.items():
            samples.extend(_samples_of(drafts[draft_id], evs))
    return sorted(samples, key=lambda s: s["sample_id"])


def _samples_of(draft: DraftRecord, events: list[FeedbackEvent]) -> Iterable[dict[str, Any]]:
    sent = [e for e in events if e.type == "sent" and e.payload]
    verdicts = [e for e in events if e.type == "verdict" and e.payload]
    verdict = verdicts[-1].payload["value"] if verdicts else None  # type: ignore[index]
    if sent:
        last = sent[-1]
        yield {
            **_base(draft),
            "sample_id": draft.id,
            "kind": "sent",
            "reference": last.payload["final_text"],  # type: ignore[index]
            "outcome": last.outcome,
            "verdict": verdict,
            "reasons": [],
        }
    elif any(e.type == "discarded" for e in events):
        yield {
            **_base(draft),
            "sample_id": draft.id,
            "kind": "discarded",
            "reference": None,
            "outcome": "discarded",
            "verdict": verdict,
            "reasons": [],
        }
    for ev in verdicts:
        payload = ev.payload or {}
        if payload.get("value") == "down" and payload.get("expected_answer"):
            yield {
                **_base(draft),
                "sample_id": f"{draft.id}:down:{ev.event_id}",
                "kind": "thumbs_down",
                "reference": payload["expected_answer"],
                "outcome": None,
                "verdict": "down",
                "reasons": list(payload.get("reasons", [])),
            }


def to_jsonl(samples: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(s, ensure_ascii=False, sort_keys=True) + "\n" for s in samples)


def content_hash(samples: list[dict[str, Any]]) -> str:
    return hashlib.sha256(to_jsonl(samples).encode("utf-8")).hexdigest()


def export(engine: Engine, directory: Path = DEFAULT_DIR, today: date | None = None) -> Path:
    """Write the store's samples as ``feedback-YYYY-MM-DD-<hash8>.jsonl`` in ``directory``."""
    samples = build_samples(engine)
    day = today or datetime.now(UTC).date()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"feedback-{day.isoformat()}-{content_hash(samples)[:8]}.jsonl"
    path.write_text(to_jsonl(samples), encoding="utf-8")
    return path


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def to_ragas(samples: list[dict[str, Any]]) -> Any:
    """A ragas ``EvaluationDataset`` of the samples (ragas' own columns only)."""
    from ragas import EvaluationDataset, SingleTurnSample

    from eval.metrics.ragas_adapter import prime_ragas

    prime_ragas()
    return EvaluationDataset(
        samples=[SingleTurnSample(**{k: s.get(k) for k in RAGAS_FIELDS}) for s in samples]
    )
