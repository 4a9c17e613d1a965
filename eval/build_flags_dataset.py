"""Builds eval/datasets/flags.jsonl from verbatim sentences of the shipped KB (labels by hand).

Each case is a draft-like sentence (or two, for contradictions) with the passage(s) it comes from,
their real dates, a reference date and the flag kinds a careful reviewer expects. The labels were
written before the freshness checks were tuned; cases alternate between the "tune" and "test" split.
Run: python -m eval.build_flags_dataset
"""

# ruff: noqa: E501

import json
import re
from pathlib import Path
from typing import Any

from assistant.pipeline.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]

_LINES = (ROOT / "knowledge_base" / "sources" / "kb.jsonl").read_text(encoding="utf-8").splitlines()
KB = {json.loads(line)["id"]: json.loads(line) for line in _LINES if line.strip()}
REF = "2026-11-28"


def date_of(doc):
    x = KB[doc]["meta"].get("date")
    if not x:
        return ""
    d, m, y = x.split("/")
    return f"{y}-{m}-{d}"


def S(doc, pattern, cut=None):
    for s in split_sentences(KB[doc]["text"]):
        if re.search(pattern, s):
            if cut:  # keep the part of a glued line that matches
                found = re.search(cut, s)
                assert found is not None, cut
                s = found.group(0)
            return s.lstrip("-* ").strip()
    raise SystemExit(f"not found: {doc} {pattern}")


cases: list[dict[str, Any]] = []


def case(group, doc, pattern, expected, ref=REF, cut=None, note=""):
    s = S(doc, pattern, cut)
    cases.append(
        {
            "group": group,
            "draft": s.rstrip(" ;:.") + " [1].",
            "passages": [{"n": 1, "doc_id": doc, "updated": date_of(doc), "text": s}],
            "reference_date": ref,
            "expected": sorted(expected),
            "note": note,
        }
    )


def pair(group, a, b, draft, expected, note=""):
    ps = []
    for n, (doc, pats) in enumerate((a, b), start=1):
        text = " ".join(S(doc, p, c) for p, c in pats)
        ps.append({"n": n, "doc_id": doc, "updated": date_of(doc), "text": text})
    cases.append(
        {
            "group": group,
            "draft": draft,
            "passages": ps,
            "reference_date": REF,
            "expected": sorted(expected),
            "note": note,
        }
    )


ST, EX, OF, CO, CL = "stale_term", "expired_measure", "old_figure", "contradiction", "clean"
# ---- superseded terms
case(ST, "sp:F2918", r"^La Direccte peut", [ST])
case(ST, "faq-cdtn:016", r"unité départementale de la DIRECCTE", [ST])
case(ST, "sp:F18075", r"après autorisation de la Direccte", [ST])
case(ST, "sp:F2918", r"Direccte a 20 jours", [ST])
case(ST, "sp:F31141", r"avis du CHSCT", [ST])
case(
    ST,
    "sp:F31472",
    r"le CHSCT en est informé",
    [ST],
    note="fonction publique: CHSCT → formation spécialisée du CST",
)
case(ST, "sp:F89", r"121 jours de chômage", [ST])
case(ST, "mt:allocation-temporaire-d-attente-ata", r"versée par Pôle emploi", [ST])
case(
    ST,
    "mt:les-documents-remis-aux-salaries-lors-de-la-rupture-du-contrat-de-travail",
    r"dite « attestation Pôle emploi",
    [ST],
)
case(ST, "sp:F14860", r"sauf celles rémunérées par Pôle emploi", [ST])
case(ST, "mt:les-conventions-de-forfait", r"à la disposition du CE", [ST])
case(
    ST,
    "mt:le-contrat-unique-d-insertion-cui-dispositions-generales",
    r"Le comité d’entreprise ou d’établissement",
    [ST],
    cut=r"Le comité d’entreprise.*",
)
case(ST, "mt:risques-psychosociaux", r"délégués du personnel \(DP\) ont pour mission", [ST])
case(ST, "faq-cdtn:027", r"délégués du personnel peuvent consulter", [ST])
case(ST, "sp:F19030", r"cerfa n°14598", [ST])
case(ST, "sp:F3156", r"fixée à 11 jours calendaires", [ST])
case(ST, "sp:F3156", r"fixée à 18 jours calendaires", [ST])
case(ST, "faq-cdtn:033", r"n'ouvrent pas droit à congés payés", [ST], cut=r"Non, les périodes.*")
case(ST, "mt:les-conges-payes", r"absences pour maladie \(non professionnelle\) n’ouvrent pas", [ST])
case(ST, "mt:compte-personnel-formation", r"heures de DIF non utilisées", [ST, EX, OF])
case(ST, "mt:la-prime-exceptionnelle-de-pouvoir-d-achat", r"peut bénéficier à tous les salariés", [ST])
case(ST, "mt:le-conge-de-paternite-et-d-accueil-de-l-enfant", r"de 11 jours consécutifs", [ST, OF])
case(ST, "sp:F2110", r"cerfa n°11689", [ST], note="Cram → Carsat (2010)")
case(
    ST,
    "mt:prime-exceptionnelle-et-epargne-salariale",
    r"prime exceptionnelle de pouvoir d’achat de 1000",
    [ST, OF],
)
# ---- expired measures
case(EX, "sp:F34547", r"jusqu'au 31 décembre 2022", [EX])
case(
    EX,
    "sp:F34547",
    r"jusqu'au 31 décembre 2022",
    [],
    ref="2022-06-01",
    note="not yet ended at the reference date",
)
case(
    EX,
    "mt:faq-chomage-partiel-activite-partielle",
    r"jusqu’au 31 août 2021",
    [EX, OF],
    cut=r"Une entreprise a une autorisation.*",
)
case(EX, "sp:F34071", r"s'applique jusqu'au 31 décembre 2020", [EX], cut=r"[Ll]e droit européen.*")
case(
    EX,
    "sp:F34071",
    r"s'applique jusqu'au 31 décembre 2020",
    [],
    ref="2020-06-01",
    cut=r"[Ll]e droit européen.*",
)
case(EX, "mt:les-heures-supplementaires-contreparties", r"prorogé jusqu’au 16 février 2021", [EX])
case(EX, "mt:le-travail-du-dimanche", r"transitoires s’appliquent jusqu’au 1er août 2018", [EX])
case(EX, "mt:services-de-sante-au-travail", r"entre le 12 mars et le 31 août 2020", [EX])
case(
    EX,
    "mt:mesures-de-prevention-dans-l-entreprise-contre-le-covid-19-masques",
    r"\(jusqu’au 31 mars 2021\)",
    [EX],
)
case(EX, "sp:F798", r"pandémie de Coronavirus", [EX])
case(
    EX,
    "mt:mesures-de-prevention-dans-l-entreprise-contre-le-covid-19-masques",
    r"dans le cadre de l’épidémie de la Covid-19 à la prise en charge",
    [EX],
)
case(EX, "faq-barri:053", r"^- du 24 mars 2020 au 10 juillet 2020 \(première", [EX])
case(
    EX,
    "mt:faq-chomage-partiel-activite-partielle",
    r"De manière dérogatoire, jusqu’au 31 mars 2021",
    [EX, OF],
    cut=r"De manière dérogatoire.*",
)
case(EX, "mt:services-de-sante-au-travail", r"entre le 12 mars et le 23 juin 2020 sont prorogés", [EX])
case(EX, "sp:F2918", r"conclus entre le 30 avril 2019 et le 31 octobre 2021", [EX])
case(
    EX,
    "mt:les-negociations-obligatoires-dans-l-entreprise-theme-periodicite-et",
    r"enjeux de la crise sanitaire",
    [EX],
    cut=r"Bonnes pratiques.*",
)
case(EX, "mt:index-egalite-professionnelle-femmes-hommes", r"du 1er janvier 2018 au 31 décembre 2019", [EX])
case(
    EX, "sp:F2265", r"600 heures entre le 30 juin 2019", [], note="a worked example, not a time-boxed measure"
)
case(EX, "sp:F1895", r"soit jusqu'au 17 mars 2020", [], note="a worked example")
case(
    EX,
    "mt:la-duree-legale-du-travail",
    r"^A titre exceptionnel, des dérogations",
    [OF],
    note="exceptionnel without an end date",
)
case(EX, "faq-cdtn:011", r"qu'exceptionnellement de nuit", [OF])
case(EX, "sp:F1643", r"débute un 15 mars", [], note="dates without a year")
# ---- old figures
case(
    OF,
    "mt:le-smic-montants-en-vigueur-a-compter-du-1er-janvier-2020",
    r"^Le montant du SMIC horaire brut",
    [OF],
)
case(
    OF,
    "mt:le-smic-montants-en-vigueur-a-compter-du-1er-janvier-2020",
    r"^Le montant du SMIC horaire brut",
    [],
    ref="2021-06-01",
)
case(OF, "faq-cdtn:012", r"prime de panier égale à 2 fois", [OF])
case(OF, "faq-cdtn:007", r"soit 5,31 euros", [OF])
case(OF, "mt:la-remuneration-de-l-interimaire", r"au moins égale à 10 %", [OF])
case(OF, "sp:F40", r"égale au minimum à 10 %", [], note="undated source")
case(OF, "mt:le-temps-de-travail-des-jeunes-de-moins-de-18-ans", r"le repos quotidien est de 12 heures", [OF])
case(
    OF,
    "mt:la-duree-legale-du-travail",
    r"est de 48 heures",
    [OF],
    cut=r"au cours d’une même semaine, la durée maximale hebdomadaire de travail est de 48 heures",
)
case(
    OF,
    "mt:la-duree-legale-du-travail",
    r"est de 48 heures",
    [],
    ref="2023-01-01",
    cut=r"au cours d’une même semaine, la durée maximale hebdomadaire de travail est de 48 heures",
)
case(
    OF, "mt:le-conge-de-maternite", r"prolongé de 2 semaines", [OF], cut=r"En cas d’état pathologique[^.]*\."
)
case(
    OF,
    "mt:salaries-detaches-vos-droits",
    r"au moins 6 semaines avant",
    [OF],
    cut=r"Elles ont droit au congé de maternité \([^)]*\)",
)
case(OF, "mt:le-contrat-a-duree-determinee-cdd", r"le préavis ne peut excéder 2 semaines", [OF])
case(OF, "mt:csp", r"supérieure à 3 mois de salaire", [OF])
case(OF, "mt:le-contrat-a-duree-determinee-senior-cdd-senior", r"soit en principe 10 %", [OF])
case(OF, "mt:index-egalite-professionnelle-femmes-hommes", r"1 mois à compter de la mise à disposition", [OF])
case(OF, "sp:F2855", r"fixée à 2 mois", [])
case(OF, "sp:F1643", r"initiale d'un CDI est fixée à 3 mois", [])
case(OF, "sp:F12202", r"au moins 48 heures à l'avance", [])
case(OF, "mt:cse-fonctionnement-et-moyens-d-actions", r"transférer une partie du montant de l’excédent", [])
case(
    OF,
    "mt:le-contrat-a-duree-indeterminee-de-chantier-ou-d-operation",
    r"en vigueur depuis le 1er avril 2018",
    [],
    note="dates are not figures",
)
case(OF, "mt:le-suivi-de-l-etat-de-sante-des-salaries", r"en vigueur depuis le 24 janvier 2021", [])
# ---- clean sentences around the same words
case(CL, "sp:F32459", r"ex- CE, ex- CHSCT, ex-DP", [])
case(
    CL,
    "mt:cse-commissions-sante-securite-et-conditions-de-travail-cssct",
    r"issue de la fusion des délégués du personnel",
    [],
)
case(
    CL,
    "mt:projet-de-transition-professionnelle",
    r"se substitue à l’ancien dispositif du congé individuel",
    [],
)
case(CL, "mt:compte-personnel-formation", r"s’est substitué au droit individuel à la formation", [])
case(CL, "mt:dialogue-social", r"^CE 13 novembre 1987", [], note="CE = Conseil d'État")
case(CL, "mt:apprentissage-apprentis-et-organismes-de-formation-cfa", r"dossier professionnel \(DP\)", [])
case(CL, "sp:F34474", r"convoquer les membres du CSE au moins 1 fois par mois", [])
case(CL, "sp:F34474", r"plus de 11 salariés", [])
case(CL, "sp:F3156", r"le salarié ne peut pas être licencié", [])
case(CL, "faq-barri:043", r"durée de 25 jours calendaires", [])
case(
    CL,
    "contrib:quelles-informations-doivent-figurer-dans-le-contrat-de-travail-ou-la-lettre-dengagement",
    r"cerfa n°10103",
    [],
    cut=r"Le contrat d’apprentissage est conclu au moyen du formulaire",
)
case(CL, "sp:F3053", r"délai de carence de 3 jours", [])
case(CL, "sp:F990", r"au moins 11 heures consécutives entre 2", [])
case(CL, "mt:accords-de-maintien-de-l-emploi", r"a été abrogé par l’ordonnance", [])
case(CL, "sp:F568", r"depuis le 8 août 2019", [])
case(CL, "faq-barri:050", r"instauré à compter du 1er janvier 2018", [])
case(
    CL,
    "mt:le-smic-montants-en-vigueur-a-compter-du-1er-janvier-2020",
    r"^Le montant du SMIC horaire brut",
    [],
    ref="2021-01-15",
)
# ---- contradictions (two cited passages)
pair(
    CO,
    ("mt:le-conge-de-paternite-et-d-accueil-de-l-enfant", [(r"de 11 jours consécutifs", None)]),
    (
        "faq-barri:043",
        [(r"durée de 25 jours calendaires", r"d’un congé de paternité d’une durée de 25 jours calendaires")],
    ),
    "Vous pouvez bénéficier d’un congé de paternité et d’accueil de l’enfant de 11 jours consécutifs ou de 18 jours consécutifs en cas de naissances multiples [1]. Il s'agit d’un congé de paternité d’une durée de 25 jours calendaires [2].",
    [CO, ST, OF],
)
pair(
    CO,
    ("sp:F3156", [(r"fixée à 11 jours calendaires", None)]),
    (
        "faq-barri:043",
        [(r"durée de 25 jours calendaires", r"d’un congé de paternité d’une durée de 25 jours calendaires")],
    ),
    "La durée du congé de paternité et d'accueil de l'enfant est fixée à 11 jours calendaires consécutifs [1] ; le congé de paternité a une durée de 25 jours calendaires [2].",
    [CO, ST],
)
pair(
    CO,
    (
        "mt:fiche-activite-partielle-chomage-partiel",
        [(r"L’indemnité versée au salarié est égale à 70%", None)],
    ),
    (
        "mt:faq-chomage-partiel-activite-partielle",
        [
            (
                r"est de 60% de la rémunération antérieure brute du salarié avec un plancher",
                r"Le taux horaire de l’indemnité d’activité partielle est de 60%[^.]*\.",
            )
        ],
    ),
    "L’indemnité versée au salarié est égale à 70% de la rémunération antérieure brute de celui-ci [1]. Le taux horaire de l’indemnité d’activité partielle est de 60% de la rémunération antérieure brute du salarié [2].",
    [CO, OF],
)
pair(
    CO,
    (
        "sp:F990",
        [
            (r"au moins 11 heures consécutives entre 2", None),
            (r"ne peut pas être inférieure à 12 heures", None),
        ],
    ),
    (
        "mt:le-temps-de-travail-des-jeunes-de-moins-de-18-ans",
        [(r"le repos quotidien est de 12 heures", None)],
    ),
    "Le repos quotidien est d'au moins 11 heures consécutives entre 2 journées de travail [1]. Pour un jeune de moins de 18 ans, le repos quotidien est de 12 heures consécutives [2].",
    [OF],
    note="different populations, both sources agree on 12 h for minors",
)
pair(
    CO,
    ("sp:F2216", [(r"quotidienne de travail est fixée à 8 heures", None)]),
    (
        "mt:la-duree-legale-du-travail",
        [
            (
                r"est de 48 heures",
                r"au cours d’une même semaine, la durée maximale hebdomadaire de travail est de 48 heures",
            )
        ],
    ),
    "La durée maximale quotidienne de travail est fixée à 8 heures [1]. Au cours d’une même semaine, la durée maximale hebdomadaire de travail est de 48 heures [2].",
    [OF],
    note="daily vs weekly: not the same thing",
)
pair(
    CO,
    ("sp:F2855", [(r"fixée à 2 mois", None)]),
    (
        "contrib:quelle-est-la-duree-de-preavis-en-cas-de-depart-a-la-retraite",
        [(r"2 ans ou plus d'ancienneté", None)],
    ),
    "La durée du préavis est fixée à 2 mois [1], à partir de 2 ans d'ancienneté [2].",
    [],
)
pair(
    CO,
    ("sp:F40", [(r"égale au minimum à 10 %", None)]),
    ("mt:la-remuneration-du-salarie-en-contrat-a-duree-determinee", [(r"au moins égale à 10 %", None)]),
    "L'indemnité de fin de contrat est égale au minimum à 10 % de la rémunération brute totale versée durant le contrat [1][2].",
    [],
)
pair(
    CO,
    ("mt:le-conge-de-maternite", [(r"prolongé de 2 semaines", r"En cas d’état pathologique[^.]*\.")]),
    (
        "mt:salaries-detaches-vos-droits",
        [(r"au moins 6 semaines avant", r"Elles ont droit au congé de maternité \([^)]*\)")],
    ),
    "Le congé de maternité comprend au moins 6 semaines avant la date prévue pour la naissance et 10 semaines après [2] ; en cas d’état pathologique, il peut être prolongé de 2 semaines avant l’accouchement et de 4 semaines après [1].",
    [OF],
    note="different aspects of the same leave",
)

for i, c in enumerate(cases):
    c["id"] = f"{c['group'][:2]}-{i:02d}"
    c["split"] = "tune" if i % 2 == 0 else "test"
with open(ROOT / "eval" / "datasets" / "flags.jsonl", "w", encoding="utf-8") as f:
    for c in cases:
        f.write(
            json.dumps(
                {
                    k: c[k]
                    for k in (
                        "id",
                        "group",
                        "split",
                        "reference_date",
                        "draft",
                        "passages",
                        "expected",
                        "note",
                    )
                },
                ensure_ascii=False,
            )
            + "\n"
        )
print(len(cases), sum(1 for c in cases if not c["expected"]))
