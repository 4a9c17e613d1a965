"""Metrics: values on known rows, NaN when undefined, a ValueError naming a missing column — the
ragas ones run ragas' own code."""

from __future__ import annotations

import math
from typing import Any

import pytest

from eval.metrics.base import Metric
from eval.metrics.calibration import cohen_kappa, judge_agreement
from eval.metrics.id_context_precision import id_context_precision
from eval.metrics.id_context_recall import id_context_recall
from eval.metrics.mrr import MRRAtK
from eval.metrics.ndcg import NDCGAtK
from eval.metrics.outcomes import EditDistance, OutcomeRate
from eval.metrics.recall_at_k import RecallAtK
from eval.metrics.rouge import rouge_l
from eval.metrics.string_similarity import string_similarity

RANKED = {"retrieved_context_ids": ["a", "b", "c", "d"], "reference_context_ids": ["c", "z"]}


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (RecallAtK(2), 0.0),
        (RecallAtK(10), 0.5),
        (MRRAtK(10), 1 / 3),
        (NDCGAtK(10), (1 / math.log2(4)) / (1 + 1 / math.log2(3))),
        (id_context_precision(), 0.25),
        (id_context_recall(), 0.5),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_retrieval_metrics_on_a_known_ranking(metric: Metric, expected: float) -> None:
    assert metric.score(RANKED) == pytest.approx(expected)


@pytest.mark.parametrize("metric", [RecallAtK(10), NDCGAtK(10), MRRAtK(10), id_context_recall()])
def test_retrieval_metrics_are_nan_without_reference(metric: Metric) -> None:
    assert math.isnan(metric.score({**RANKED, "reference_context_ids": []}))


def test_string_metrics_run_ragas_and_fold_accents_for_rouge() -> None:
    row = {
        "response": "Vous avez droit à 2,5 jours de congés.",
        "reference": "Vous avez droit à 2,5 jours de congés.",
    }
    assert string_similarity().score(row) == pytest.approx(1.0)
    assert rouge_l().score(row) == pytest.approx(1.0)
    other = {"response": "Les congés payés", "reference": "Les conges payes"}
    assert rouge_l().score(other) == pytest.approx(1.0)  # folded: « congés » is one token, not « cong s »
    assert 0 < string_similarity().score(other) < 1
    assert math.isnan(string_similarity().score({"response": None, "reference": "x"}))


@pytest.mark.parametrize(
    ("metric", "row", "missing"),
    [
        (RecallAtK(10), {"retrieved_context_ids": []}, "reference_context_ids"),
        (string_similarity(), {"response": "x"}, "reference"),
        (OutcomeRate("edited"), {"response": "x"}, "outcome"),
        (EditDistance(), {"response": "x", "outcome": "edited"}, "reference"),
    ],
)
def test_a_missing_column_is_named(metric: Metric, row: dict[str, Any], missing: str) -> None:
    with pytest.raises(ValueError, match=missing):
        metric.score(row)


def test_outcome_rates_and_edit_distance() -> None:
    rows = [{"outcome": o} for o in ("accepted_as_is", "edited", "edited", None)]
    values = [OutcomeRate("edited").score(r) for r in rows]
    assert values[:3] == [0.0, 1.0, 1.0] and math.isnan(values[3])
    with pytest.raises(ValueError, match="unknown outcome"):
        OutcomeRate("ignored")
    edited = {"response": "abcd", "reference": "abxd", "outcome": "edited"}
    assert EditDistance().score(edited) == pytest.approx(0.25)
    assert math.isnan(EditDistance().score({**edited, "response": None, "outcome": "no_draft"}))


def test_cohen_kappa_on_a_known_table() -> None:
    # judge yes/agent yes 20, yes/no 5, no/yes 10, no/no 15: po = 0.7, pe = 0.5·0.6 + 0.5·0.4 = 0.5
    judge = [True] * 25 + [False] * 25
    human = [True] * 20 + [False] * 5 + [True] * 10 + [False] * 15
    assert cohen_kappa(judge, human) == pytest.approx(0.4)
    assert cohen_kappa(judge, judge) == pytest.approx(1.0)
    assert math.isnan(cohen_kappa([], []))
    assert math.isnan(cohen_kappa([True, True], [True, True]))  # chance agreement 1: undefined


def test_judge_agreement_counts_only_samples_with_both_verdicts() -> None:
    rows = [{"verdict": "up"}, {"verdict": "down"}, {"verdict": None}, {"verdict": "down"}]
    out = judge_agreement(rows, [0.9, 0.2, 0.9, math.nan], threshold=0.5)
    assert out["n"] == 2 and out["accuracy"] == 1.0 and out["kappa"] == pytest.approx(1.0)
    assert out["table"] == {
        "judge_up__agent_up": 1,
        "judge_up__agent_down": 0,
        "judge_down__agent_up": 0,
        "judge_down__agent_down": 1,
    }
    with pytest.raises(ValueError, match="verdict"):
        judge_agreement([{}], [1.0])
