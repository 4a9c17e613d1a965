"""ragas ``NonLLMStringSimilarity`` (normalised Levenshtein similarity, rapidfuzz) response ↔ reference."""

from __future__ import annotations

from eval.metrics.ragas_adapter import RagasMetric


def string_similarity() -> RagasMetric:
    def make() -> object:
        from ragas.metrics import NonLLMStringSimilarity

        return NonLLMStringSimilarity()

    return RagasMetric("non_llm_string_similarity", ("response", "reference"), make)
