"""Decision rules: routing first, then the confidence threshold."""

from __future__ import annotations

from assistant.pipeline.confidence import RetrievalSignals
from assistant.pipeline.decide import DecisionSettings, decide

SURE = RetrievalSignals(agreement=0.9, coverage=1.0, similarity=0.7)
UNSURE = RetrievalSignals(agreement=0.5, coverage=0.2, similarity=0.2)


def test_confident_retrieval_drafts() -> None:
    d = decide("Combien de jours de congés payés par mois ?", SURE, DecisionSettings())
    assert d.kind == "drafted" and d.confidence == SURE.confidence(DecisionSettings().confidence.weights)
    assert SURE.confidence() == 0.8667  # unweighted mean


def test_low_confidence_abstains_with_the_numbers_in_the_reason() -> None:
    d = decide("Comment réserver une salle ?", UNSURE, DecisionSettings(min_confidence=0.55))
    assert d.kind == "abstained" and f"{d.confidence:.2f} < 0.55" in d.reason and d.confidence < 0.3


def test_sensitive_routes_even_when_retrieval_is_sure() -> None:
    d = decide("Mon chef me harcèle tous les jours, je n'en peux plus.", SURE, DecisionSettings())
    assert d.kind == "routed_to_human" and d.category and d.reason


def test_a_missing_signal_is_left_out_not_counted_as_zero() -> None:
    no_dense = RetrievalSignals(agreement=0.6, coverage=0.9, similarity=None)
    assert no_dense.confidence((0.5, 1.0, 3.0)) == round((0.5 * 0.6 + 0.9) / 1.5, 4)


def test_extra_terms_from_settings_route() -> None:
    settings = DecisionSettings(sensitive_extra_terms=["lanceur d'alerte"])
    assert decide("Je suis lanceur d'alerte, que faire ?", SURE, settings).kind == "routed_to_human"
