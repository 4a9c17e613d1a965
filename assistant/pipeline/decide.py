"""Decide what the agent gets: a draft, an abstention (with the best passages) or a hand-over.

Routing to a human comes first and never depends on retrieval: a harassment or distress message
must not receive an automatic draft however well the knowledge base matches it.
Abstention compares the retrieval confidence (see ``confidence.py``: list agreement, word
coverage, rescaled similarity) with a threshold calibrated by bench/drafting.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from assistant.pipeline.confidence import ConfidenceSettings, RetrievalSignals
from assistant.pipeline.router import RouterThresholds, RouterVerdict
from assistant.pipeline.sensitive import default_lexicon, detect_sensitive
from assistant.pipeline.types import DecisionKind

# Where an out-of-scope question should go instead, per topic of the semantic router; a deployment
# overrides any of them with HRA_DECISION__REDIRECTIONS='{"informatique": "…"}'.
DEFAULT_REDIRECTIONS: dict[str, str] = {
    "informatique": "Cette question relève du service informatique (assistance, helpdesk), pas des "
    "ressources humaines.",
    "locaux": "Cette question relève des services généraux ou de la logistique (locaux, parking, "
    "fournitures, restauration), pas des ressources humaines.",
    "solde_personnel": "Cette question porte sur la situation personnelle de l'agent (solde, compteur, "
    "dossier en cours) : seul son gestionnaire RH ou le logiciel de gestion des temps peut y répondre.",
    "date_paie": "Cette question relève du service de paie (calendrier de versement, bulletin) : "
    "orienter vers le gestionnaire de paie.",
    "calendrier_interne": "Cette question porte sur l'organisation interne de l'établissement (dates, "
    "événements, horaires de services) : orienter vers le service ou l'intranet concerné.",
    "fiscalite": "Cette question relève de l'administration fiscale (impots.gouv.fr, centre des finances "
    "publiques), pas des ressources humaines.",
    "assurance": "Cette question relève de la mutuelle, de l'assurance ou de la banque de la personne, "
    "pas des ressources humaines.",
    "vie_personnelle": "Cette question est d'ordre personnel et sort du champ des ressources humaines.",
    "autre_service": "Cette question relève d'un autre service de l'établissement (déplacements, "
    "courrier, outils de gestion) : orienter vers ce service.",
    "hors_sujet": "Cette question sort du champ des ressources humaines.",
}


class RouterSettings(BaseModel):
    enabled: bool = Field(
        default=True,
        description="Read questions by meaning (assistant/pipeline/router.py) besides the keyword lexicon.",
    )
    sensitive_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Route at or above this P(sensitive); empty = the model's calibrated value.",
    )
    sensitive_low_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Route at or above this P(sensitive) when retrieval confidence is low too; "
        "empty = the model's calibrated value.",
    )
    out_of_scope_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Abstain at or above this P(out of scope); empty = calibrated."
    )


class DecisionSettings(BaseModel):
    min_confidence: float = Field(
        default=0.42,
        ge=0,
        le=1,
        description="Abstain below this retrieval confidence (0–1, see assistant/pipeline/confidence.py). "
        "0.42 since the semantic router recognises out-of-scope questions by meaning: chosen on the "
        "tune split with out-of-fold router verdicts (0.48 before, calibrated by bench/drafting.py).",
    )
    confidence: ConfidenceSettings = Field(default_factory=ConfidenceSettings)
    sensitive_extra_terms: list[str] = Field(
        default=[], description="Extra words or phrases that always route a question to a human."
    )
    router: RouterSettings = Field(default_factory=RouterSettings)
    redirections: dict[str, str] = Field(
        default_factory=dict,
        description="Per out-of-scope topic, the sentence that tells where the question should go "
        "(merged over the defaults: informatique, locaux, solde_personnel, date_paie, "
        "calendrier_interne, fiscalite, assurance, vie_personnelle, autre_service, hors_sujet).",
    )


Stage = Literal["lexicon", "semantic", "semantic_low_confidence", "out_of_scope", "low_confidence", "drafted"]


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    reason: str
    confidence: float
    category: str | None = None  # sensitive category when routed, out-of-scope topic when redirected
    stage: Stage = "drafted"  # which rule decided (for telemetry and the bench; never question text)


_SEMANTIC_ROUTED = (
    "Situation qui semble sensible, reconnue au sens du message plutôt qu'à ses mots (probabilité "
    "{p:.2f}) : {reason}"
)
_LOW_CONFIDENCE_ROUTED = (
    "Message qui semble personnel et sensible (catégorie probable : {category}), mal couvert par la "
    "base de connaissances : à traiter par un·e agent·e, sans brouillon automatique. {action}"
)
_CATEGORY_NAMES = {
    "detresse": "détresse",
    "violence": "violence",
    "harcelement": "harcèlement",
    "discrimination": "discrimination",
    "sante": "santé",
    "licenciement_conteste": "litige sur un licenciement",
    "disciplinaire": "procédure disciplinaire",
    "alerte": "signalement d'une irrégularité",
    "accident_dissimule": "accident non déclaré",
}


def decide(
    question_masked: str,
    signals: RetrievalSignals,
    settings: DecisionSettings,
    verdict: RouterVerdict | None = None,
    thresholds: RouterThresholds | None = None,
) -> Decision:
    """Routing first (lexicon, then meaning), then out of scope, then retrieval confidence.

    ``verdict``/``thresholds`` come from the semantic router (None: lexicon and confidence only)."""
    confidence = signals.confidence(settings.confidence.weights)
    sensitive = detect_sensitive(question_masked, settings.sensitive_extra_terms)
    if sensitive is not None:
        return Decision("routed_to_human", sensitive.reason, confidence, sensitive.category, "lexicon")
    low = confidence < settings.min_confidence
    if verdict is not None and thresholds is not None and verdict.category is not None:
        category = default_lexicon().category(verdict.category)
        message = category.message if category else "À traiter par un agent, sans brouillon automatique."
        if verdict.is_sensitive(thresholds.sensitive):
            reason = _SEMANTIC_ROUTED.format(p=verdict.sensitive, reason=message)
            return Decision("routed_to_human", reason, confidence, verdict.category, "semantic")
        if low and verdict.sensitive >= thresholds.sensitive_low and verdict.sensitive > verdict.out_of_scope:
            reason = _LOW_CONFIDENCE_ROUTED.format(
                category=_CATEGORY_NAMES.get(verdict.category, verdict.category),
                action=category.action if category else "",
            ).strip()
            return Decision(
                "routed_to_human", reason, confidence, verdict.category, "semantic_low_confidence"
            )
    out_of_scope = (
        verdict is not None
        and thresholds is not None
        and verdict.topic is not None
        and verdict.is_out_of_scope(thresholds.out_of_scope)
    )
    if out_of_scope and verdict is not None and verdict.topic is not None:
        redirections = DEFAULT_REDIRECTIONS | settings.redirections
        where = redirections.get(verdict.topic, redirections["hors_sujet"])
        reason = (
            f"{where} Aucun brouillon proposé : répondez en orientant la personne "
            "(les passages les plus proches restent listés à titre indicatif)."
        )
        return Decision("abstained", reason, confidence, verdict.topic, "out_of_scope")
    if low:
        return Decision(
            "abstained",
            "La base de connaissances ne semble pas couvrir cette question (confiance "
            f"{confidence:.2f} < {settings.min_confidence:.2f}) : aucun brouillon proposé, les passages les "
            "plus proches sont listés à titre indicatif.",
            confidence,
            stage="low_confidence",
        )
    return Decision("drafted", "Passages pertinents trouvés dans la base de connaissances.", confidence)
