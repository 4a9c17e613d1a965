"""French analysis for BM25."""

from __future__ import annotations

from knowledge_base.analysis import FrenchAnalyzer, fold


def test_fold_strips_accents_and_ligatures() -> None:
    assert fold("Congés PAYÉS, œuvre, Ça") == "conges payes, oeuvre, ca"
    assert fold("conge\u0301s") == "conges"  # decomposed input (combining accent)


def test_accented_and_unaccented_queries_share_terms() -> None:
    a = FrenchAnalyzer()
    assert a.terms("congés payés") == a.terms("conges payes") == a.terms("CONGÉS PAYÉS")


def test_elision_and_stopwords_are_removed() -> None:
    words = FrenchAnalyzer(expand=False).words("L'indemnité d'un salarié qu'il perçoit")
    assert words == ["indemnite", "salarie", "percoit"]


def test_stemming_groups_inflections() -> None:
    a = FrenchAnalyzer(expand=False)
    assert a.terms("licenciements") == a.terms("licenciement")
    assert a.terms("indemnités") == a.terms("indemnité")


def test_abbreviations_and_phrases_expand() -> None:
    a = FrenchAnalyzer()
    assert {"conges", "payes"} <= set(a.words("mes CP"))
    assert {"contrat", "duree", "determinee"} <= set(a.words("fin de CDD"))
    assert {"bulletin", "paie"} <= set(a.words("ma fiche de paie"))
    assert FrenchAnalyzer(expand=False).words("mes CP") == ["cp"]


def test_numbers_survive() -> None:
    assert {"30", "jours", "13e"} <= set(FrenchAnalyzer(expand=False).words("30 jours, 13e mois"))
