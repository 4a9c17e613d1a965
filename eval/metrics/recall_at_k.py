"""recall@k on document ids: share of the reference documents found in the first k retrieved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eval.metrics.base import NAN, is_blank, require
from eval.metrics.retrieval import recall_at_k


@dataclass
class RecallAtK:
    k: int = 10
    columns: tuple[str, ...] = ("retrieved_context_ids", "reference_context_ids")
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = f"recall@{self.k}"

    def score(self, row: Mapping[str, Any]) -> float:
        require(row, self.columns, self.name)
        if is_blank(row["reference_context_ids"]) or row["retrieved_context_ids"] is None:
            return NAN
        return recall_at_k(row["retrieved_context_ids"], row["reference_context_ids"], self.k)
