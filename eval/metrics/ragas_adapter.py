"""Runs a real ragas metric on one dataset row: the row's columns become a ragas
``SingleTurnSample`` and the metric's own ``single_turn_score`` computes the value.

ragas is imported late (≈ 5 s). Its first import reads ``~/.local/share/ragas/uuid.json``
without closing it (a ResourceWarning, an error under pytest's filters): primed once here.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eval.metrics.base import NAN, is_blank, require

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")


def prime_ragas() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        from ragas._analytics import get_userid

        get_userid()  # lru_cached: the leaky read happens once, here


def single_turn_sample(row: Mapping[str, Any], columns: tuple[str, ...]) -> Any:
    from ragas import SingleTurnSample

    return SingleTurnSample(**{c: row[c] for c in columns})


@dataclass
class RagasMetric:
    """``name`` ← ``make()`` (a ragas metric) on ``columns``; ``transform`` may rewrite the sample's
    text first (e.g. fold accents for ROUGE). NaN when a column is empty or ragas says NaN."""

    name: str
    columns: tuple[str, ...]
    make: Callable[[], Any]
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    _metric: Any = None

    def score(self, row: Mapping[str, Any]) -> float:
        require(row, self.columns, self.name)
        if any(is_blank(row[c]) for c in self.columns):
            return NAN
        if self._metric is None:
            prime_ragas()
            self._metric = self.make()
        values = {c: row[c] for c in self.columns}
        if self.transform is not None:
            values = self.transform(values)
        value = float(self._metric.single_turn_score(single_turn_sample(values, self.columns)))
        return NAN if math.isnan(value) else value
