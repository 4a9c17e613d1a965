"""ragas ``RougeScore`` (ROUGE-L F1) response ↔ reference, on accent-folded text: rouge_score's
tokenizer drops non-ASCII letters (« congés » → « cong », « s »)."""

from __future__ import annotations

from typing import Any

from eval.metrics.ragas_adapter import RagasMetric
from knowledge_base.analysis import fold


def _folded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: fold(v) for k, v in values.items()}


def rouge_l() -> RagasMetric:
    def make() -> object:
        from ragas.metrics import RougeScore

        return RougeScore(rouge_type="rougeL", mode="fmeasure")

    return RagasMetric("rouge_l_f1_folded", ("response", "reference"), make, _folded)
