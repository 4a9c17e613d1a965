"""Post-generation checks: citations, unverified facts, the AI mention; and cited-sentence lookup."""

from __future__ import annotations

from assistant.pipeline.checks import check_draft
from assistant.pipeline.citations import cited_sentences
from assistant.pipeline.sentences import split_sentences
from assistant.pipeline.types import Passage

MENTION = "Réponse préparée avec l'aide d'un outil d'IA"


def passage(n: int, text: str, url: str = "https://example.test/p") -> Passage:
    return Passage(
        n=n,
        chunk_id=f"c{n}",
        doc_id=f"mt:d{n}",  # an official source: what is checked here is the text
        title=f"Titre {n}",
        url=url,
        heading_path=(),
        updated="",  # undated: the freshness checks (test_freshness.py) stay out of these tests
        text=text,
    )


P1 = passage(
    1,
    "Le salarié acquiert 2,5 jours ouvrables par mois. La durée maximale est de 18 mois selon "
    "l'article L1242-8. Contact : 01 23 45 67 89.",
)
P2 = passage(2, "L'indemnité de fin de contrat est égale à 10 % de la rémunération brute totale.")


def test_valid_citations_kept_and_invalid_ones_removed_and_flagged() -> None:
    checked = check_draft("Vous acquérez 2,5 jours ouvrables par mois [1]. Voir aussi [7].", [P1, P2], None)
    assert "[1]" in checked.text and "[7]" not in checked.text
    assert checked.cited == [1]
    assert [(f.kind, f.value) for f in checked.flags] == [("invalid_citation", "7")]


def test_facts_absent_from_the_cited_passage_are_flagged_with_offsets() -> None:
    text = (
        "La durée maximale est de 18 mois [1]. L'indemnité est de 12 % [2]. Appelez le 06 11 22 33 44 "
        "ou voyez https://faux.example.org [1]. L'article L1242-8 s'applique [1]."
    )
    checked = check_draft(text, [P1, P2], None)
    flagged = {(f.kind, f.value) for f in checked.flags}
    assert ("amount", "12 %") in flagged
    assert ("phone", "06 11 22 33 44") in flagged
    assert ("url", "https://faux.example.org") in flagged
    assert not any(f.value in ("18 mois", "L1242-8") for f in checked.flags)  # present in passage 1
    for f in checked.flags:
        assert checked.text[f.start : f.end] == f.value


def test_a_fact_must_be_in_the_passage_the_sentence_cites() -> None:
    # 10 % is in passage 2, but this sentence cites passage 1.
    checked = check_draft("L'indemnité de fin de contrat est de 10 % [1].", [P1, P2], None)
    assert [(f.kind, f.value) for f in checked.flags] == [("amount", "10 %")]


def test_no_citation_at_all_is_flagged_and_the_mention_appended() -> None:
    checked = check_draft("Bonjour, je ne sais pas.", [P1], MENTION)
    assert checked.flags[0].kind == "no_citation"
    assert checked.text.endswith(MENTION) and checked.ai_mention


def test_cited_sentence_is_the_passage_sentence_behind_the_claim() -> None:
    draft = "Bonjour,\n\nVous acquérez 2,5 jours ouvrables de congé par mois de travail [1]."
    assert cited_sentences(draft, P1) == ["Le salarié acquiert 2,5 jours ouvrables par mois."]
    assert cited_sentences(draft, P2) == []


def test_sentence_splitting_respects_abbreviations_and_lines() -> None:
    text = "Selon l'art. 12 du décret, M. Dupont a raison. Le délai est de 2 mois.\n… suite d'un chunk\nFin."
    assert split_sentences(text) == [
        "Selon l'art. 12 du décret, M. Dupont a raison.",
        "Le délai est de 2 mois.",
        "Fin.",
    ]


def test_an_uncited_sentence_is_checked_against_what_its_paragraph_cites() -> None:
    # 10 % is in passage 2, which nobody cites: next to a sentence citing [1], it is not vouched for.
    draft = "Vous acquérez 2,5 jours ouvrables par mois [1]. La prime est de 10 % du brut."
    flags = [(f.kind, f.value) for f in check_draft(draft, [P1, P2], None).flags]
    assert ("amount", "10 %") in flags
    # Without any citation in the draft, every passage is still the reference (and no_citation fires).
    flags = [(f.kind, f.value) for f in check_draft("La prime est de 10 % du brut.", [P1, P2], None).flags]
    assert flags == [("no_citation", "")]
