"""Classes of values the checks read since blind injection set 9 (written here with other values and
wordings than that set): any legal or administrative text named by its kind then its number in any
shape or its date (« décret n° … », « JORF n° … », « accord national interprofessionnel du … »,
« instruction n° DGT/RT1/2024/18 »), a number with its issuing service (« n° 5123/SG »), code
articles without a hyphen with a Latin ordinal (« L. 12 septies »), cases of the EU courts
(« C-311/23 »), francs CFP and CFA, durations with an ordinal adjective (« les 6 premiers mois »),
a recurring period (« tous les 14 jours ») that no longer vouches for a delay (« deux semaines
avant »), and a reference built around a masking placeholder. Each class: flagged when no cited
passage vouches for it, not flagged when one does, ordinary text clean.
"""

from __future__ import annotations

import pytest

from assistant.pipeline.checks import check_draft
from tests.fixtures.checks import fact_flags, flags_when_the_source_gives, passage

# (draft sentence, kind, flagged value, the same value as a source writes it)
BLIND9_CLASSES = [
    # a text named by its kind, then its number in any shape
    ("Le décret n° 2024-1189 l'a prévu [1].", "article", "décret n° 2024-1189", "décret n° 2024-1189"),
    ("Voir l'ordonnance nº 2023-311 [1].", "article", "ordonnance nº 2023-311", "ordonnance n° 2023-311"),
    ("Le texte a paru au JORF n° 0248 [1].", "article", "JORF n° 0248", "JORF n° 0248"),
    ("Publié au BO Santé n° 2024/11 [1].", "article", "BO Santé n° 2024/11", "BO Santé n° 2024/11"),
    (
        "Selon l'instruction n° DGT/RT1/2024/18, la règle change [1].",
        "article",
        "instruction n° DGT/RT1/2024/18",
        "DGT/RT1/2024/18",
    ),
    ("L'accord n° 2019-07 s'applique [1].", "article", "accord n° 2019-07", "accord n° 2019-07"),
    ("La délibération n° 24-118 le fixe [1].", "article", "délibération n° 24-118", "délibération n° 24-118"),
    # … or its date
    (
        "L'ANI du 3 juillet 2024 l'a modifié [1].",
        "article",
        "ANI du 3 juillet 2024",
        "ANI du 3 juillet 2024",
    ),
    (
        "Selon l'accord national interprofessionnel du 9 octobre 2023, c'est possible [1].",
        "article",
        "accord national interprofessionnel du 9 octobre 2023",
        "accord national interprofessionnel du 9 octobre 2023",
    ),
    (
        "La convention collective nationale du 2 mai 2022 le prévoit [1].",
        "article",
        "convention collective nationale du 2 mai 2022",
        "convention collective nationale du 2 mai 2022",
    ),
    ("Le JO du 8 février 2024 l'a publié [1].", "article", "JO du 8 février 2024", "JO du 8 février 2024"),
    (
        "Le règlement du 21 juin 2023 s'applique [1].",
        "article",
        "règlement du 21 juin 2023",
        "règlement du 21 juin 2023",
    ),
    # a number with its service, a service's own numbering
    ("Voir la note n° 5123/SG [1].", "article", "n° 5123/SG", "n° 5123/SG"),
    ("La référence DGCL/FP3/2024/77 le précise [1].", "article", "DGCL/FP3/2024/77", "DGCL/FP3/2024/77"),
    # code articles numbered without a hyphen, with any Latin ordinal
    ("L'article L. 12 septies le permet [1].", "article", "article L. 12 septies", "L. 12 septies"),
    ("Voir R. 41 quaterdecies [1].", "article", "R. 41 quaterdecies", "R. 41 quaterdecies"),
    ("L'article 81 undecies l'exonère [1].", "article", "article 81 undecies", "article 81 undecies"),
    ("L'article R. 58 le prévoit [1].", "article", "article R. 58", "R. 58"),
    # cases of the EU courts
    ("Voir l'affaire C-311/23 [1].", "article", "C-311/23", "C-311/23"),
    ("Le Tribunal l'a jugé (T\u201188/22) [1].", "article", "T\u201188/22", "T-88/22"),
    # francs CFP and CFA
    ("La prime est de 215 000 F CFP [1].", "amount", "215 000 F CFP", "215 000 F CFP"),
    ("L'indemnité atteint 98 000 FCFA [1].", "amount", "98 000 FCFA", "98 000 FCFA"),
    ("Elle est de 37 500 CFP [1].", "amount", "37 500 CFP", "37 500 XPF"),
    # durations with an ordinal adjective between the number and the unit
    (
        "La majoration vaut pour les 6 premières heures [1].",
        "duration",
        "6 premières heures",
        "6 premières heures",
    ),
    ("Sont retenus les 18 derniers mois [1].", "duration", "18 derniers mois", "18 derniers mois"),
    (
        "Pendant les cinq premiers jours, rien n'est dû [1].",
        "duration",
        "cinq premiers jours",
        "5 premiers jours",
    ),
]


@pytest.mark.parametrize(
    ("draft", "kind", "value", "in_source"), BLIND9_CLASSES, ids=[d[2] for d in BLIND9_CLASSES]
)
def test_a_value_of_the_new_classes_absent_from_the_cited_passage_is_flagged(
    draft: str, kind: str, value: str, in_source: str
) -> None:
    assert (kind, value) in fact_flags(draft)


@pytest.mark.parametrize(
    ("draft", "kind", "value", "in_source"), BLIND9_CLASSES, ids=[d[2] for d in BLIND9_CLASSES]
)
def test_the_same_value_in_the_cited_passage_is_not_flagged(
    draft: str, kind: str, value: str, in_source: str
) -> None:
    assert flags_when_the_source_gives(draft, in_source) == []


def test_a_reference_is_vouched_for_by_its_kind_and_number_or_date_without_qualifiers() -> None:
    source = passage(1, "L'arrêté du 12 mars 2024 et le décret 2024-226 fixent ce montant.")
    assert fact_flags("L'arrêté ministériel du 12 mars 2024 le fixe [1].", source) == []
    assert fact_flags("Le décret n° 2024-226 le fixe [1].", source) == []
    # another date, another number: flagged
    assert fact_flags("L'arrêté ministériel du 13 mars 2024 le fixe [1].", source) == [
        ("article", "arrêté ministériel du 13 mars 2024")
    ]
    assert fact_flags("Le décret n° 2024-262 le fixe [1].", source) == [("article", "décret n° 2024-262")]
    # a short number names no text on its own: the kind must be there too
    journal = passage(1, "Le barème figure à l'annexe 0248 du guide.")
    assert fact_flags("Le texte a paru au JORF n° 0248 [1].", journal) == [("article", "JORF n° 0248")]


def test_a_reference_built_around_a_masking_placeholder_is_flagged() -> None:
    # the drafter copied a date the masking replaced in the message into a reference: it comes from
    # the message, no source gives it
    flags = fact_flags("Le décret n° [DATE_NAISSANCE_1]-208 du 2 mai [DATE_NAISSANCE_1] le prévoit [1].")
    assert ("article", "décret n° [DATE_NAISSANCE_1]-208") in flags


def test_a_recurring_period_does_not_vouch_for_a_delay() -> None:
    source = passage(1, "Les indemnités journalières sont versées tous les 14 jours.")
    assert fact_flags("Prévenez l'employeur deux semaines avant le départ [1].", source) == [
        ("duration", "deux semaines")
    ]
    assert fact_flags("Prévenez l'employeur quatorze jours avant [1].", source) == [
        ("duration", "quatorze jours")
    ]
    # the period itself, however written, is still vouched for
    assert fact_flags("Elles sont versées toutes les deux semaines [1].", source) == []
    assert fact_flags("Elles sont versées tous les quatorze jours [1].", source) == []
    # and a delay the source gives as written stays vouched for
    assert fact_flags("Elles sont versées tous les 14 jours [1].", source) == []
    delay = passage(1, "Le salarié prévient l'employeur au moins 14 jours avant.")
    assert fact_flags("Prévenez l'employeur deux semaines avant [1].", delay) == []


def test_a_rank_duration_is_compared_by_value() -> None:
    source = passage(1, "La majoration est de 25 % pour les 8 premières heures supplémentaires.")
    assert fact_flags("Elle vaut pour les huit premières heures [1].", source) == []
    assert fact_flags("Elle vaut pour les 7 premières heures [1].", source) == [
        ("duration", "7 premières heures")
    ]


def test_francs_cfp_are_one_currency_however_written() -> None:
    source = passage(1, "L'indemnité est de 310 000 francs CFP.")
    assert fact_flags("Elle est de 310 000 XPF [1].", source) == []
    assert fact_flags("Elle est de 310 000 F CFP [1].", source) == []
    assert fact_flags("Elle est de 310 000 € [1].", source) == [("amount", "310 000 €")]


def test_a_reference_only_a_planted_page_gives_is_flagged_naming_the_page() -> None:
    page = passage(1, "Selon la circulaire n° 7311/SG du 2 juin 2025, la durée change.", source="blog")
    checked = check_draft("La circulaire n° 7311/SG du 2 juin 2025 le dit [1].", [page], None)
    flags = [f for f in checked.flags if f.kind == "article"]
    assert [f.value for f in flags] == ["circulaire n° 7311/SG"]
    assert "hors des sources officielles" in flags[0].message


ORDINARY = [
    # a reference the cited passage gives, with its date or number, stays clean
    (
        "Le décret n° 2014-1526 du 16 décembre 2014 fixe la procédure.",
        "Le décret n° 2014-1526 du 16 décembre 2014 fixe la procédure [1].",
    ),
    (
        "Les arrêtés du 5 novembre 2018 fixent les montants.",
        "Les arrêtés du 5 novembre 2018 fixent les montants [1].",
    ),
    # ordinary words next to dates and numbers are not references
    (
        "Le salarié en arrêt maladie du 3 mars 2025 est indemnisé.",
        "En arrêt maladie du 3 mars 2025, le salarié est indemnisé [1].",
    ),
    (
        "L'accord du salarié est requis ; la décision du 4 avril 2024 est notifiée.",
        "L'accord du salarié est requis et la décision du 4 avril 2024 est notifiée [1].",
    ),
    (
        "Le contrat CDD/CDI et le bulletin de paie 2024/2025 sont remis.",
        "Le contrat CDD/CDI et le bulletin de paie 2024/2025 sont remis [1].",
    ),
    (
        "Les heures supplémentaires sont majorées de 25 % pour les 8 premières heures.",
        "Elles sont majorées de 25 % pour les 8 premières heures [1].",
    ),
    (
        "Le salaire de référence est celui des 12 derniers mois.",
        "Le salaire de référence est celui des douze derniers mois [1].",
    ),
]


@pytest.mark.parametrize(("source", "draft"), ORDINARY)
def test_ordinary_drafts_stay_clean(source: str, draft: str) -> None:
    assert fact_flags(draft, passage(1, source)) == []


def test_words_without_a_kind_of_text_or_a_service_are_not_references() -> None:
    source = passage(1, "Le salarié adresse sa demande à son employeur, qui lui répond par écrit.")
    for draft in (
        "La demande n° 12 est traitée par le service RH [1].",
        "Le poste C-12 est au deuxième étage [1].",
        "Les premières heures de la journée sont calmes [1].",
        "Le dossier 2024/11 est complet [1].",
    ):
        # not read as one of these classes (a figure no passage gives is flagged as a figure)
        assert [f for f in fact_flags(draft, source) if f[0] != "figure"] == [], draft
