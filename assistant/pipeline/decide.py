"""Decide what the agent gets: a draft, an abstention (with the best passages) or a hand-over.

Routing to a human comes first and never depends on retrieval: a harassment or distress message
must not receive an automatic draft however well the knowledge base matches it.
Abstention uses the agreement of the ranked lists on the best document (1 = first in every list):
cosine scores are squeezed into 0.80–0.95 on this model and say little on their own, while an
out-of-scope question scatters the lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from assistant.pipeline.sensitive import detect_sensitive
from assistant.pipeline.types import DecisionKind
from knowledge_base.search import Hit


class DecisionSettings(BaseModel):
    min_confidence: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="Abstain below this retrieval confidence (agreement of the ranked lists on the best "
        "document, 0–1). Calibrated by bench/drafting.py on in-KB and out-of-scope questions.",
    )
    sensitive_extra_terms: list[str] = Field(
        default=[], description="Extra words or phrases that always route a question to a human."
    )


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    reason: str
    confidence: float
    category: str | None = None  # sensitive category when routed


def retrieval_confidence(hits: Sequence[Hit]) -> float:
    return max((h.doc_agreement for h in hits), default=0.0)


def decide(question_masked: str, hits: Sequence[Hit], settings: DecisionSettings) -> Decision:
    confidence = round(retrieval_confidence(hits), 4)
    sensitive = detect_sensitive(question_masked, settings.sensitive_extra_terms)
    if sensitive is not None:
        return Decision("routed_to_human", sensitive.reason, confidence, sensitive.category)
    if confidence < settings.min_confidence:
        return Decision(
            "abstained",
            "La base de connaissances ne semble pas couvrir cette question (confiance "
            f"{confidence:.2f} < {settings.min_confidence:.2f}) : aucun brouillon proposé, les passages les "
            "plus proches sont listés à titre indicatif.",
            confidence,
        )
    return Decision("drafted", "Passages pertinents trouvés dans la base de connaissances.", confidence)
