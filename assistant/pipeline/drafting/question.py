"""What kind of question this is, and for whom — read from the (masked) question alone.

- kind: yes/no, how much / how long, procedure, definition, or open;
- vague: one to four words with no verb and no question mark (« licenciement », « 13eme mois »):
  any single draft would be an arbitrary guess, so the reply asks what the employee wants to know;
- audience: civil service (agent, fonctionnaire, titulaire, contractuel…) or private sector
  (salarié, employeur, entreprise…), when the words say so;
- populations: special cases the question names (under 18, apprentice, disabled worker…). A rule
  written for one of them is not quoted to someone who did not say they belong to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from knowledge_base.analysis import fold

Kind = Literal["yesno", "quantity", "procedure", "definition", "open"]
Audience = Literal["private-sector", "civil-service"]

_YESNO = re.compile(
    r"^(?:est-ce qu|est-il|est-elle|peut-on|puis-je|peut-il|peut-elle|peuvent-ils|dois-je|doit-il|doit-elle|"
    r"doit-on|ai-je|a-t-il|a-t-elle|a-t-on|suis-je|faut-il|y a-t-il|existe-t-il|l'employeur peut-il|"
    r"mon employeur peut-il|un salarié peut-il|un agent peut-il|le salarié peut-il|l'agent peut-il)|"
    r"\b\w+-(?:il|elle|on|je|ils|elles)\b.*\?$",
    re.I,
)
_QUANTITY = re.compile(
    r"\b(?:combien|quel(?:le)?s? (?:est|sont) (?:la|le|les) (?:durée|montant|délai|nombre|taux|plafond|"
    r"minimum|maximum)|quelle durée|quel délai|quel montant|durée maximale|durée minimale|à partir de quand|"
    r"jusqu'à quand|pendant combien)\b",
    re.I,
)
_PROCEDURE = re.compile(
    r"^(?:comment|quelles? (?:démarches?|formalités?|procédures?|étapes?)|que (?:faire|dois-je faire)|"
    r"quelle est la procédure|où )",
    re.I,
)
_DEFINITION = re.compile(r"^(?:qu'est-ce qu|c'est quoi|que signifie|définition|qu'appelle-t-on)", re.I)
_VERB_HINT = re.compile(
    r"\b(?:est|sont|peut|peux|puis|dois|doit|ai|a|avoir|faire|fait|suis|veux|faut)\b|\w+(?:er|ir)\b", re.I
)
_NOT_VERBS = {
    "premier",
    "dernier",
    "janvier",
    "fevrier",
    "dossier",
    "metier",
    "loyer",
    "foyer",
    "papier",
    "courrier",
    "chantier",
    "quartier",
    "plafonnier",
    "avenir",
    "loisir",
    "desir",
    "plaisir",
}

CIVIL_SERVICE = re.compile(
    r"\b(?:fonctionnaires?|fonction publique|agents? (?:public|publics|titulaires?|contractuels?)|"
    r"titulaires?|contractuels? de (?:l'etat|la fonction)|stagiaires? de la fonction|detachement|"
    r"disponibilite|mise a disposition|corps|grade|echelon|indice (?:majore|brut)|categorie [abc]\b|"
    r"administration|ministere|rectorat|academie|collectivite|hospitali\w+|cgos|cnracl|"
    r"conge de longue (?:maladie|duree)|\bclm\b|\bcld\b|\bcitis\b|traitement indiciaire|nbi|rifseep|"
    r"concours|cap\b|comite social d'administration|fpe|fpt|fph)\b"
)
PRIVATE_SECTOR = re.compile(
    r"\b(?:salaries?|employeurs?|entreprises?|cdi|cdd|interim\w*|convention collective|prud'?hom\w*|"
    r"rupture conventionnelle|cse|smic|urssaf|pole emploi|france travail|patron|societe|intermittent)\b"
)
# Special populations: folded patterns; a rule for one of them is not quoted to someone else.
POPULATIONS: dict[str, re.Pattern[str]] = {
    "jeunes": re.compile(r"\b(?:moins de 18 ans|jeunes? travailleurs?|mineurs?|jeunes? de moins)\b"),
    "apprentis": re.compile(r"\b(?:apprenti\w*|contrat de professionnalisation|alternan\w*)\b"),
    "handicap": re.compile(r"\b(?:handicap\w*|rqth|boeth)\b"),
    "particulier employeur": re.compile(
        r"\b(?:particulier employeur|assistante?s? maternel\w*|employe\w* de maison|aide a domicile|cesu)\b"
    ),
    "alsace-moselle": re.compile(r"\b(?:alsace|moselle|bas-rhin|haut-rhin)\b"),
    "outre-mer": re.compile(r"\b(?:outre-mer|mayotte|guadeloupe|martinique|guyane|reunion)\b"),
    "stagiaire": re.compile(r"\b(?:stagiaires?|stage en entreprise|gratification de stage)\b"),
    "interim": re.compile(r"\b(?:interim\w*|travail temporaire|entreprise de travail temporaire)\b"),
    "saisonnier": re.compile(r"\bsaisonni\w+\b"),
    "transport": re.compile(r"\b(?:routiers?|chauffeurs?|personnel roulant|transports? routiers?)\b"),
    "marins": re.compile(r"\b(?:marins?|gens de mer|navigants?)\b"),
    "journalistes": re.compile(r"\bjournalistes?\b"),
    "vrp": re.compile(r"\b(?:vrp|voyageurs? representants?)\b"),
    "concierges": re.compile(r"\b(?:concierges?|gardiens? d'immeuble)\b"),
    "intermittents": re.compile(r"\b(?:intermittents?|spectacle)\b"),
    "agriculture": re.compile(r"\b(?:agricole|agriculture|msa)\b"),
}


MAX_VAGUE_WORDS = 4  # search-box queries (« cheque vacances comite entreprise ») are keyword lists too


@dataclass(frozen=True)
class QuestionProfile:
    kind: Kind
    vague: bool
    audience: Audience | None  # from the words of the question (None: it does not say)
    populations: frozenset[str]
    asked: str = ""  # what is asked: a long message's question sentences, else the whole question


@lru_cache(maxsize=65536)
def audience_of(text: str) -> Audience | None:
    folded = fold(text)
    civil, private = len(CIVIL_SERVICE.findall(folded)), len(PRIVATE_SECTOR.findall(folded))
    if civil > private:
        return "civil-service"
    if private > civil:
        return "private-sector"
    return None


@lru_cache(maxsize=65536)
def populations_of(text: str) -> frozenset[str]:
    folded = fold(text)
    return frozenset(name for name, pattern in POPULATIONS.items() if pattern.search(folded))


def is_vague(question: str) -> bool:
    words = question.strip().rstrip("?").split()
    if not 1 <= len(words) <= MAX_VAGUE_WORDS or question.strip().endswith("?"):
        return False
    verbs = [w for w in _VERB_HINT.findall(fold(question)) if fold(w) not in _NOT_VERBS]
    return not verbs


def profile(question: str) -> QuestionProfile:
    q = " ".join(question.split())
    # The last question of a message is the one to answer (e-mails tell a story first).
    asked = q[: q.rfind("?") + 1] if "?" in q else q
    last = re.split(r"(?<=[.!?])\s+", asked)[-1] if asked else q
    kind: Kind = "open"
    if _DEFINITION.search(last):
        kind = "definition"
    elif _QUANTITY.search(last):
        kind = "quantity"
    elif _PROCEDURE.search(last):
        kind = "procedure"
    elif _YESNO.search(last):
        kind = "yesno"
    return QuestionProfile(kind, is_vague(q), audience_of(q), populations_of(q), asked_part(q))


LONG_MESSAGE_WORDS = 40


def asked_part(q: str) -> str:
    """In a long message, the sentences that ask (end with « ? ») carry what must be answered; the
    story around them would make every passage look half-relevant."""
    if len(q.split()) < LONG_MESSAGE_WORDS:
        return q
    questions = [s for s in re.split(r"(?<=[.!?])\s+", q) if s.endswith("?")]
    return " ".join(questions) if questions and len(" ".join(questions).split()) >= 4 else q
