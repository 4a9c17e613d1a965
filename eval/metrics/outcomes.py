"""What agents did with the drafts, per sample, from the feedback store's derived ``outcome``:
``OutcomeRate(kind)`` is 1.0 when the sample's outcome is ``kind`` else 0.0 (its mean over a
dataset is the rate), NaN when the sample has no outcome (e.g. a thumbs-down sample).
``EditDistance`` is the normalised character Levenshtein distance draft → final text, the same
function the store uses; NaN when there was no draft."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eval.metrics.base import NAN, is_blank, require
from feedback.events import edit_distances

OUTCOME_KINDS = ("accepted_as_is", "edited", "rewritten", "discarded", "no_draft")


@dataclass
class OutcomeRate:
    kind: str
    columns: tuple[str, ...] = ("outcome",)
    name: str = field(init=False)

    def __post_init__(self) -> None:
        if self.kind not in OUTCOME_KINDS:
            raise ValueError(f"unknown outcome {self.kind!r}; one of {OUTCOME_KINDS}")
        self.name = f"rate_{self.kind}"

    def score(self, row: Mapping[str, Any]) -> float:
        require(row, self.columns, self.name)
        if is_blank(row["outcome"]):
            return NAN
        return 1.0 if row["outcome"] == self.kind else 0.0


@dataclass
class EditDistance:
    name: str = "edit_distance_char"
    columns: tuple[str, ...] = ("response", "reference", "outcome")

    def score(self, row: Mapping[str, Any]) -> float:
        require(row, self.columns, self.name)
        if is_blank(row["response"]) or is_blank(row["reference"]) or is_blank(row["outcome"]):
            return NAN
        return edit_distances(row["response"], row["reference"])[0]


def outcome_metrics() -> list[Any]:
    return [*(OutcomeRate(k) for k in OUTCOME_KINDS), EditDistance()]
