"""How far an LLM judge agrees with the agents: Cohen's kappa, accuracy and the 2×2 table
between a binary judge verdict (score ≥ threshold = "good") and the agent's thumbs up/down, on
the samples where both exist. Kappa is NaN when undefined (no pair, or chance agreement = 1)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def cohen_kappa(judge: Sequence[bool], human: Sequence[bool]) -> float:
    if len(judge) != len(human):
        raise ValueError("judge and human verdict lists differ in length")
    n = len(judge)
    if n == 0:
        return math.nan
    observed = sum(j == h for j, h in zip(judge, human, strict=True)) / n
    p_judge, p_human = sum(judge) / n, sum(human) / n
    expected = p_judge * p_human + (1 - p_judge) * (1 - p_human)
    return math.nan if expected == 1 else (observed - expected) / (1 - expected)


def judge_agreement(
    rows: Iterable[Mapping[str, Any]], judge_scores: Sequence[float], threshold: float = 0.5
) -> dict[str, Any]:
    """``rows`` carry ``verdict`` ("up" | "down" | None); ``judge_scores`` are aligned with them."""
    judge: list[bool] = []
    human: list[bool] = []
    for row, value in zip(rows, judge_scores, strict=True):
        if "verdict" not in row:
            raise ValueError("judge calibration needs column verdict")
        if row["verdict"] in ("up", "down") and not math.isnan(value):
            judge.append(value >= threshold)
            human.append(row["verdict"] == "up")
    pairs = list(zip(judge, human, strict=True))
    table = {
        f"judge_{'up' if j else 'down'}__agent_{'up' if h else 'down'}": pairs.count((j, h))
        for j in (True, False)
        for h in (True, False)
    }
    n = len(pairs)
    return {
        "n": n,
        "kappa": cohen_kappa(judge, human),
        "accuracy": sum(j == h for j, h in pairs) / n if n else math.nan,
        "threshold": threshold,
        "table": table,
    }
