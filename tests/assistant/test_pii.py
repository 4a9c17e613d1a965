"""PII masking: what must be masked, what must not (HR questions are full of numbers, dates, bodies
and places), placeholders numbered per kind and stable per value, offsets into the original, the
unmask round trip, the text given to the retriever, the model loaded once, and the scorer."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.pipeline import pii
from assistant.pipeline.pii import MaskedText, PiiEntity, mask_pii, unmask
from eval.metrics.pii import score_pii

DEV = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "questions-dev.jsonl"

LABEL = {
    "EMAIL": "EMAIL",
    "PHONE": "TELEPHONE",
    "NIR": "NIR",
    "IBAN": "IBAN",
    "ADDRESS": "ADRESSE",
    "NAME": "NOM",
    "DATE_OF_BIRTH": "DATE_NAISSANCE",
    "EMPLOYEE_ID": "MATRICULE",
}

# (text, kind, the exact span expected to be masked)
POSITIVES = [
    ("Écrivez-moi à jean.dupont@gmail.com, merci.", "EMAIL", "jean.dupont@gmail.com"),
    ("mail : marie-claire.durand+rh@mairie-lyon.fr", "EMAIL", "marie-claire.durand+rh@mairie-lyon.fr"),
    ("Contact J.MARTIN@Exemple.COM.", "EMAIL", "J.MARTIN@Exemple.COM"),
    ("Rappelez-moi au 06 12 34 56 78 svp", "PHONE", "06 12 34 56 78"),
    ("tel 06.12.34.56.78", "PHONE", "06.12.34.56.78"),
    ("mon numéro: 0612345678", "PHONE", "0612345678"),
    ("joignable au +33 6 12 34 56 78 le matin", "PHONE", "+33 6 12 34 56 78"),
    ("joignable au +33 (0)6 12 34 56 78", "PHONE", "+33 (0)6 12 34 56 78"),
    ("bureau : 01-23-45-67-89", "PHONE", "01-23-45-67-89"),
    ("depuis l'étranger 0033 1 23 45 67 89", "PHONE", "0033 1 23 45 67 89"),
    ("whatsapp +33612345678", "PHONE", "+33612345678"),
    ("Mon numéro de sécu est 1 85 05 78 006 084 36.", "NIR", "1 85 05 78 006 084 36"),
    ("NIR 285057800608436", "NIR", "285057800608436"),
    ("sécurité sociale : 1850578006084 (sans clé)", "NIR", "1850578006084"),
    ("né en Corse, n° 2 90 12 2A 123 456 78", "NIR", "2 90 12 2A 123 456 78"),
    ("numéro provisoire 7 85 05 99 123 456", "NIR", "7 85 05 99 123 456"),
    ("IBAN : FR76 3000 6000 0112 3456 7890 189", "IBAN", "FR76 3000 6000 0112 3456 7890 189"),
    ("virement sur FR7630006000011234567890189 svp", "IBAN", "FR7630006000011234567890189"),
    ("compte belge BE68 5390 0754 7034", "IBAN", "BE68 5390 0754 7034"),
    ("compte DE89 3704 0044 0532 0130 00 en Allemagne", "IBAN", "DE89 3704 0044 0532 0130 00"),
    ("iban suisse CH93 0076 2011 6238 5295 7.", "IBAN", "CH93 0076 2011 6238 5295 7"),
    ("J'habite 12 rue de la République depuis mai.", "ADDRESS", "12 rue de la République"),
    (
        "nouvelle adresse : 3 bis avenue Victor Hugo, 69003 Lyon",
        "ADDRESS",
        "3 bis avenue Victor Hugo, 69003 Lyon",
    ),
    ("au 45, boulevard Haussmann 75009 Paris", "ADDRESS", "45, boulevard Haussmann 75009 Paris"),
    ("7 allée des Tilleuls", "ADDRESS", "7 allée des Tilleuls"),
    ("au 18 chemin du Moulin", "ADDRESS", "18 chemin du Moulin"),
    ("2 place Bellecour", "ADDRESS", "2 place Bellecour"),
    ("5 impasse des lilas", "ADDRESS", "5 impasse des lilas"),
    ("10 quai de la Tournelle", "ADDRESS", "10 quai de la Tournelle"),
    ("102 route de Grenoble", "ADDRESS", "102 route de Grenoble"),
    ("8 cours Lafayette", "ADDRESS", "8 cours Lafayette"),
    ("j'ai déménagé à 13001 Marseille", "ADDRESS", "13001 Marseille"),
    ("domicile : 69003 Lyon", "ADDRESS", "69003 Lyon"),
    ("Mme Dupont me demande un rendez-vous", "NAME", "Dupont"),
    ("Monsieur Jean-Pierre Martin a écrit", "NAME", "Jean-Pierre Martin"),
    ("courrier de M. de La Fontaine", "NAME", "de La Fontaine"),
    ("Mlle Nguyen est absente", "NAME", "Nguyen"),
    ("Madame Le Goff, gestionnaire", "NAME", "Le Goff"),
    ("certificat du Dr Benali", "NAME", "Benali"),
    ("mon avocat, Me Lefèvre", "NAME", "Lefèvre"),
    ("Mr Smith", "NAME", "Smith"),
    ("mme dupont me harcèle", "NAME", "dupont"),
    # NIR with its key, whatever the spacing
    ("sécu : 1 85 05 78 006 084 36", "NIR", "1 85 05 78 006 084 36"),
    ("NIR 1 85 05 78 006 084 - 36 merci", "NIR", "1 85 05 78 006 084 - 36"),
    ("numéro 2.90.12.75.123.456.78, pour la mutuelle", "NIR", "2.90.12.75.123.456.78"),
    ("numéro 185057800608436, pour la CPAM", "NIR", "185057800608436"),
    ("sécu 1 85 05 78 006 084  clé 36", "NIR", "1 85 05 78 006 084  clé 36"),
    ("FR76 3000 6000 0112 3456 7890 189 est mon IBAN", "IBAN", "FR76 3000 6000 0112 3456 7890 189"),
    # dates of birth: only after a birth context
    ("née le 14/03/1962, je voudrais partir", "DATE_OF_BIRTH", "14/03/1962"),
    ("je suis né le 2 mai 1990 à Paris", "DATE_OF_BIRTH", "2 mai 1990"),
    ("DDN : 23.11.1975", "DATE_OF_BIRTH", "23.11.1975"),
    ("date de naissance: 1er janvier 1970", "DATE_OF_BIRTH", "1er janvier 1970"),
    ("Né à Lyon le 03/04/1980, je voudrais savoir", "DATE_OF_BIRTH", "03/04/1980"),
    ("ma date de naissance est le 1990-05-02", "DATE_OF_BIRTH", "1990-05-02"),
    ("je suis né en 1962, puis-je partir ?", "DATE_OF_BIRTH", "1962"),
    ("Né(e) le : 11/02/1976", "DATE_OF_BIRTH", "11/02/1976"),
    # employee numbers
    ("Matricule 784512, je voudrais savoir", "EMPLOYEE_ID", "784512"),
    ("mon identifiant est EMP-2019-00457", "EMPLOYEE_ID", "EMP-2019-00457"),
    ("NUMEN 12E0123456ABC", "EMPLOYEE_ID", "12E0123456ABC"),
    ("n° employé 44871", "EMPLOYEE_ID", "44871"),
    ("identifiant RH : RH-00231", "EMPLOYEE_ID", "RH-00231"),
    ("agent n° 5523 à la DDFiP", "EMPLOYEE_ID", "5523"),
    ("numéro d'agent 548 996. Puis-je cumuler ?", "EMPLOYEE_ID", "548 996"),
    ("matricule : A-77310", "EMPLOYEE_ID", "A-77310"),
    # names without a civility, lower case, hyphenated, signatures, form fields
    ("Bonjour, je suis Karim Benali, agent au rectorat", "NAME", "Karim Benali"),
    ("jean-pierre moreau demande ses congés", "NAME", "jean-pierre moreau"),
    ("karim benali veut savoir", "NAME", "karim benali"),
    ("mon collègue Yannick Le Floch est absent", "NAME", "Yannick Le Floch"),
    ("j'ai vu Marie-Josée Payet hier", "NAME", "Marie-Josée Payet"),
    ("Je suis Aurore Vasseur, professeure des écoles", "NAME", "Aurore Vasseur"),
    ("Merci.\nCordialement,\nÉlodie Rousseau", "NAME", "Élodie Rousseau"),
    ("Merci de votre réponse,\nS. Caron", "NAME", "S. Caron"),
    ("Bien à vous\nThibaud Marchal", "NAME", "Thibaud Marchal"),
    ("Agent : DUPONT Jean\nObjet : congés", "NAME", "DUPONT Jean"),
    ("Vu avec Hugo, il est d'accord", "NAME", "Hugo"),
]


@pytest.mark.parametrize(("text", "kind", "value"), POSITIVES)
def test_masks_each_kind(text: str, kind: str, value: str) -> None:
    masked = mask_pii(text)
    assert [(e.kind, text[e.start : e.end]) for e in masked.entities] == [(kind, value)]
    placeholder = f"[{LABEL[kind]}_1]"
    assert masked.text == text.replace(value, placeholder)
    assert masked.kinds == (kind,)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Mme Dupont", "Mme [NOM_1]"),
        ("Monsieur Jean-Pierre Martin", "Monsieur [NOM_1]"),
        ("Dr Benali", "Dr [NOM_1]"),
    ],
)
def test_the_civility_stays_visible(text: str, kept: str) -> None:
    assert mask_pii(text).text == kept


NEGATIVES = [
    "Mon salaire est de 1 500 € brut par mois",
    "Il me reste 2,5 jours de congés",
    "embauché le 01/02/2021, fin le 01.02.2022",
    "article L1234-5 du code du travail",
    "voir l'article R. 3121-1 et l'article L. 1226-2",
    "entre 2021 et 2022",
    "une hausse de 3,5 % au 1er janvier 2024",
    "un CDD de 6 mois renouvelable",
    "le 13e mois est-il obligatoire ?",
    "indemnité de 12 345,67 euros",
    "IDCC 1486, convention collective 3043",
    "Madame, Monsieur, je vous écris au sujet de mes congés",
    "Monsieur le Maire a signé l'arrêté",
    "Madame la Directrice refuse ma demande",
    "indice majoré 352, échelon 5",
    "du 12 au 16 août, de 8h30 à 12h00",
    "j'ai 2 places de parking et 3 cours de formation",
    "Décret n° 86-83 du 17 janvier 1986",
    "35 heures par semaine, 1607 heures par an",
    "SIRET 123 456 789 00012",
    "Bonjour Madame\nJe voudrais savoir si mon congé est accepté",
    "Bonjour Monsieur Je vous remercie",
    # ordinary dates, birth words without a date of birth
    "Mon contrat a débuté le 2 mai 1990 et je pars en retraite.",
    "L'entretien a eu lieu le 23.11.2023 à Paris.",
    "Je suis en arrêt maladie depuis le 12/01/2024, combien de jours de carence ?",
    "Les agents nés en 1962 peuvent-ils partir à 62 ans ?",
    "Combien de jours pour la naissance d'un enfant ? Mon fils est né hier.",
    # article, decree, cerfa, IDCC, case numbers; grades; amounts
    "Selon l'article L. 1234-1 du code du travail, le préavis est d'un mois.",
    "Le décret n° 2019-1234 du 12 mars 2019 modifie le cerfa n° 12345*03.",
    "La loi n° 2023-270 du 14 avril 2023 sur les retraites.",
    "Le Conseil d'État, 12 juillet 2022, n° 450123.",
    "Que dit la jurisprudence Cass. soc., 12 juillet 2022, n° 20-22.857 ?",
    "Je suis agent de catégorie B, échelon 5, indice majoré 352.",
    "Prime COVID-19 et forfait mobilités durables de 700 euros.",
    "N° SIRET 123 456 789 00012, code APE 8411Z.",
    "Ma demande du 15/09/2024 est restée sans réponse, ref dossier 2024-0042.",
    "Le numéro d'agent est-il obligatoire sur la fiche de paie ?",
    # public bodies, places, HR words, feasts
    "La DREETS Auvergne-Rhône-Alpes a répondu au CSE le 3 février 2024.",
    "Le rectorat de Lyon et l'Éducation nationale appliquent l'arrêté du 14/03/2023.",
    "Je travaille à Marseille, à la mairie de Saint-Denis.",
    "J'ai travaillé chez Renault puis chez Airbus à Toulouse.",
    "Le CET permet d'épargner 60 jours ; la DGAFP l'a confirmé.",
    "Congés payés : combien de jours en Mai ?",
    "Le 1er mai est férié, et le lundi de Pentecôte ?",
    "est-ce que la Saint-Martin ou l'Armistice donne droit à un jour de récupération ?",
    "Qu'en est-il du RIFSEEP et de l'IFSE pour le grade d'attaché principal ?",
    "Je suis Responsable RH à la Mairie de Lille.",
    "Je suis Agent Technique au département.",
    "Cordialement,\nLa Direction des Ressources Humaines",
    "Merci d'avance,\nUn agent inquiet",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_leaves_hr_numbers_and_words_alone(text: str) -> None:
    masked = mask_pii(text)
    assert masked.text == text
    assert masked.entities == ()


def test_ordinary_dev_questions_are_left_alone() -> None:
    with DEV.open(encoding="utf-8") as f:
        questions = [json.loads(line)["question"] for line, _ in zip(f, range(500), strict=False)]
    changed = sum(mask_pii(q).text != q for q in questions)
    assert len(questions) == 500
    assert changed < 5  # < 1 %


def test_same_value_same_placeholder_and_numbering_per_kind() -> None:
    text = (
        "Mme Dupont (06 12 34 56 78) a écrit à M. Martin ; rappeler Mme Dupont au 0612345678 "
        "ou au 01 23 45 67 89, ou par mail a.dupont@x.fr."
    )
    masked = mask_pii(text)
    assert masked.text == (
        "Mme [NOM_1] ([TELEPHONE_1]) a écrit à M. [NOM_2] ; rappeler Mme [NOM_1] au [TELEPHONE_1] "
        "ou au [TELEPHONE_2], ou par mail [EMAIL_1]."
    )
    assert masked.kinds == ("EMAIL", "NAME", "PHONE")


def test_iban_and_nir_are_not_cut_into_phone_numbers() -> None:
    masked = mask_pii("IBAN FR76 3000 6000 0112 3456 7890 189 et sécu 1 85 05 78 006 084 36")
    assert masked.text == "IBAN [IBAN_1] et sécu [NIR_1]"


def test_offsets_point_into_the_original_text() -> None:
    text = "Bonjour, je suis Mme Durand, 4 rue des Lilas, 69003 Lyon, tél 06 11 22 33 44, x@y.fr"
    masked = mask_pii(text)
    assert [text[e.start : e.end] for e in masked.entities] == [
        "Durand",
        "4 rue des Lilas, 69003 Lyon",
        "06 11 22 33 44",
        "x@y.fr",
    ]
    assert [e.start for e in masked.entities] == sorted(e.start for e in masked.entities)


def test_values_are_kept_out_of_repr() -> None:
    masked = mask_pii("écrire à jean.dupont@gmail.com")
    assert "jean.dupont" not in repr(masked)


def test_unmask_round_trip() -> None:
    text = "Mme Dupont, 12 rue de la Paix 75002 Paris, IBAN FR7630006000011234567890189, tél 06 12 34 56 78"
    masked = mask_pii(text)
    assert unmask(masked.text, masked) == text


def test_unmask_a_draft_written_from_the_masked_question() -> None:
    masked = mask_pii("Mme Dupont demande si on peut la rappeler au 06 12 34 56 78 ou au 0612345678.")
    draft = "Bonjour Mme [NOM_1], nous vous rappellerons au [TELEPHONE_1]. [NOM_9] reste tel quel."
    assert unmask(draft, masked) == (
        "Bonjour Mme Dupont, nous vous rappellerons au 06 12 34 56 78. [NOM_9] reste tel quel."
    )


def test_text_without_pii() -> None:
    assert mask_pii("congés payés et RTT") == MaskedText("congés payés et RTT", ())
    assert mask_pii("").kinds == ()


def test_a_spaced_nir_keeps_no_key_behind() -> None:
    for text in ("NIR 1 85 05 78 006 084 45", "NIR 1 85 05 78 006 084 - 45", "NIR 1.85.05.78.006.084.45"):
        assert mask_pii(text).text == "NIR [NIR_1]"


def test_a_real_email_with_every_kind() -> None:
    text = (
        "Bonjour,\n\nJe suis Karim Benali (matricule 784512), né le 14/03/1962, 4 rue des Lilas, "
        "69003 Lyon, tél 06 11 22 33 44. Ai-je droit à la retraite anticipée ?\n\n"
        "Cordialement,\nKarim Benali"
    )
    masked = mask_pii(text)
    assert masked.kinds == ("ADDRESS", "DATE_OF_BIRTH", "EMPLOYEE_ID", "NAME", "PHONE")
    for value in ("Karim", "Benali", "784512", "14/03/1962", "Lilas", "06 11 22 33 44"):
        assert value not in masked.text
    assert masked.text.count("[NOM_1]") == 2  # the same name, the same placeholder
    assert unmask(masked.text, masked) == text


def test_the_retriever_gets_the_question_without_placeholders() -> None:
    masked = mask_pii("Bonjour, je suis Karim Benali (tél 06 12 34 56 78), ai-je droit à des congés ?")
    assert masked.text == "Bonjour, je suis [NOM_1] (tél [TELEPHONE_1]), ai-je droit à des congés ?"
    # The label that introduced a value goes with it (« tél », « matricule », « né le »).
    assert masked.for_retrieval == "Bonjour, je suis, ai-je droit à des congés ?"
    assert "[" not in masked.for_retrieval
    labelled = mask_pii("Karim Benali, matricule 784512, né le 14/03/1962 : congés pour mon mariage ?")
    assert labelled.for_retrieval == "congés pour mon mariage ?"
    assert mask_pii("Le matricule figure-t-il sur le bulletin ?").for_retrieval == (
        "Le matricule figure-t-il sur le bulletin ?"
    )
    assert mask_pii("congés payés et RTT").for_retrieval == "congés payés et RTT"


def test_sensitive_detection_still_sees_a_masked_name() -> None:
    masked = mask_pii("Karim Benali subit du harcèlement moral de la part de son chef").text
    assert re.search(r"\[nom_\d+\]", masked.lower())


def test_the_analyzer_is_built_once_even_under_concurrent_first_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[object] = []
    loaded = pii.analyzer()

    def counting_build() -> object:
        built.append(object())
        time.sleep(0.2)  # widen the window in which other threads could build a second one
        return loaded

    monkeypatch.setattr(pii, "_analyzer", None)
    monkeypatch.setattr(pii, "_build", counting_build)
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(lambda t: mask_pii(t).text, ["Mme Dupont"] * 8))
    assert texts == ["Mme [NOM_1]"] * 8
    assert len(built) == 1


def test_a_missing_model_fails_loudly_and_is_never_downloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy.cli
    import spacy.util

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model must never be downloaded at run time")

    monkeypatch.setattr(pii, "_analyzer", None)
    monkeypatch.setattr(spacy.util, "is_package", lambda name: False)
    monkeypatch.setattr(spacy.cli, "download", no_download)
    with pytest.raises(pii.PiiModelMissing, match="fr_core_news_sm"):
        pii.ensure_loaded()


def _fake_masker(text: str) -> MaskedText:
    """Masks every occurrence of « Dupont » and « 0612345678 »: enough to check the scorer."""
    entities = []
    for kind, value in (("NAME", "Dupont"), ("PHONE", "0612345678")):
        start = text.find(value)
        if start >= 0:
            entities.append(PiiEntity(kind, start, start + len(value), f"[{kind}_1]", value))  # type: ignore[arg-type]
    return MaskedText(text, tuple(entities))


def test_the_scorer_counts_recall_per_type_and_false_masks() -> None:
    cases = [
        {
            "id": "a",
            "text": "Mme Dupont, 0612345678",
            "entities": [{"type": "PERSON", "value": "Dupont"}, {"type": "PHONE", "value": "0612345678"}],
        },
        {"id": "b", "text": "Jean Dupont demande", "entities": [{"type": "PERSON", "value": "Jean Dupont"}]},
        {"id": "c", "text": "M. Durand", "entities": [{"type": "PERSON", "value": "Durand"}]},
        {"id": "d", "text": "congés payés", "entities": []},
        {"id": "e", "text": "la place Dupont", "entities": []},
        {"id": "f", "text": "absent", "entities": [{"type": "EMAIL", "value": "x@y.fr"}]},
    ]
    scores = score_pii(cases, mask=_fake_masker)
    assert scores["recall_per_type"] == {"PERSON": 0.333, "PHONE": 1.0}
    assert scores["recall"] == 0.5
    assert scores["typed_recall"] == 0.5
    assert scores["clean_texts"] == 2
    assert scores["false_mask_share"] == 0.5
    assert scores["false_masks_per_text"] == 0.5
    assert scores["unlocatable_values"] == 1
    assert [m["id"] for m in scores["misses"]] == ["b", "c", "e"]
    assert "misses" not in score_pii(cases, mask=_fake_masker, misses=False)


def test_a_value_split_over_two_masks_is_covered() -> None:
    def two_spans(text: str) -> MaskedText:
        return MaskedText(
            text,
            (
                PiiEntity("NAME", 0, 6, "[NOM_1]", "Élodie"),
                PiiEntity("NAME", 7, 15, "[NOM_2]", "Rousseau"),
            ),
        )

    case = {
        "id": "x",
        "text": "Élodie Rousseau",
        "entities": [{"type": "PERSON", "value": "Élodie Rousseau"}],
    }
    assert score_pii([case], mask=two_spans)["recall"] == 1.0


def test_a_long_run_without_spaces_is_masked_around_in_bounded_time() -> None:
    """8,000 emoji in a row took spaCy's tokenizer 8 s (quadratic, holding the GIL). Runs over 200
    characters are cut for the analyzer only: offsets and the returned text are the original's."""
    text = "😀" * 8000 + " Écrivez à jean.dupont@exemple.fr ou au 06 12 34 56 78."
    seen = pii._break_long_runs(text)  # what the analyzer reads (bench/load.py times the effect)
    assert len(seen) == len(text) and max(len(w) for w in seen.split()) <= pii.LONG_RUN_CHARS
    masked = mask_pii(text)
    assert masked.text.startswith("😀" * 8000)
    assert "[EMAIL_1]" in masked.text and "[TELEPHONE_1]" in masked.text
