"""Classes of values the checks read since blind injection set 8 (written here with other values and
wordings than that set): short service numbers and SMS codes, tax and social-security doctrine
references (BOFiP « BOI-… », BOSS), durations in hours and minutes, ruling numbers of the courts
(CAA « 22NT01234 », Conseil d'État and tribunaux administratifs « n° … », Cour de cassation
« 21-19.876 », ECLI), and a duration counted in a smaller unit than the source's (« 42 jours » is
not vouched for by an unrelated « 6 semaines »). Each class: flagged when no cited passage vouches
for it, not flagged when one does, ordinary text clean.
"""

from __future__ import annotations

import pytest

from assistant.pipeline.checks import check_draft
from tests.fixtures.checks import fact_flags, flags_when_the_source_gives, passage

# (draft sentence, kind, flagged value, the same value as a source writes it)
BLIND8_CLASSES = [
    # short service numbers and SMS codes, after what dials or texts them
    ("Pour un rendez-vous, envoyez AGENT par SMS au 64 515 [1].", "phone", "64 515", "64 515"),
    ("Vous pouvez texter le mot CONGES au 72410 [1].", "phone", "72410", "72410"),
    ("Appelez le 3698 du lundi au vendredi [1].", "phone", "3698", "3698"),
    ("Contactez le 39 71 pour toute question [1].", "phone", "39 71", "39 71"),
    ("Le numéro court 3574 répond aux agents [1].", "phone", "3574", "le 3574"),
    ("Un SMS au 81 226 suffit pour recevoir le formulaire [1].", "phone", "81 226", "81226"),
    # tax and social-security doctrine
    (
        "Le BOI-TVA-DECLA-30-10-20 précise la règle [1].",
        "article",
        "BOI-TVA-DECLA-30-10-20",
        "BOI-TVA-DECLA-30-10-20",
    ),
    (
        "Voir BOI\u2011IR\u2011LIQ\u201110\u201120 [1].",
        "article",
        "BOI\u2011IR\u2011LIQ\u201110\u201120",
        "BOI-IR-LIQ-10-20",
    ),
    ("La doctrine BOSS-FE-410 le prévoit [1].", "article", "BOSS-FE-410", "BOSS-FE-410"),
    (
        "Selon l'instruction BOI 5 F-12-08, la prime est imposable [1].",
        "article",
        "BOI 5 F-12-08",
        "BOI 5 F-12-08",
    ),
    # durations in hours and minutes
    ("La pause est due après 5 h 40 de travail [1].", "duration", "5 h 40", "5 h 40"),
    ("Le temps de trajet retenu est de 1h25 [1].", "duration", "1h25", "1 h 25"),
    ("La journée est de 7 heures 12 au plus [1].", "duration", "7 heures 12", "7h12"),
    ("Le forfait est de 8 heures et 45 minutes [1].", "duration", "8 heures et 45 minutes", "8 h 45"),
    ("La vacation dure six heures vingt [1].", "duration", "six heures vingt", "6 h 20"),
    ("La pause est de 25 minutes [1].", "duration", "25 minutes", "25 minutes"),
    # rulings, by the numbers courts give
    ("La CAA de Nantes l'a jugé (n° 22NT03317) [1].", "article", "22NT03317", "22NT03317"),
    ("Voir l'arrêt 24BX00962 de la cour [1].", "article", "24BX00962", "24BX00962"),
    ("Le Conseil d'État l'a jugé (CE, 9 juin 2023, n° 467152) [1].", "article", "467152", "n° 467152"),
    ("Le TA de Rennes, jugement n° 2205518, l'a annulé [1].", "article", "2205518", "n°2205518"),
    ("La Cour de cassation l'a rappelé (pourvoi n° 20-17.843) [1].", "article", "20-17.843", "20-17.843"),
    ("Voir Cass. soc., 2 février 2022, 20-11.652 [1].", "article", "20-11.652", "n° 20-11.652"),
    (
        "Voir ECLI:FR:CECHR:2022:451233.20220704 [1].",
        "article",
        "ECLI:FR:CECHR:2022:451233.20220704",
        "ECLI:FR:CECHR:2022:451233.20220704",
    ),
    (
        "Le Conseil constitutionnel l'a admis (décision n° 2021-915 QPC) [1].",
        "article",
        "2021-915 QPC",
        "2021-915 QPC",
    ),
]


@pytest.mark.parametrize(
    ("draft", "kind", "value", "in_source"), BLIND8_CLASSES, ids=[d[2] for d in BLIND8_CLASSES]
)
def test_a_value_of_the_new_classes_absent_from_the_cited_passage_is_flagged(
    draft: str, kind: str, value: str, in_source: str
) -> None:
    assert (kind, value) in fact_flags(draft)


@pytest.mark.parametrize(
    ("draft", "kind", "value", "in_source"), BLIND8_CLASSES, ids=[d[2] for d in BLIND8_CLASSES]
)
def test_the_same_value_in_the_cited_passage_is_not_flagged(
    draft: str, kind: str, value: str, in_source: str
) -> None:
    assert flags_when_the_source_gives(draft, in_source) == []


def test_hours_and_minutes_are_one_figure_not_the_hours_alone() -> None:
    source = passage(1, "La durée quotidienne du travail ne peut excéder 10 heures, sauf dérogation.")
    assert fact_flags("La durée maximale est de 10 heures [1].", source) == []
    assert fact_flags("La durée maximale est de 9 h 35 [1].", source) == [("duration", "9 h 35")]
    assert fact_flags("La durée maximale est de 10 h 15 [1].", source) == [("duration", "10 h 15")]
    # compared by value: « 7 h 30 » in the source vouches for « 7 heures 30 », « sept heures trente »
    half = passage(1, "Le repos est de 7 h 30 consécutives.")
    assert fact_flags("Le repos est de 7 heures 30 [1].", half) == []
    assert fact_flags("Le repos est de sept heures trente [1].", half) == []


def test_a_range_of_hours_is_not_read_as_hours_and_minutes() -> None:
    source = passage(1, "Le travail de soirée se situe entre 21 heures et 24 heures.")
    assert fact_flags("Il se situe entre 21 heures et 24 heures [1].", source) == []
    table = passage(1, "Durée hebdomadaire\n36 heures\n6 jours\n37 heures\n12 jours")
    assert fact_flags("Pour 37 heures, 12 jours de RTT sont accordés [1].", table) == []


def test_a_duration_in_days_is_not_vouched_for_by_weeks_said_of_something_else() -> None:
    # the source counts another leave in weeks: 6 weeks are 42 days, but a draft counting days
    # gives the figure its source gives
    source = passage(1, "Le congé de maternité comprend 6 semaines avant la naissance.")
    assert fact_flags("Le congé d'adoption est de 42 jours [1].", source) == [("duration", "42 jours")]
    assert fact_flags("Le congé d'adoption est de quarante-deux jours [1].", source) == [
        ("duration", "quarante-deux jours")
    ]
    years = passage(1, "Le contrat peut durer 2 ans.")
    assert fact_flags("La période est de 24 mois [1].", years) == [("duration", "24 mois")]
    # the other way round a draft rewords the source in a larger unit: still vouched for
    days = passage(1, "Le préavis est de 28 jours.")
    assert fact_flags("Le préavis est de 4 semaines [1].", days) == []
    assert fact_flags("Le préavis est de 28 jours [1].", days) == []


def test_a_ruling_only_a_planted_page_gives_is_flagged_naming_the_page() -> None:
    page = passage(1, "Par un arrêt (CAA Douai, n° 21DA02188), la cour a jugé l'inverse.", source="cabinet")
    checked = check_draft("Selon la CAA de Douai, n° 21DA02188, c'est l'inverse [1].", [page], None)
    flags = [f for f in checked.flags if f.value == "21DA02188"]
    assert len(flags) == 1 and "hors des sources officielles" in flags[0].message


ORDINARY = [
    # the context is what makes a short number a phone: counts, amounts, dates, postcodes are not
    (
        "L'entreprise compte 12 500 salariés et verse 31 200 € de primes.",
        "L'entreprise compte 12 500 salariés et verse 31 200 € de primes [1].",
    ),
    (
        "Le salarié appelé le 15 mars a répondu le 16 mars.",
        "Le salarié appelé le 15 mars a répondu le 16 mars [1].",
    ),
    (
        "La décision de l'employeur est notifiée dans un délai de 2 mois.",
        "La décision de l'employeur est notifiée dans un délai de 2 mois [1].",
    ),
    (
        "Les horaires sont de 9 h à 17 h, avec une pause de 45 minutes.",
        "Les horaires sont de 9 h à 17 h avec une pause de 45 minutes [1].",
    ),
    (
        "Le travail de nuit se situe entre 21 heures et 6 heures.",
        "Le travail de nuit se situe entre 21 heures et 6 heures [1].",
    ),
    (
        "Les congés payés sont de 5 semaines par an.",
        "Les congés payés sont de 5 semaines par an [1].",
    ),
]


@pytest.mark.parametrize(("source", "draft"), ORDINARY)
def test_ordinary_drafts_stay_clean(source: str, draft: str) -> None:
    assert fact_flags(draft, passage(1, source)) == []


def test_numbers_without_a_dialling_or_court_context_are_not_facts_of_the_new_classes() -> None:
    source = passage(1, "Le salarié adresse sa demande à son employeur, qui lui répond par écrit.")
    for draft in (
        "Le dossier 2023 compte 41 250 pages [1].",
        "La décision est prise par l'employeur [1].",
        "Le salarié peut envoyer sa demande au service RH [1].",
    ):
        # not read as one of these classes (a figure no passage gives is flagged as a figure)
        assert [f for f in fact_flags(draft, source) if f[0] != "figure"] == [], draft
