"""Two stored runs, metric by metric: B − A with a seeded bootstrap 95 % interval — paired over
samples when both runs scored the same samples, else unpaired — and a regression flag when B is
worse than A by more than ``threshold`` *and* the interval lies entirely on the worse side."""

from __future__ import annotations

import math
from typing import Any

from eval.stats import SEED, delta_ci

# Metrics where a smaller value is better (everything else: larger is better).
LOWER_IS_BETTER = {"edit_distance_char", "rate_rewritten", "rate_discarded", "rate_no_draft", "rate_edited"}


def _nan(v: float | None) -> float:
    return math.nan if v is None else v


def compare_runs(
    a: dict[str, Any], b: dict[str, Any], threshold: float = 0.02, seed: int = SEED
) -> list[dict[str, Any]]:
    """``a`` and ``b`` as returned by ``RunStore.get``."""
    rows = []
    for metric in sorted(set(a["samples"]) & set(b["samples"])):
        sa, sb = a["samples"][metric], b["samples"][metric]
        paired = set(sa) == set(sb)
        keys = sorted(sa) if paired else []
        if paired:
            delta, low, high, n = delta_ci(
                [_nan(sa[k]) for k in keys], [_nan(sb[k]) for k in keys], True, seed
            )
        else:
            delta, low, high, n = delta_ci(
                [_nan(v) for v in sa.values()], [_nan(v) for v in sb.values()], False, seed
            )
        sign = -1.0 if metric in LOWER_IS_BETTER else 1.0  # improvement > 0 after the sign
        regression = (
            not math.isnan(delta)
            and sign * delta < -threshold
            and (sign * high < 0 if sign > 0 else sign * low < 0)
        )
        rows.append(
            {
                "metric": metric,
                "a": a["scores"].get(metric, {}).get("value"),
                "b": b["scores"].get(metric, {}).get("value"),
                "delta": delta,
                "ci_low": low,
                "ci_high": high,
                "n": n,
                "paired": paired,
                "regression": regression,
            }
        )
    return rows
