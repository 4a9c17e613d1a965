"""Score a dataset (a list of sample dicts) with metrics → a ``Run``; pick the metrics a dataset
can feed (every column present in its samples)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eval.metrics.base import Metric
from eval.metrics.calibration import judge_agreement
from eval.metrics.id_context_precision import id_context_precision
from eval.metrics.id_context_recall import id_context_recall
from eval.metrics.mrr import MRRAtK
from eval.metrics.ndcg import NDCGAtK
from eval.metrics.outcomes import outcome_metrics
from eval.metrics.recall_at_k import RecallAtK
from eval.metrics.rouge import rouge_l
from eval.metrics.string_similarity import string_similarity
from eval.runs import Run

Progress = Callable[[str, int, int], None]


def offline_metrics() -> list[Metric]:
    return [
        RecallAtK(5),
        RecallAtK(10),
        NDCGAtK(10),
        MRRAtK(10),
        id_context_precision(),
        id_context_recall(),
        string_similarity(),
        rouge_l(),
        *outcome_metrics(),
    ]


def applicable(metrics: Sequence[Metric], samples: Sequence[Mapping[str, Any]]) -> list[Metric]:
    """The metrics whose columns every sample has (a dataset without ``outcome`` gets no rates)."""
    return [m for m in metrics if samples and all(all(c in s for c in m.columns) for s in samples)]


def dataset_hash(samples: Sequence[Mapping[str, Any]]) -> str:
    blob = "".join(json.dumps(s, sort_keys=True, ensure_ascii=False, default=str) + "\n" for s in samples)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def sample_ids(samples: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(s.get("sample_id") or s.get("id") or s.get("draft_id") or i) for i, s in enumerate(samples)]


def score_samples(
    samples: Sequence[Mapping[str, Any]], metrics: Sequence[Metric], progress: Progress | None = None
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for metric in metrics:
        values = []
        for i, row in enumerate(samples):
            values.append(metric.score(row))
            if progress:
                progress(metric.name, i + 1, len(samples))
        out[metric.name] = values
    return out


def calibration_scores(
    samples: Sequence[Mapping[str, Any]], per_sample: Mapping[str, list[float]], threshold: float = 0.5
) -> tuple[dict[str, list[float]], dict[str, tuple[float, float, float, int]]]:
    """Judge ↔ agents: per LLM-judged metric present, a per-sample agreement (1/0, NaN without a
    pair; its mean is the accuracy) and Cohen's kappa (a summary without interval)."""
    if not samples or any("verdict" not in s for s in samples):
        return {}, {}
    per, summaries = {}, {}
    for name in ("faithfulness", "answer_relevancy"):
        if name not in per_sample:
            continue
        agreement = judge_agreement(samples, per_sample[name], threshold)
        per[f"judge_agreement_{name}"] = [
            math.nan
            if s["verdict"] not in ("up", "down") or math.isnan(v)
            else float((v >= threshold) == (s["verdict"] == "up"))
            for s, v in zip(samples, per_sample[name], strict=True)
        ]
        summaries[f"judge_kappa_{name}"] = (agreement["kappa"], math.nan, math.nan, agreement["n"])
    return per, summaries


def run_of(
    name: str,
    samples: Sequence[Mapping[str, Any]],
    metrics: Sequence[Metric],
    release: dict[str, Any],
    progress: Progress | None = None,
) -> Run:
    per_sample = score_samples(samples, metrics, progress)
    extra, kappas = calibration_scores(samples, per_sample)
    run = Run(name, dataset_hash(samples), release, sample_ids(samples), {**per_sample, **extra})
    run.summaries.update(kappas)
    return run
