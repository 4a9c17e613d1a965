"""ragas ``IDBasedContextPrecision``: share of the retrieved ids that are reference ids."""

from __future__ import annotations

from eval.metrics.ragas_adapter import RagasMetric


def id_context_precision() -> RagasMetric:
    def make() -> object:
        from ragas.metrics import IDBasedContextPrecision

        return IDBasedContextPrecision()

    return RagasMetric("id_based_context_precision", ("retrieved_context_ids", "reference_context_ids"), make)
