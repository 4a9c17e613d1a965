"""Sensitive-case routing: each category caught on varied personal phrasings, information requests on
the same topics left to the drafter, configurable extra terms, and the datasets' measured rates."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.pipeline.pii import mask_pii
from assistant.pipeline.sensitive import (
    EXTRA_CATEGORY,
    default_lexicon,
    detect_sensitive,
    normalise,
    term_regex,
)

DATASETS = Path(__file__).resolve().parents[2] / "eval" / "datasets"
CATEGORIES = {
    "alerte",
    "accident_dissimule",
    "harcelement",
    "discrimination",
    "violence",
    "sante",
    "disciplinaire",
    "licenciement_conteste",
    "detresse",
}

# Phrasings written for these tests, not taken from eval/datasets/sensitive.jsonl.
PERSONAL_CASES = [
    ("harcelement", "je suis harcelée par mon chef depuis des mois"),
    ("harcelement", "Mon N+1 me harcèle de messages le soir"),
    ("harcelement", "Je subis des moqueries et des brimades de la part de mes collègues"),
    ("harcelement", "ma responsable me rabaisse devant toute l'équipe"),
    ("harcelement", "On m'a mise au placard depuis mon retour de congé"),
    ("harcelement", "HARCELEMENT MORAL DE MON MANAGER QUE FAIRE"),
    ("discrimination", "Je pense être victime de discrimination à l'embauche"),
    ("discrimination", "je suis moins payée que mes collègues hommes à poste égal"),
    ("discrimination", "mon chef fait des blagues racistes sur moi"),
    ("discrimination", "On m'a refusé le poste à cause de mon âge"),
    ("discrimination", "On m'a fait comprendre que je ne serais pas titularisée parce que je porte le voile"),
    ("violence", "Un usager m'a agressée au guichet ce matin"),
    ("violence", "mon collègue a levé la main sur moi dans le vestiaire"),
    ("violence", "J'ai reçu des menaces de mort d'un ancien collègue"),
    ("violence", "Un client m'a craché dessus et m'a insultée"),
    ("violence", "Je me suis fait tabasser par un usager à l'accueil"),
    ("sante", "On vient de me diagnostiquer un cancer et je commence une chimio"),
    ("sante", "je suis en burn-out depuis deux mois"),
    ("sante", "Je souffre d'une dépression sévère, dois-je le dire à mon employeur ?"),
    ("sante", "Je viens de faire une fausse couche et je ne me sens pas capable de revenir"),
    ("sante", "Je suis séropositif, mon employeur doit-il le savoir ?"),
    ("disciplinaire", "Je viens de recevoir une convocation à un entretien préalable à sanction"),
    ("disciplinaire", "Mon employeur m'a notifié une mise à pied conservatoire hier"),
    ("disciplinaire", "J'ai reçu un avertissement que je trouve injuste"),
    ("disciplinaire", "Je passe devant le conseil de discipline le mois prochain"),
    ("disciplinaire", "Le maire veut me sanctionner pour un message sur Facebook"),
    ("licenciement_conteste", "je veux aller aux prud'hommes contre mon ancien patron"),
    ("licenciement_conteste", "comment contester mon licenciement pour faute grave ?"),
    (
        "licenciement_conteste",
        "Mon licenciement économique me semble injustifié, ils recrutent sur mon poste",
    ),
    ("licenciement_conteste", "Viré pour faute lourde alors que je n'ai rien fait"),
    ("licenciement_conteste", "J'ai été radiée des cadres pour abandon de poste, je veux faire un recours"),
    ("detresse", "Je n'en peux plus, je pleure tous les soirs"),
    ("detresse", "j'ai des idees noires en ce moment"),
    ("detresse", "Parfois je pense à en finir"),
    ("detresse", "je pense au suicide"),
    ("detresse", "c'est trop dur je tiens plus"),
    ("detresse", "Je suis à bout de nerfs, je pense souvent à la mort"),
]


@pytest.mark.parametrize(("category", "text"), PERSONAL_CASES)
def test_personal_cases_are_routed_with_their_category(category: str, text: str) -> None:
    match = detect_sensitive(text)
    assert match is not None
    assert match.category == category
    assert match.reason and match.reason[0].isupper()


INFORMATIONAL = [
    "harcèlement moral définition",
    "délai de prescription harcèlement",
    "procédure disciplinaire étapes",
    "mise à pied conservatoire durée",
    "licenciement pour faute grave",
    "arrêt maladie et congés payés",
    "rupture conventionnelle",
    "discrimination à l'embauche critères",
    "burn out reconnaissance maladie professionnelle",
    "contester un licenciement délai",
    "sanction disciplinaire fonction publique",
    "Je voudrais connaître les étapes d'une procédure disciplinaire dans la fonction publique territoriale",
    "Pouvez-vous m'expliquer ce qu'est une mise à pied conservatoire ?",
    "Bonjour, je souhaiterais savoir quel est le délai de prescription en matière de harcèlement. Merci.",
    "Puis-je être licencié pendant un arrêt maladie ?",
    "Je suis en arrêt maladie depuis 3 semaines, est-ce que j'acquiers des congés payés ?",
    "Mon traitement indiciaire est-il maintenu pendant mon congé de maladie ordinaire ?",
    "Je suis enceinte, à partir de quand commence mon congé maternité ?",
    "Je suis tombé malade pendant mes congés payés, puis-je les reporter ?",
    "Mon poste est menacé par la réorganisation, ai-je droit à une formation ?",
    "J'ai fait une faute de frappe sur ma demande de congé",
    "J'ai reçu des coups de fil de mon manager pendant mes congés, est-ce normal ?",
    "clause frappée de nullité dans mon contrat",
    "J'ai été licencié pour motif économique, à combien s'élève mon indemnité ?",
    "Combien de jours de congé pour le décès de mon père ?",
]


@pytest.mark.parametrize("text", INFORMATIONAL)
def test_information_requests_are_not_routed(text: str) -> None:
    assert detect_sensitive(text) is None


def test_matching_ignores_case_and_accents() -> None:
    for text in ["Je suis HARCELEE", "je suis harcelée", "je suis harcele\u0301e"]:  # last: combining accent
        match = detect_sensitive(text)
        assert match is not None and match.category == "harcelement"


def test_a_masked_or_civil_name_counts_as_a_particular_person() -> None:
    assert detect_sensitive("harcèlement moral") is None
    masked = mask_pii("Mme Dupont subit du harcèlement moral de la part de son chef").text
    assert masked == "Mme [NOM_1] subit du harcèlement moral de la part de son chef"
    for text in [masked, "Mme Dupont subit du harcèlement moral"]:
        match = detect_sensitive(text)
        assert match is not None and match.category == "harcelement"


def test_most_urgent_category_wins() -> None:
    match = detect_sensitive("mon chef me harcèle et j'ai des idées noires")
    assert match is not None and match.category == "detresse"


def test_extra_terms_route_under_their_own_category() -> None:
    assert detect_sensitive("Le projet Phénix me concerne-t-il ?") is None
    match = detect_sensitive("Le projet Phénix me concerne-t-il ?", ["projet phenix"])
    assert match is not None
    assert (match.category, match.term) == (EXTRA_CATEGORY, "projet phenix")
    assert "agent" in match.reason
    assert detect_sensitive("plan de départs volontaires", ["plan* de depart*", " "]) is not None
    assert detect_sensitive("congés payés", ["plan* de depart*"]) is None


def test_built_in_categories_come_before_extra_terms() -> None:
    match = detect_sensitive("je suis harcelé, projet Phénix", ["projet phenix"])
    assert match is not None and match.category == "harcelement"


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("harcel*", "harcèlement", True),
        ("harcel*", "le harceleur", True),
        ("harcele", "harcèlement", False),  # whole words only
        ("burn out", "burn-out", True),
        ("burn out", "burnout", True),
        ("prud'hom*", "prudhommes", True),
        ("prud'hom*", "jurisprudence homologuée", False),
        ("contest* ... licenci*", "contester la décision de licenciement", True),
        ("contest* ... licenci*", "contester a b c d e f g licenciement", False),  # more than 6 words apart
        ("m'a|m'ont frappe*", "ils m'ont frappée", True),
    ],
)
def test_term_syntax(term: str, text: str, found: bool) -> None:
    assert (re.search(term_regex(term), normalise(text)) is not None) is found


def test_lexicon_has_every_category_with_a_reason() -> None:
    lexicon = default_lexicon()
    assert {c.name for c in lexicon.categories} == CATEGORIES
    assert all(c.reason.endswith(".") and c.strong.terms for c in lexicon.categories)
    # Every routed message says what to do instead of sending a draft.
    assert all(c.action.startswith("Que faire : ") and c.action.endswith(".") for c in lexicon.categories)


# --- the datasets and the rates the lexicon is held to ---------------------------------------------


def _load(name: str) -> list[dict[str, str]]:
    with (DATASETS / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_sensitive_dataset_shape_and_recall() -> None:
    rows = _load("sensitive.jsonl")
    assert len(rows) >= 45
    assert len({r["id"] for r in rows}) == len(rows)
    counts = Counter(r["category"] for r in rows)
    # The first set predates the two categories added with the semantic router (sensitive_v2.jsonl).
    assert set(counts) == CATEGORIES - {"alerte", "accident_dissimule"} and min(counts.values()) >= 5
    caught = sum(detect_sensitive(mask_pii(r["question"]).text) is not None for r in rows)
    assert caught / len(rows) >= 0.95


def test_out_of_scope_questions_are_not_routed() -> None:
    rows = _load("out_of_scope.jsonl")
    assert len(rows) >= 45
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(r["question"] and r["topic"] for r in rows)
    assert [r["id"] for r in rows if detect_sensitive(mask_pii(r["question"]).text)] == []


def test_ordinary_dev_questions_are_rarely_routed() -> None:
    rows = _load("questions-dev.jsonl")
    routed = sum(detect_sensitive(mask_pii(r["question"]).text) is not None for r in rows)
    assert routed / len(rows) <= 0.05
