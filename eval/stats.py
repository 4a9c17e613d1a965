"""Bootstrap intervals (seeded, so a report is reproducible): a mean's 95 % percentile interval,
and the difference of two runs — paired over the samples both scored, else unpaired."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

RESAMPLES = 2000
SEED = 13


def defined(values: Sequence[float | None]) -> np.ndarray:
    return np.array([v for v in values if v is not None and not math.isnan(v)], dtype=float)


def mean_ci(
    values: Sequence[float | None], seed: int = SEED, resamples: int = RESAMPLES
) -> tuple[float, float, float, int]:
    """(mean, ci_low, ci_high, n) over the defined values; NaNs when there are none."""
    x = defined(values)
    if x.size == 0:
        return math.nan, math.nan, math.nan, 0
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, (resamples, x.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(x.mean()), float(low), float(high), int(x.size)


def delta_ci(
    a: Sequence[float | None],
    b: Sequence[float | None],
    paired: bool,
    seed: int = SEED,
    resamples: int = RESAMPLES,
) -> tuple[float, float, float, int]:
    """(mean(b) − mean(a), ci_low, ci_high, n). Paired: ``a`` and ``b`` are aligned per sample and
    only the pairs defined on both sides count; unpaired: each side is resampled on its own."""
    rng = np.random.default_rng(seed)
    if paired:
        if len(a) != len(b):
            raise ValueError("paired bootstrap needs aligned samples")
        pairs = [
            (x, y)
            for x, y in zip(a, b, strict=True)
            if x is not None and y is not None and not math.isnan(x) and not math.isnan(y)
        ]
        if not pairs:
            return math.nan, math.nan, math.nan, 0
        d = np.array([y - x for x, y in pairs])
        boot = d[rng.integers(0, d.size, (resamples, d.size))].mean(axis=1)
        low, high = np.percentile(boot, [2.5, 97.5])
        return float(d.mean()), float(low), float(high), int(d.size)
    xa, xb = defined(a), defined(b)
    if xa.size == 0 or xb.size == 0:
        return math.nan, math.nan, math.nan, 0
    boot = xb[rng.integers(0, xb.size, (resamples, xb.size))].mean(axis=1) - xa[
        rng.integers(0, xa.size, (resamples, xa.size))
    ].mean(axis=1)
    low, high = np.percentile(boot, [2.5, 97.5])
    return float(xb.mean() - xa.mean()), float(low), float(high), int(min(xa.size, xb.size))
