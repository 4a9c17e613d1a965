"""What the checks read since blind injection sets 11 and 12 (written here with other values and
wordings than those sets): any figure a draft writes and no cited passage writes is flagged whatever
its shape (« 0,37 PMSS », « 2,4 ‰ », « 40 min », an identifier with digits), found in a passage only
written whole and with the same unit (« 12 salariés » is not vouched for by « 112 salariés » nor by
« 50 salariés » beside a « 12 » elsewhere); dates, years, list numbers, single digits and « 1er » are
not such figures (a digit with a unit is: « à partir de 3 enfants »). Links that act (« sms: »,
« tel: », « ms-excel:ofe|u| ») lose their scheme; citation lists may hold ranges (« [2-3 ; 17] »);
articles of decrees in Conseil d'État (« R*. 412-3 ») are references."""

from __future__ import annotations

import pytest

from assistant.pipeline.checks import check_draft, normalise_citations
from tests.fixtures.checks import fact_flags, passage

SOURCE = passage(
    1,
    "Le comité est mis en place dans les entreprises d'au moins 50 salariés ; 112 salariés y travaillent. "
    "La pause est de 20 minutes au-delà de 6 heures. Le 9e échelon est atteint au 122 e jour. "
    "Le taux est de 1,5 % et le seuil de 28 °C.",
)


@pytest.mark.parametrize(
    ("draft", "value"),
    [
        ("Le plafond est de 0,37 PMSS [1].", "0,37 PMSS"),
        ("Le taux de cotisation est de 2,4 ‰ [1].", "2,4 ‰"),
        ("La pause dure 40 min [1].", "40 min"),
        ("Voir la référence JORFTEXT000047123456 [1].", "JORFTEXT000047123456"),
        ("Le comité est obligatoire dès 12 salariés [1].", "12 salariés"),
        ("Le travail s'arrête à 31 °C [1].", "31 °C"),
        ("Il faut compter 12 pour les cadres [1].", "12"),
    ],
)
def test_a_figure_of_any_shape_no_cited_passage_writes_is_flagged(draft: str, value: str) -> None:
    assert ("figure", value) in fact_flags(draft, SOURCE)


@pytest.mark.parametrize(
    "draft",
    [
        "Le comité est obligatoire dans les entreprises d'au moins 50 salariés [1].",
        "La pause est de 20 min [1].",  # « 20 minutes » in the source
        "Le 9ème échelon est atteint au 122e jour [1].",  # ordinals written another way
        "Le seuil est de 28 °C [1].",
        "Votre entretien a eu lieu le 14 mai 2024, en 2024 [1].",  # dates and years are told, not set
        "1. Faites la demande [1].\n2. Attendez la réponse.\n3. Relancez.",  # list numbers
        "Il en faut 3, et le 1er arrêt compte [1].",  # a digit alone, « 1er »
        "Le dossier est suivi par [NOM_1] [1].",  # a placeholder
    ],
)
def test_figures_the_passage_writes_and_what_is_no_figure_are_not_flagged(draft: str) -> None:
    assert fact_flags(draft, SOURCE) == []


def test_a_figure_only_an_unofficial_page_writes_names_the_page() -> None:
    page = passage(1, "Le seuil est de 0,37 PMSS.", source="intranet")
    flags = [
        f for f in check_draft("Le seuil est de 0,37 PMSS [1].", [page], None).flags if f.kind == "figure"
    ]
    assert [(f.kind, f.value) for f in flags] == [("figure", "0,37 PMSS")]
    assert "hors des sources officielles" in flags[0].message


@pytest.mark.parametrize(
    ("draft", "scheme", "left"),
    [
        ("Écrivez au sms:+33712345678?body=CONGES [1].", "sms:", "+33712345678?body=CONGES"),
        ("Appelez (tel:+33198765432) [1].", "tel:", "(+33198765432)"),
        ("Ouvrez ms-excel:ofe|u|https://exemple.test/grille.xlsx [1].", "ms-excel:ofe|u|", "https://"),
        ("Rejoignez callto:conseiller.rh [1].", "callto:", "conseiller.rh"),
    ],
)
def test_a_link_that_acts_loses_its_scheme(draft: str, scheme: str, left: str) -> None:
    checked = check_draft(draft, [SOURCE], None)
    assert scheme not in checked.text and left in checked.text
    assert ("markup", scheme) in [(f.kind, f.value) for f in checked.flags]


def test_a_colon_after_a_word_in_prose_is_no_scheme() -> None:
    checked = check_draft("Tel: voir la fiche. SMS : non [1].", [SOURCE], None)
    assert checked.text.startswith("Tel: voir la fiche. SMS : non [1].")
    assert [f for f in checked.flags if f.kind == "markup"] == []


def test_citation_lists_may_hold_ranges() -> None:
    assert normalise_citations("voir [2-3 ; 17] et [1, 4 à 5]") == "voir [2][3][17] et [1][4][5]"
    passages = [passage(n, "Le délai.") for n in (1, 2, 3)]
    checked = check_draft("Sans préavis [2-3 ; 17].", passages, None)
    assert "[17]" not in checked.text and checked.cited
    assert [(f.kind, f.value) for f in checked.flags] == [("invalid_citation", "17")]


def test_an_article_of_a_decree_in_conseil_d_etat_is_a_reference() -> None:
    assert fact_flags("Selon l'article R*. 412-3 du code [1].", SOURCE) == [("article", "article R*. 412-3")]
    cited = passage(1, "L'article R*. 412-3 du code le prévoit.")
    assert fact_flags("Selon l'article R*. 412-3 du code [1].", cited) == []
