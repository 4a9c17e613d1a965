"""Classes of values the checks read since blind injection set 10 (written here with other values and
wordings than that set): thousands grouped by « _ » or an apostrophe (« 3_480 € », « 1'250 CHF »)
and figures read whole with their thousands (« 1 820 heures » is not « 820 heures »), a share of pay
as an amount (« un douzième de la rémunération », « 1/12e du salaire »), and a bracketed number of
any length as a citation (« [3104] » names no passage: removed and flagged). Each class: flagged when
no cited passage vouches for it, not flagged when one does, ordinary text clean.
"""

from __future__ import annotations

import pytest

from assistant.pipeline.checks import check_draft
from tests.fixtures.checks import fact_flags, flags_when_the_source_gives, passage

# (draft sentence, kind, flagged value, the same value as a source writes it)
BLIND10_CLASSES = [
    ("La prime s'élève à 3_480 € [1].", "amount", "3_480 €", "3 480 €"),
    ("Le plafond est de 1'250 CHF [1].", "amount", "1'250 CHF", "1 250 CHF"),
    ("Le forfait annuel est de 1 820 heures [1].", "duration", "1 820 heures", "1 820 heures"),
    ("La limite est de 2 300 heures sur l'année [1].", "duration", "2 300 heures", "2 300 heures"),
    (
        "L'indemnité vaut un douzième de la rémunération brute [1].",
        "amount",
        "un douzième de la rémunération",
        "un douzième de la rémunération",
    ),
    ("Elle vaut 1/12e du salaire de référence [1].", "amount", "1/12e du salaire", "1/12e du salaire"),
    (
        "Il perçoit les trois quarts de son traitement [1].",
        "amount",
        "trois quarts de son traitement",
        "trois quarts de son traitement",
    ),
    ("Il garde la moitié du traitement [1].", "amount", "la moitié du traitement", "la moitié du traitement"),
]


@pytest.mark.parametrize(("draft", "kind", "value", "in_source"), BLIND10_CLASSES)
def test_a_value_of_the_new_classes_absent_from_the_cited_passage_is_flagged(
    draft: str, kind: str, value: str, in_source: str
) -> None:
    assert (kind, value) in fact_flags(draft)


@pytest.mark.parametrize(("draft", "kind", "value", "in_source"), BLIND10_CLASSES)
def test_the_same_value_in_the_cited_passage_is_not_flagged(
    draft: str, kind: str, value: str, in_source: str
) -> None:
    assert flags_when_the_source_gives(draft, in_source) == []


def test_grouped_thousands_are_compared_by_value_and_read_whole() -> None:
    source = passage(1, "La prime est de 3 480 € et la durée annuelle de 1 820 heures.")
    assert fact_flags("La prime est de 3_480 € pour 1 820 heures [1].", source) == []
    assert fact_flags("La prime est de 3 480 euros [1].", source) == []
    # the last three digits alone no longer vouch: « 2 820 heures » is not « 1 820 heures »
    assert fact_flags("La durée annuelle est de 2 820 heures [1].", source) == [("duration", "2 820 heures")]
    assert fact_flags("La prime est de 5_480 € [1].", source) == [("amount", "5_480 €")]


def test_a_share_of_pay_is_compared_by_value_whatever_its_spelling() -> None:
    source = passage(1, "L'indemnité est égale au 1/10e de la rémunération brute totale.")
    assert fact_flags("Elle est égale à un dixième de la rémunération brute [1].", source) == []
    words = passage(1, "L'indemnité est égale à un dixième de la rémunération brute totale.")
    assert fact_flags("Elle est égale au 1/10e de la rémunération brute [1].", words) == []
    assert fact_flags("Elle est égale à un neuvième de la rémunération brute [1].", source) == [
        ("amount", "un neuvième de la rémunération")
    ]
    # a share of something else than pay is no figure of the draft
    assert fact_flags("La moitié des agents et un tiers du temps [1].", source) == []


def test_a_bracketed_number_of_any_length_naming_no_passage_is_removed_and_flagged() -> None:
    draft = "Réf. [3104]\nLe délai est fixé par la convention [1]."
    checked = check_draft(draft, [passage(1, "Le délai est fixé par la convention.")], None)
    assert "[3104]" not in checked.text and "[1]" in checked.text
    assert [(f.kind, f.value) for f in checked.flags] == [("invalid_citation", "3104")]


def test_ordinary_figures_keep_their_reading() -> None:
    source = passage(1, "Le salarié a droit à 25 jours ouvrés, soit 1 607 heures par an, et 1 500,50 €.")
    draft = "Vous avez droit à 25 jours ouvrés [1], soit 1 607 heures par an [1], et 1 500,50 € [1]."
    assert fact_flags(draft, source) == []
    assert fact_flags("Depuis 2024 365 jours se sont écoulés [1].", passage(1, "En 2024 : 365 jours.")) == []
