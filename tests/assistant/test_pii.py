"""PII masking: what must be masked, what must not (HR questions are full of numbers), placeholders
numbered per kind and stable per value, offsets into the original, and the unmask round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.pipeline.pii import MaskedText, mask_pii, unmask

DEV = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "questions-dev.jsonl"

LABEL = {
    "EMAIL": "EMAIL",
    "PHONE": "TELEPHONE",
    "NIR": "NIR",
    "IBAN": "IBAN",
    "ADDRESS": "ADRESSE",
    "NAME": "NOM",
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
