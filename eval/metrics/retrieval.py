"""Retrieval metrics with binary relevance, defined as in the hr-fr BASELINE.md.

recall@k = share of a question's relevant documents found in the top k; nDCG@k with log2
discount and the ideal ranking of min(|relevant|, k) hits; MRR@k = 1/rank of the first relevant
document in the top k, else 0. All return NaN when the question has no relevant document
(undefined rather than zero, so they cannot silently drag an average down).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def recall_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int) -> float:
    if not relevant:
        return math.nan
    rel = set(relevant)
    return len(rel.intersection(ranked[:k])) / len(rel)


def ndcg_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int) -> float:
    if not relevant:
        return math.nan
    rel = set(relevant)
    dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), k)))
    return dcg / ideal


def mrr_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int) -> float:
    if not relevant:
        return math.nan
    rel = set(relevant)
    return next((1.0 / (i + 1) for i, doc in enumerate(ranked[:k]) if doc in rel), 0.0)


def mean(values: Sequence[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan
