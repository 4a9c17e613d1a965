"""Freshness flags on real sentences of the shipped KB: superseded terms (with the replacement),
expired time-boxed measures, figures from old sources, cited passages that disagree — and the
checks firing end to end (offline drafter on the sick-leave question, fake LLM for the older checks)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.pipeline.checks import check_draft
from assistant.pipeline.drafting.llm import LlmDrafter, LlmSettings
from assistant.pipeline.freshness import (
    FreshnessLexicon,
    fold_keep_length,
    freshness_flags,
    newer_first_pairs,
    parse_end,
)
from assistant.pipeline.types import Passage
from assistant.services.drafting import renumber
from assistant.settings import Settings
from knowledge_base.settings import EmbeddingSettings, KnowledgeBaseSettings
from tests.fixtures.app import bearer, settings_for
from tests.fixtures.corpus import write_jsonl

TODAY = date(2026, 11, 28)
SHIPPED = Path(__file__).resolve().parents[2] / "knowledge_base" / "sources" / "kb.jsonl"


def passage(n: int, text: str, updated: str = "", doc_id: str = "mt:d") -> Passage:
    return Passage(
        n=n, chunk_id=f"c{n}", doc_id=doc_id, title="", url="", heading_path=(), updated=updated, text=text
    )


def flags_of(draft: str, *passages: Passage, today: date = TODAY) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in freshness_flags(draft, passages, today=today)]


def test_the_lexicon_loads_with_a_version() -> None:
    lexicon = FreshnessLexicon.load()
    assert lexicon.version and len(lexicon.entries) >= 12 and lexicon.topics


def test_folding_keeps_offsets() -> None:
    text = "Pôle emploi, l’unité départementale de la Direccte n° 14598"
    assert len(fold_keep_length(text)) == len(text)
    assert fold_keep_length(text).startswith("pole emploi, l'unite departementale")


@pytest.mark.parametrize(
    ("sentence", "value", "replacement"),
    [
        # sp:F18075
        (
            "La notification du licenciement au salarié est effectuée par lettre recommandée avec accusé "
            "de réception, après autorisation de la Direccte [1].",
            "Direccte",
            "DREETS",
        ),
        # faq-cdtn:016 (2017)
        (
            "Vous pouvez aussi vous informer auprès du service de renseignements en droit du travail de "
            "l'unité départementale de la DIRECCTE du département [1].",
            "DIRECCTE",
            "DREETS",
        ),
        # sp:F31141
        ("Le port d'une tenue de travail est rendu obligatoire après avis du CHSCT [1].", "CHSCT", "CSE"),
        # sp:F89
        (
            "Après 121 jours de chômage, vous pouvez demander à Pôle emploi le réexamen "
            "de votre situation [1].",
            "Pôle emploi",
            "France Travail",
        ),
        # mt:les-conventions-de-forfait (2020)
        (
            "L'employeur met à la disposition du CE, dans la base de données économiques et sociales, un "
            "certain nombre d'informations [1].",
            "du CE",
            "CSE",
        ),
        # faq-cdtn:027 (2017)
        (
            "Les délégués du personnel peuvent consulter ces documents [1].",
            "délégués du personnel",
            "CSE",
        ),
        # sp:F19030
        (
            "Soit en remplissant le formulaire cerfa n°14598 de demande d'homologation de la rupture "
            "conventionnelle [1].",
            "cerfa n°14598",
            "TéléRC",
        ),
        # sp:F3156
        (
            "La durée du congé de paternité et d'accueil de l'enfant est fixée à 11 jours calendaires "
            "consécutifs [1].",
            "11 jours",
            "25 jours",
        ),
        # faq-cdtn:033 (2017): the pre-2024 rule
        (
            "Non, les périodes de maladie n'ouvrent pas droit à congés payés [1].",
            "n'ouvrent pas",
            "22 avril 2024",
        ),
    ],
)
def test_superseded_terms_are_flagged_with_their_replacement(
    sentence: str, value: str, replacement: str
) -> None:
    draft = f"Bonjour,\n\n{sentence}\n\nCordialement,"
    flags = [f for f in freshness_flags(draft, [passage(1, sentence)], today=TODAY) if f.kind == "stale_term"]
    assert len(flags) == 1, flags
    flag = flags[0]
    assert draft[flag.start : flag.end] == flag.value and flag.value.startswith(value)
    assert flag.replacement and replacement in flag.replacement + flag.message
    assert flag.message.endswith(".")


@pytest.mark.parametrize(
    "sentence",
    [
        # sp:F32459, mt:cse-commissions-…: the change is stated
        "Après avis du comité social et économique (CSE) (ex- CE, ex- CHSCT, ex-DP) [1].",
        "Les CSSCT sont créées au sein des comités sociaux et économiques (CSE), issus de la fusion des "
        "délégués du personnel, comités d'entreprise et CHSCT [1].",
        # mt:projet-de-transition-professionnelle
        "Le projet de transition professionnelle se substitue à l'ancien dispositif du congé individuel de "
        "formation (CIF), supprimé depuis le 1er janvier 2019 [1].",
        # mt:dialogue-social (CE = Conseil d'État), mt:apprentissage… (DP = dossier professionnel)
        "Des réunions bilatérales sont possibles (CE 4 juil. 2012, no 33) [1].",
        "Une partie de l'évaluation finale est basée sur 2 productions à annexer au dossier "
        "professionnel (DP) [1].",
        # words that contain the acronyms
        "Le CESE et la DPAE ne sont pas concernés ; le Cerfa 10103 reste en usage [1].",
        # faq-barri:043: today's paternity leave
        "Le congé de paternité a une durée de 25 jours calendaires [1].",
    ],
)
def test_no_false_alarm_on_current_or_unrelated_wording(sentence: str) -> None:
    assert flags_of(sentence, passage(1, sentence)) == []


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        # sp:F34547
        (
            "Une expérimentation dérogatoire des emplois francs à La Réunion est prévue "
            "jusqu'au 31 décembre 2022 [1].",
            "jusqu'au 31 décembre 2022",
        ),
        # mt:services-de-sante-au-travail (2021)
        (
            "Certains délais qui expirent entre le 12 mars et le 23 juin 2020 sont prorogés [1].",
            "entre le 12 mars et le 23 juin 2020",
        ),
        # faq-barri:053
        (
            "Du 24 mars 2020 au 10 juillet 2020 (première période d'état d'urgence sanitaire) [1].",
            "Du 24 mars 2020 au 10 juillet 2020",
        ),
        (
            "À titre exceptionnel en 2021, la prime peut être versée en deux fois [1].",
            "À titre exceptionnel en 2021",
        ),
        # mt:mesures-de-prevention-dans-l-entreprise-contre-le-covid-19-masques
        (
            "Cette règle s'applique, dans le cadre de l'épidémie de la Covid-19, à la prise "
            "en charge du masque [1].",
            "épidémie de la Covid-19",
        ),
    ],
)
def test_expired_measures_are_flagged(sentence: str, value: str) -> None:
    flags = [
        f
        for f in freshness_flags(sentence, [passage(1, sentence)], today=TODAY)
        if f.kind == "expired_measure"
    ]
    assert flags and any(f.value == value or value in f.value or f.value in value for f in flags), flags
    for f in flags:
        assert sentence[f.start : f.end] == f.value


def test_an_end_date_still_to_come_is_not_flagged_and_the_reference_date_is_injectable() -> None:
    sentence = "Une expérimentation des emplois francs à La Réunion est prévue jusqu'au 31 décembre 2022 [1]."
    assert flags_of(sentence, passage(1, sentence), today=date(2022, 6, 1)) == []
    assert flags_of(sentence, passage(1, sentence), today=date(2023, 1, 1)) == [
        ("expired_measure", "jusqu'au 31 décembre 2022")
    ]
    covid = "Le télétravail en période de Covid-19 [1]."
    assert flags_of(covid, passage(1, covid), today=date(2021, 3, 1)) == []  # the measures were in force


def test_worked_examples_and_dates_without_a_year_are_not_expired_measures() -> None:
    for sentence in (
        # sp:F2265, sp:F1643
        "Par exemple : pour un arrêt de travail débutant le 1er juillet 2020, vous devez avoir travaillé au "
        "moins 600 heures entre le 30 juin 2019 et le 30 juin 2020 [1].",
        "Une période d'essai de 2 mois qui débute un 15 mars doit prendre fin le 14 mai suivant [1].",
    ):
        assert flags_of(sentence, passage(1, sentence)) == []


def test_end_dates_are_read_in_french() -> None:
    assert parse_end("31 decembre 2020") == date(2020, 12, 31)
    assert parse_end("1er aout 2018") == date(2018, 8, 1)
    assert parse_end("juin 2021") == date(2021, 6, 30)
    assert parse_end("fin 2021") == date(2021, 12, 31)
    assert parse_end("31/03/2021") == date(2021, 3, 31)


def test_figures_from_an_old_source_are_flagged_but_not_from_a_recent_or_undated_one() -> None:
    # mt:le-smic-montants-en-vigueur-a-compter-du-1er-janvier-2020, updated 2020-12-21
    smic = (
        "Le montant du SMIC horaire brut est fixé, depuis le 1er janvier 2021, à 10,25 €, soit 1 554,58 € "
        "bruts mensuels sur la base de la durée légale de 35 heures hebdomadaires."
    )
    draft = f"Bonjour,\n\n{smic[:-1]} [1].\n\nCordialement,"
    flags = freshness_flags(draft, [passage(1, smic, "2020-12-21")], today=TODAY)
    assert [f.value for f in flags if f.kind == "old_figure"] == ["10,25 €", "1 554,58 €", "35 heures"]
    assert all(draft[f.start : f.end] == f.value for f in flags)
    assert "21/12/2020" in flags[0].message
    assert flags_of(draft, passage(1, smic, "2020-12-21"), today=date(2021, 6, 1)) == []  # then fresh
    assert flags_of(draft, passage(1, smic, "")) == []  # undated: not judged
    # A figure also in a fresh cited passage is not an old figure; the others still are.
    fresh = passage(2, "Le SMIC horaire brut est de 10,25 € dans cet exemple.", "2026-01-01")
    both = f"{smic[:-1]} [1][2]."
    old = [v for k, v in flags_of(both, passage(1, smic, "2020-12-21"), fresh) if k == "old_figure"]
    assert old == ["1 554,58 €", "35 heures"]


def test_the_age_limit_is_a_setting() -> None:
    text = "Dans tous les cas, le préavis ne peut excéder 2 semaines."  # mt:le-contrat-a-duree-determinee-cdd
    p = passage(1, text, "2021-01-07")
    draft = text[:-1] + " [1]."
    assert check_draft(draft, [p], None, today=TODAY, max_age_years=3).flags[0].kind == "old_figure"
    assert not check_draft(draft, [p], None, today=TODAY, max_age_years=10).flags


def test_cited_passages_that_disagree_are_flagged_naming_the_newer() -> None:
    old = passage(
        1,
        "Le père salarié peut demander à bénéficier d'un congé de paternité et d'accueil de "
        "l'enfant de 11 jours consécutifs ou de 18 jours consécutifs en cas de naissances multiples.",
        "2020-03-27",
        "mt:le-conge-de-paternite-et-d-accueil-de-l-enfant",
    )
    new = passage(
        2,
        "Le congé de paternité a une durée de 25 jours calendaires fractionnable en 2 périodes.",
        "2025-07-01",
    )
    draft = "Le congé de paternité est de 11 jours consécutifs [1]. Le congé de paternité dure 25 jours [2]."
    flags = [f for f in check_draft(draft, [old, new], None, today=TODAY).flags if f.kind == "contradiction"]
    assert len(flags) == 1
    flag = flags[0]
    assert "[1]" in flag.message and "[2]" in flag.message and "La plus récente est [2]" in flag.message
    assert draft[flag.start : flag.end] == flag.value == "11 jours"
    assert flag.replacement and "25 jours" in flag.replacement


def test_the_newer_of_two_disagreeing_sources_is_numbered_and_listed_first() -> None:
    old = passage(1, "Le congé de paternité est de 11 jours consécutifs.", "2020-03-27", "old")
    other = passage(2, "Le congé de naissance est ouvert au père.", "2024-01-01", "other")
    new = passage(3, "Le congé de paternité a une durée de 25 jours calendaires.", "2025-07-01", "new")
    draft = "Le congé de paternité est de 11 jours [1]. Voir aussi [2]. Il dure 25 jours selon [3]."
    pairs = newer_first_pairs(draft, [old, other, new])
    assert pairs == [(1, 3)]
    text, ordered = renumber(draft, [old, other, new], pairs)
    assert [p.doc_id for p in ordered] == ["new", "old", "other"]
    assert text == "Le congé de paternité est de 11 jours [2]. Voir aussi [3]. Il dure 25 jours selon [1]."
    flag = next(f for f in check_draft(text, ordered, None, today=TODAY).flags if f.kind == "contradiction")
    assert "La plus récente est [1]" in flag.message and "25 jours" in (flag.replacement or "")
    # Undated sources: nothing says which is newer, the order of citation stays.
    undated = [replace(p, updated="") for p in (old, other, new)]
    assert newer_first_pairs(draft, undated) == []
    assert renumber(draft, undated, [])[0] == draft


def test_sources_that_agree_or_speak_of_different_things_are_not_contradictions() -> None:
    # sp:F2855 and contrib:…-depart-a-la-retraite agree on 2 months
    a = passage(1, "La durée du préavis est fixée à 2 mois.")
    b = passage(2, "Si le salarié a 2 ans ou plus d'ancienneté, la durée du préavis est égale à 2 mois.")
    assert not flags_of("La durée du préavis est fixée à 2 mois [1][2].", a, b)
    # sp:F2216 (daily) and mt:la-duree-legale-du-travail (weekly)
    daily = passage(1, "La durée maximale quotidienne de travail est fixée à 8 heures.")
    weekly = passage(
        2, "Au cours d'une même semaine, la durée maximale hebdomadaire de travail est de 48 heures."
    )
    draft = (
        "La durée maximale quotidienne est de 8 heures [1], la durée maximale hebdomadaire de 48 heures [2]."
    )
    assert not [k for k, _ in flags_of(draft, daily, weekly) if k == "contradiction"]


# ------------------------------------------------------------------------------------- end to end

SICK_LEAVE = (
    "Je suis en arrêt maladie depuis 3 semaines, est-ce que je continue à acquérir des congés payés ?"
)
PRE_2024 = re.compile(
    r"n[’']ouvrent pas droit à (?:des )?congés payés|ne permet(?:tent)? pas d[’']acquérir des congés|"
    r"n[’']acqui[eè]r\w* pas de congés",
    re.IGNORECASE,
)
DOCS = (
    "faq-cdtn:033",
    "mt:les-conges-payes",
    "sp:F2258",
    "mt:l-arret-de-travail-pour-accident-du-travail-ou-maladie-professionnelle",
    "mt:faq-chomage-partiel-activite-partielle",
    "mt:fiche-activite-partielle-chomage-partiel",
    "faq-barri:045",
)


@pytest.fixture
def real_kb_client(tmp_path: Path) -> Iterator[TestClient]:
    rows = [json.loads(line) for line in SHIPPED.read_text(encoding="utf-8").splitlines() if line.strip()]
    source = write_jsonl(tmp_path / "kb.jsonl", [r for r in rows if r["id"] in DOCS])
    kb = KnowledgeBaseSettings(
        sources=[source],
        index_dir=tmp_path / "index",
        embeddings=EmbeddingSettings(models=["fake"], shipped_vectors_dir=tmp_path / "no-vectors"),
    )
    settings = settings_for(kb, tmp_path)
    settings.drafting.reference_date = TODAY
    with TestClient(create_app(settings), headers=bearer()) as client:
        yield client


@pytest.mark.parametrize(
    ("question", "quotes_the_old_rule"),
    [
        (SICK_LEAVE, False),  # today's drafter keeps IDCC 2395's answer for those who name it
        # …and this asker names it: the 2017 answer is quoted, so it must come flagged.
        (
            "Assistante maternelle du particulier employeur en arrêt maladie ordinaire : "
            "acquiert-on des congés payés ?",
            True,
        ),
    ],
)
def test_the_sick_leave_draft_never_states_the_pre_2024_rule_unflagged(
    real_kb_client: TestClient, question: str, quotes_the_old_rule: bool
) -> None:
    draft = real_kb_client.post("/api/v1/drafts", json={"question": question}).json()
    assert draft["decision"]["kind"] == "drafted" and draft["drafter"] == "offline"
    text = draft["text"]
    old_rule = list(PRE_2024.finditer(text))
    assert bool(old_rule) == quotes_the_old_rule, text
    stale = [f for f in draft["flags"] if f["kind"] == "stale_term"]
    for match in old_rule:
        assert any(f["start"] <= match.start() < f["end"] for f in stale), (text, stale)
    for f in stale:
        assert text[f["start"] : f["end"]] == f["value"]
        assert f["replacement"] and "22 avril 2024" in f["replacement"] + f["message"]
    assert all("replacement" in f for f in draft["flags"])
    # Each source says how old it is, judged on the server's reference date and age setting.
    for p in draft["passages"] + draft["citations"]:
        if p["age_years"] is None:
            assert p["stale"] is None and not re.match(r"\d{4}", p["updated"])
        else:
            assert p["stale"] is (p["age_years"] > 3.0)
    assert any(p["stale"] for p in draft["passages"])


def test_the_older_checks_fire_on_llm_drafts(app_settings: Settings) -> None:
    answer = (
        "Bonjour,\n\nVous acquérez 3 jours ouvrables de congé par mois [1], soit 36 jours par an [1]. "
        "Renseignez-vous sur https://faux.example.org ou au 01 99 88 77 66, ou auprès de la DIRECCTE ; "
        "voir l'article L. 9999-1 [1] [7].\n\nCordialement,"
    )
    llm = LlmDrafter(LlmSettings(provider="fake", fake_response=answer))
    with TestClient(create_app(app_settings, llm=llm), headers=bearer()) as client:
        draft = client.post(
            "/api/v1/drafts", json={"question": "Combien de jours de congés payés par mois ?"}
        ).json()
    assert draft["drafter"] == "llm"
    kinds = {(f["kind"], f["value"]) for f in draft["flags"]}
    assert ("invalid_citation", "7") in kinds
    assert {"duration", "url", "phone", "article", "stale_term"} <= {k for k, _ in kinds}
    assert ("url", "https://faux.example.org") in kinds and ("phone", "01 99 88 77 66") in kinds
    assert ("duration", "3 jours ouvrables") in kinds and ("stale_term", "DIRECCTE") in kinds
    for f in draft["flags"]:
        if f["start"] >= 0:
            assert draft["text"][f["start"] : f["end"]] == f["value"]


def test_a_figure_not_said_of_the_topic_is_not_a_contradiction() -> None:
    # contrib:quelle-est-la-duree-maximale-de-la-periode-dessai… and sp:F14100, seen on a real draft
    a = passage(1, "Durée de la période d'essai initiale : 3 mois.")
    b = passage(
        2,
        "Le CDDI peut être suspendu pour accomplir une période d'essai liée à une offre d'emploi visant une "
        "embauche en CDI ou en CDD d'au moins 6 mois.",
    )
    draft = (
        "La période d'essai initiale est de 3 mois [1]. Le CDDI peut être suspendu pour accomplir "
        "une période d'essai liée à une offre d'emploi visant une embauche en CDI ou en CDD "
        "d'au moins 6 mois [2]."
    )
    assert not [k for k, _ in flags_of(draft, a, b) if k == "contradiction"]


def test_a_source_dated_by_its_year_only_is_judged_by_the_end_of_that_year() -> None:
    text = (  # sp:F12202, dated « 2020 » in the shipped KB
        "Le salarié qui souhaite rompre la période d'essai doit avertir son employeur au moins 48 heures "
        "à l'avance."
    )
    draft = text[:-1] + " [1]."
    assert flags_of(draft, passage(1, text, "2020")) == [("old_figure", "48 heures")]
    assert flags_of(draft, passage(1, text, "2020"), today=date(2023, 6, 1)) == []
