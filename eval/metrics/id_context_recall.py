"""ragas ``IDBasedContextRecall``: share of the reference ids that were retrieved."""

from __future__ import annotations

from eval.metrics.ragas_adapter import RagasMetric


def id_context_recall() -> RagasMetric:
    def make() -> object:
        from ragas.metrics import IDBasedContextRecall

        return IDBasedContextRecall()

    return RagasMetric("id_based_context_recall", ("retrieved_context_ids", "reference_context_ids"), make)
