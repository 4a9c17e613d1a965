"""French labels of the dashboard (the page receives them with the data: one source of truth)."""

from __future__ import annotations

from assistant.pipeline.topics import taxonomy

LABELS: dict[str, dict[str, str]] = {
    "decisions": {
        "drafted": "Brouillon proposé",
        "abstained": "Pas de brouillon (couverture insuffisante)",
        "routed_to_human": "Orientée vers un humain",
    },
    "arms": {"assisted": "Bras assisté (avec brouillon)", "control": "Bras témoin (sans brouillon)"},
    "outcomes": {
        "accepted_as_is": "Envoyé tel quel",
        "edited": "Envoyé après modifications",
        "rewritten": "Réécrit",
        "discarded": "Écarté",
        "no_draft": "Répondu sans brouillon",
        "unassisted": "Répondu (bras témoin)",
    },
    "reasons": {
        "wrong": "Réponse fausse",
        "outdated": "Information périmée",
        "missing_information": "Information manquante",
        "invented_source_or_fact": "Source ou fait inventé",
        "tone": "Ton inadapté",
        "too_long": "Trop long",
        "other": "Autre",
    },
    "extra": {
        "verification": "Vérification des sources",
        "correction": "Correction du brouillon",
        "false_positives": "Brouillons écartés",
        "feedback": "Retours « pas utile »",
    },
    "flags": {
        "invalid_citation": "Renvoi vers un passage absent",
        "no_citation": "Brouillon sans renvoi",
        "url": "Adresse web absente des sources",
        "phone": "Téléphone absent des sources",
        "amount": "Montant absent des sources",
        "duration": "Durée absente des sources",
        "article": "Article absent des sources",
        "figure": "Chiffre absent des sources",
        "unofficial_sentence": "Phrase fondée sur une page non officielle",
        "stale_term": "Terme périmé",
        "expired_measure": "Mesure expirée",
        "old_figure": "Chiffre ancien",
        "contradiction": "Contradiction entre sources",
    },
    "gap_why": {
        "abstained": "pas de brouillon",
        "discarded": "brouillon écarté",
        "thumbs_down": "« pas utile » : information manquante ou périmée",
    },
    "topics": {t.id: t.label for t in taxonomy().topics},
}


def topic_label(topic: str | None) -> str:
    return taxonomy().label_of(topic)


def label(family: str, key: str) -> str:
    return LABELS.get(family, {}).get(key, key)
