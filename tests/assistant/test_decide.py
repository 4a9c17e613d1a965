"""Decision rules: routing first, then the confidence threshold."""

from __future__ import annotations

from assistant.pipeline.confidence import RetrievalSignals
from assistant.pipeline.decide import DecisionSettings, decide
from assistant.pipeline.router import RouterThresholds, RouterVerdict

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


# ---------------------------------------------------------------- the semantic router's verdict

THRESHOLDS = RouterThresholds(sensitive=0.5, sensitive_low=0.3, out_of_scope=0.5)
STORY = "Depuis mon retour on ne me met plus en copie des réunions et mes dossiers sont partis."


def verdict(sensitive: float = 0.0, out_of_scope: float = 0.0) -> RouterVerdict:
    return RouterVerdict(sensitive, "discrimination", out_of_scope, "informatique")


def test_a_story_the_lexicon_misses_is_routed_by_meaning_with_what_to_do() -> None:
    assert decide(STORY, SURE, DecisionSettings()).kind == "drafted"  # no keyword
    d = decide(STORY, SURE, DecisionSettings(), verdict(sensitive=0.8), THRESHOLDS)
    assert (d.kind, d.stage, d.category) == ("routed_to_human", "semantic", "discrimination")
    assert "0.80" in d.reason and "Que faire" in d.reason and "Défenseur des droits" in d.reason


def test_sensitive_ish_and_poorly_covered_is_routed_never_told_the_base_does_not_cover_it() -> None:
    d = decide(STORY, UNSURE, DecisionSettings(), verdict(sensitive=0.35), THRESHOLDS)
    assert (d.kind, d.stage) == ("routed_to_human", "semantic_low_confidence")
    assert "à traiter par un·e agent·e" in d.reason and "ne semble pas couvrir" not in d.reason
    # …but the same probability with good retrieval is an ordinary question: drafted.
    assert decide(STORY, SURE, DecisionSettings(), verdict(sensitive=0.35), THRESHOLDS).kind == "drafted"


def test_out_of_scope_abstains_saying_where_to_go_and_a_deployment_can_reword_it() -> None:
    q = "Le VPN refuse de se connecter"
    d = decide(q, SURE, DecisionSettings(), verdict(out_of_scope=0.9), THRESHOLDS)
    assert (d.kind, d.stage, d.category) == ("abstained", "out_of_scope", "informatique")
    assert d.reason.startswith("Cette question relève du service informatique")
    custom = DecisionSettings(redirections={"informatique": "Appelez le 4242 (DSI du rectorat)."})
    assert decide(q, SURE, custom, verdict(out_of_scope=0.9), THRESHOLDS).reason.startswith("Appelez le 4242")


def test_sensitive_wins_over_out_of_scope_and_the_lexicon_wins_over_both() -> None:
    d = decide(STORY, SURE, DecisionSettings(), verdict(sensitive=0.55, out_of_scope=0.45), THRESHOLDS)
    assert d.kind == "routed_to_human"
    harassed = "Mon chef me harcèle tous les jours, je n'en peux plus."
    d = decide(harassed, SURE, DecisionSettings(), verdict(out_of_scope=0.99), THRESHOLDS)
    assert (d.kind, d.stage) == ("routed_to_human", "lexicon")


def test_no_verdict_means_lexicon_and_confidence_only() -> None:
    assert decide(STORY, UNSURE, DecisionSettings(), None, None).stage == "low_confidence"
