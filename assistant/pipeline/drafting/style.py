"""The drafter's own words (openings, levels, the audience line) and French typography.

Openings depend on how well the sources match: a draft never opens by claiming an answer that
is not in it. The confidence level (élevée / moyenne / faible) and its one-line reason are shown
to the agent on every draft.
"""

from __future__ import annotations

import re
from typing import Literal

Level = Literal["élevée", "moyenne", "faible"]
LEVELS: tuple[Level, ...] = ("faible", "moyenne", "élevée")

OPENINGS: dict[Level, str] = {
    "élevée": "",  # the answer itself comes first
    "moyenne": "Voici les éléments des textes qui se rapportent à votre question.",
    "faible": "Nous n'avons pas trouvé de réponse directe à votre question ; voici les éléments les plus "
    "proches, à vérifier.",
}
LEVEL_REASONS = {
    "faq": "Une fiche question-réponse de la base correspond à la question.",
    "extract_high": "Les passages cités contiennent l'essentiel des termes de la question.",
    "extract_medium": "Les passages cités ne reprennent qu'une partie de la question : à vérifier.",
    "extract_low": "Les passages cités sont seulement proches de la question : à vérifier avant envoi.",
    "nothing": "Aucun passage ne répond directement : brouillon à écrire.",
    "vague": "Question trop courte pour une réponse unique : le brouillon demande une précision.",
    "abstained": "La base de connaissances ne semble pas couvrir cette question.",
    "routed": "Situation sensible : la réponse revient à une personne.",
    "low_retrieval": "La recherche n'a trouvé que des passages assez éloignés de la question.",
    "llm": "Brouillon rédigé par le modèle à partir des passages cités : à relire.",
}
_AUDIENCE_NAMES = {
    "private-sector": "un salarié du secteur privé",
    "civil-service": "un agent de la fonction publique",
}


def assumption_line(audience: str | None) -> str:
    if audience not in _AUDIENCE_NAMES:
        return ""
    return f"(Brouillon rédigé pour {_AUDIENCE_NAMES[audience]} — ligne à supprimer avant envoi.)"


def level_from_confidence(confidence: float) -> Level:
    return "élevée" if confidence >= 0.75 else "moyenne" if confidence >= 0.6 else "faible"


def lower_level(a: Level, b: Level) -> Level:
    return a if LEVELS.index(a) <= LEVELS.index(b) else b


_ORDINAL = re.compile(r"\b(\d+) ?(er|re|e|ème|eme)\b")
_NBSP_BEFORE = re.compile(r" ([:])")
_NNBSP_BEFORE = re.compile(r"(?<=\S) ?([;?!])(?=\s|$)")
_SPACE_BEFORE_POINT = re.compile(r" +([.,)])")


def typography(text: str) -> str:
    """« 3 e » → « 3e », no space before « . , ) », non-breaking spaces before « : ; ? ! » and
    inside « … »."""
    text = _ORDINAL.sub(lambda m: m.group(1) + ("e" if m.group(2) in ("ème", "eme") else m.group(2)), text)
    text = _SPACE_BEFORE_POINT.sub(r"\1", text)
    text = _NBSP_BEFORE.sub("\u00a0\\1", text)
    text = _NNBSP_BEFORE.sub("\u202f\\1", text)
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»")
