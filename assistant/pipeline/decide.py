"""Decide what the agent gets: a draft, an abstention (with the best passages) or a hand-over.

Routing to a human comes first and never depends on retrieval: a harassment or distress message
must not receive an automatic draft however well the knowledge base matches it.
Abstention compares the retrieval confidence (see ``confidence.py``: list agreement, word
coverage, rescaled similarity) with a threshold calibrated by bench/drafting.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from assistant.pipeline.confidence import ConfidenceSettings, RetrievalSignals
from assistant.pipeline.sensitive import detect_sensitive
from assistant.pipeline.types import DecisionKind


class DecisionSettings(BaseModel):
    min_confidence: float = Field(
        default=0.48,
        ge=0,
        le=1,
        description="Abstain below this retrieval confidence (0–1, see assistant/pipeline/confidence.py). "
        "Calibrated by bench/drafting.py on in-KB and out-of-scope questions.",
    )
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings)
    sensitive_extra_terms: list[str] = Field(
        default=[], description="Extra words or phrases that always route a question to a human."
    )


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    reason: str
    confidence: float
    category: str | None = None  # sensitive category when routed


def decide(question_masked: str, signals: RetrievalSignals, settings: DecisionSettings) -> Decision:
    confidence = signals.confidence(settings.confidence.weights)
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
