"""French recognisers for the PII masker (``assistant.pipeline.pii``), as Presidio recognisers.

Two families:

- ``RegexRecognizer``: a compiled, case-SENSITIVE pattern (Presidio's own ``PatternRecognizer``
  compiles with IGNORECASE, which would turn every capitalised-word rule into "any word"); a named
  group ``v`` narrows the masked span to the value (the context words stay visible), an optional
  validator drops look-alikes. Used for EMAIL, IBAN, NIR, PHONE, ADDRESS, DATE_OF_BIRTH (only after
  « né(e) le », « date de naissance », « DDN »…), EMPLOYEE_ID (after « matricule », « NUMEN »… or
  shaped like « EMP-2019-00457 »), and the rule-based names (after a civility, a known first name
  followed by a surname, the signature line after « Cordialement, »).
- ``FrenchPersonRecognizer``: the PER spans of spaCy's ``fr_core_news_sm`` (Presidio's NLP
  artefacts), FILTERED — the small model tags many capitalised common words and greetings as PER
  (« Congés », « Bonjour Madame »): civilities, greetings, months, HR terms and acronyms are
  trimmed off, a single word is kept only when it is a known first name or a proper noun that does
  not start the sentence. ORG/LOC/MISC are never masked (public bodies and places are not personal).

Entity names are the ``PiiKind`` values of ``pii.py``; overlaps are resolved there.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

# --- shared vocabulary -----------------------------------------------------------------------------

_MONTHS = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre"
    "|décembre|decembre"
)
_SP = r"[ \t]+"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A hand-written list of first names common in France (all origins). Not exhaustive: it only helps
# the NER (lower-case names, names at the start of a sentence, a first name alone). Names that are
# also ordinary words or places (France, Marine, Rose, Pierre in lower case…) are in _AMBIGUOUS.
FIRST_NAMES = _words(
    """
    aaron abdel abdallah abdelkader abdoulaye abel adam adèle adeline adrien agathe agnès ahmed aïcha
    aicha aimée alain alan albert alexandra alexandre alexis alice aline alix amandine amélie amelie
    amina amine anaïs anais andré andre andrée angélique angelique anne annabelle annick annie
    anthony antoine antonin apolline ariane armand arnaud arthur astrid audrey augustin aurélie
    aurelie aurélien aurelien axel aya aymeric baptiste barbara bastien béatrice beatrice benjamin
    benoît benoit bérénice bernadette bernard bertrand blandine boris brigitte bruno camille capucine
    carine carole caroline catherine cécile cecile céline celine chantal charles charlotte chloé chloe
    christelle christian christiane christine christophe claire clara claude claudine clément clement
    clémence clemence coralie corinne cyril cyrille damien daniel danièle daniele danielle david
    delphine denis denise didier dimitri djamel dominique dorian dylan edith édith edouard édouard
    éléonore eleonore elias élise elise élodie elodie éloïse eloise emma emmanuel emmanuelle enzo éric
    eric estelle esther ethan étienne etienne eugénie eva évelyne evelyne fabien fabienne fabrice
    farid fatima fatou fatoumata félix felix fernand fernando florence florent florian francis
    françois francois françoise francoise franck frédéric frederic frédérique gabriel gabrielle gaël
    gael gaëlle gaelle gaétan gaetan geneviève genevieve georges gérald gérard gerard géraldine
    ghislaine gilbert gilles ginette gisèle grégoire grégory gregory guillaume gustave guy hakim
    halima hamid hassan hélène helene henri hervé herve hugo hugues ibrahim inès ines irène irene
    isabelle jacqueline jacques jade james jean jeanne jérémy jeremy jérôme jerome jessica joël joel
    joëlle joelle johan jonathan jordan joseph josé jose josette josiane jules julia julie julien
    juliette justine karim karima karine kevin kévin khadija laetitia laëtitia lætitia laura laure
    laurence laurent léa lea léo leo léon leon léna lena liam lilian liliane lina lionel loïc loic
    lou louis louise luc lucas lucie lucien lucille ludovic lydie madeleine maël mael magali malik
    manon manuel marc marcel marguerite maria marie marine mario marion marius marthe martin martine
    maryse mathias mathieu mathilde matthieu maurice maxime médéric mehdi mélanie melanie mélissa
    michel michèle michele micheline mickaël mickael mohamed mohammed monique morgane moussa muriel
    myriam nabil nadia nadine nadège najat nathalie nathan nicolas nicole noah noémie noemie nora
    norbert océane oceane odette odile olivia olivier omar pascal pascale patrice patricia patrick
    paul paule pauline perrine philippe pierre pierrette quentin rachel rachid raphaël raphael
    raphaëlle raymond rayan régine regine rémi remi rémy renaud renée richard robert robin rodolphe
    roger roland romain romane roxane ruben rémy sabine sabrina salomé samia samir samuel sandra
    sandrine sarah sébastien sebastien serge sévérine séverine severine simon simone solène solene
    sonia sophie stéphane stephane stéphanie stephanie suzanne sylvain sylvie tatiana théo theo
    thérèse therese thibault thibaut thierry thomas timothée tiphaine tom tristan valentin valentine
    josée josee josiane mireille paulette jacky jocelyne jocelyn rené rene gaston marcel
    naïma naima nawel nassim lamia latifa malika mounir mustapha rachida saïd said salima sofia
    yasmina zohra zineb kamel khaled fouad farida fatiha houria idriss ilyes imane jamel jamila
    aurore margaux maëlle maelle clarisse coline elsa fanny gwenaëlle gwenaelle hortense lise
    loane louna maud mylène nina ophélie oriane rébecca sacha sasha soline tessa ysaline
    bastien corentin erwan gaspard gauthier killian kylian loris mathéo matteo noé nolan sylvestre
    thibaud timéo titouan tanguy yohann yoann wilfried
    valérie valerie vanessa véronique veronique victor victoria vincent virginie vivien xavier
    yacine yann yannick yasmine yassine yves yvette yvonne zoé zoe youssef nour sofiane bilal
    walid kader mourad nadir sami souad leïla leila linh thi van minh anh duc huong lan mai ngoc
    quang thanh trung tuan joão joao maria-josé antónio antonio ana manuela rosa carlos miguel
    luis luisa pedro jorge sergio giovanni marco paolo francesca giulia kofi aminata mamadou ousmane
    seydou awa mariama ibrahima cheikh aliou oumar adama binta fanta kadiatou
    """
)
# Also ordinary French words, places or bodies: never a name on their own, only before a surname.
_AMBIGUOUS = _words(
    "france marine rose claire pierre mai lan van thi jade lou victoire noël noel constant aimé aimée grace"
)

# Capitalised words that the small model tags as PER and that are not names.
NOT_NAME_WORDS = _words(
    """
    bonjour bonsoir salut cordialement merci madame monsieur mademoiselle mme mlle mr m me dr docteur
    maître professeur mesdames messieurs chère cher chers chères bien sincèrement respectueusement
    salutations amicalement bonne journée soirée
    janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre décembre
    decembre lundi mardi mercredi jeudi vendredi samedi dimanche
    congé congés conges cp rtt cet cse cssct cst chsct drh rh dreets direccte urssaf cpam caf cnil
    mdph cap ccas cdg insee pôle pole emploi travail france éducation education nationale rectorat
    académie academie ministère ministere préfecture prefecture mairie commune région region
    département departement conseil prud'hommes prudhommes tribunal inspection inspecteur inspectrice
    directeur directrice président présidente maire préfet préfète recteur rectrice chef cheffe
    responsable secrétaire gestionnaire agent agente salarié salariée employeur fonctionnaire
    contractuel contractuelle titulaire stagiaire adjoint adjointe attaché attachée rédacteur
    rédactrice technicien technicienne ingénieur ingénieure professeure enseignant enseignante
    aesh atsem asem cdi cdd ctt smic spp ifse rifseep nbi cia gipa mutuelle prévoyance retraite
    sécurité securite sociale code article loi décret decret arrêté arrete circulaire cerfa idcc
    convention collective accord avenant catégorie categorie échelon echelon grade indice classe
    bulletin paie salaire prime indemnité indemnite télétravail teletravail temps partiel maladie
    maternité paternité parental arrêt arret visite médicale medecine médecine santé sante
    pâques paques pentecôte pentecote toussaint ascension assomption noël armistice
    alsace moselle lorraine bretagne normandie corse provence bourgogne aquitaine occitanie savoie
    guadeloupe martinique guyane réunion reunion mayotte outre-mer dom tom métropole metropole
    saint sainte cass soc civ crim ce cour cass. cjue cedh jurisprudence
    question objet réf ref pj nb ps svp je vous nous il elle on ils elles mon ma mes votre vos notre
    dois puis peut peux suis est sont ai avez avons quand comment pourquoi combien quel quelle
    quels quelles est-ce qu'en qui que quoi où ou et le la les un une des du de au aux ce cette
    """
)

_CIVILITY_WORDS = r"(?:monsieur|madame|mademoiselle|mme|mlle|mr|m|me|dr|docteur|maître|maitre)"

# --- regex recogniser ------------------------------------------------------------------------------


class RegexRecognizer(EntityRecognizer):
    """One entity kind from a case-sensitive compiled pattern; group ``v`` (if any) is the value."""

    def __init__(
        self,
        entity: str,
        pattern: re.Pattern[str],
        *,
        name: str,
        score: float = 0.9,
        validate: Callable[[str], bool] | None = None,
    ) -> None:
        self.pattern = pattern
        self.score = score
        self.validate = validate
        super().__init__(supported_entities=[entity], name=name, supported_language="fr")

    def load(self) -> None:  # nothing to load: the pattern is compiled at import
        return None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for match in self.pattern.finditer(text):
            group = "v" if "v" in self.pattern.groupindex and match.group("v") is not None else 0
            start, end = match.span(group)
            value = text[start:end]
            if start == end or (self.validate is not None and not self.validate(value)):
                continue
            results.append(RecognizerResult(self.supported_entities[0], start, end, self.score))
        return results


# --- patterns --------------------------------------------------------------------------------------

EMAIL = re.compile(r"(?<![\w.+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

# Country code + check digits + 11–30 alphanumerics, in groups of four or not. Groups are
# upper-case/digits only so that a following French word is never swallowed into the IBAN.
IBAN = re.compile(r"\b(?:[A-Z]{2}|[a-z]{2})\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b")


def _iban_ok(value: str) -> bool:
    return sum(c.isdigit() for c in value) >= 10  # keeps codes such as "AB12 CDEF GHIJ" out


# Sex (1/2, 7/8 for temporary numbers), year, month, department (2A/2B for Corsica), commune,
# order number, optional key. One separator kind between fields (space, dot, dash); the key may be
# set apart (« 084 - 36 », « 084 clé 36 »). Grouped amounts never have 13 digits in this shape.
_NS = r"[ .\-\u00a0]?"
NIR = re.compile(
    rf"(?<![\d,.])[1278]{_NS}\d{{2}}{_NS}\d{{2}}{_NS}(?:\d{{2}}|2[AB]){_NS}\d{{3}}{_NS}\d{{3}}"
    rf"(?:(?:[ \t\u00a0]*[-–/.][ \t\u00a0]*|[ \t\u00a0]*\(?(?:clé|cle|clef)[ \t]*:?[ \t]*|{_NS})\d{{2}}\)?)?"
    rf"(?!\d|,\d)"
)

# 0X XX XX XX XX with spaces, dots or dashes (or none), or the +33 / 0033 forms, "(0)" tolerated.
PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)33[ .-]?(?:\(0\)[ .-]?)?|0)[1-9](?:[ .-]?\d{2}){4}(?!\d)")

# Within a line only: a street or a name never runs on to the next line, which starts a sentence.
_STREET_TYPES_ANY_CASE = r"rue|avenue|av\.|bd|boulevard|allée|allee|impasse|quai|faubourg|lotissement"
# These are also ordinary words ("2 cours de français", "1 place de parking"): the street name
# after them must be capitalised.
_STREET_TYPES_CAPITALISED = r"place|cours|route|chemin|square|voie|passage|résidence|residence|cité|esplanade"
_PARTICLE = rf"(?:(?:de|du|des|la|le|les|aux|au|à|sur|sous|en|et|Saint|Sainte|St|Ste){_SP}|[ldLD]['’])"
_CAP_WORD = r"[A-ZÀ-Ý][\w'’-]*"
_ANY_WORD = r"[\w][\w'’-]*"
_NUMBER = rf"\b\d{{1,4}}(?:[ \t]?(?:bis|ter|quater|[A-D])\b)?,?{_SP}"
_POSTCODE_CITY = (
    rf"\b(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}}{_SP}[A-ZÀ-Ý][\w'’-]*"
    rf"(?:{_SP}(?:sur|sous|en|lès|les|le|la|de|du)[ -][A-ZÀ-Ý][\w'’-]*)*"
    rf"(?:{_SP}(?:Cedex|CEDEX)(?:{_SP}\d{{1,2}})?)?"
)
_STREET = (
    rf"{_NUMBER}(?:"
    rf"(?i:{_STREET_TYPES_ANY_CASE}){_SP}{_PARTICLE}*{_ANY_WORD}"
    rf"|(?i:{_STREET_TYPES_CAPITALISED}){_SP}{_PARTICLE}*{_CAP_WORD}"
    rf")(?:{_SP}{_PARTICLE}*{_CAP_WORD}){{0,4}}"
)
# « Résidence Les Tilleuls, bâtiment C, appartement 12, » before the street.
_COMPLEMENT = (
    rf"(?:(?i:résidence|residence|bâtiment|batiment|bât\.|bat\.|appartement|appt\.?|apt\.?|escalier|esc\.|"
    rf"étage|etage|lieu-dit|hameau){_SP}(?:{_PARTICLE}*[\w'’-]+)(?:{_SP}{_PARTICLE}*{_CAP_WORD}){{0,3}},?{_SP})"
)
ADDRESS = re.compile(rf"{_COMPLEMENT}*(?:{_STREET}(?:,?{_SP}{_POSTCODE_CITY})?|{_POSTCODE_CITY})")

# Dates of birth: ONLY after a birth context (HR questions are full of ordinary dates). The value
# is the date; « né(e) à Lyon le » and a few words between the context and the date are allowed.
_DATE_NUMERIC = (
    r"(?:\d{1,2}[ \t]?[/.\-][ \t]?\d{1,2}[ \t]?[/.\-][ \t]?(?:\d{4}|\d{2})|(?:19|20)\d{2}-\d{2}-\d{2})(?!\d)"
)
_DATE_WORDS = rf"(?:1er|\d{{1,2}}){_SP}(?i:{_MONTHS}){_SP}(?:\d{{4}}|\d{{2}})(?!\d)"
_MONTH_YEAR = rf"(?i:{_MONTHS}){_SP}\d{{4}}(?!\d)"
_YEAR = r"(?:19|20)\d{2}(?!\d)"
# Singular only: « les agents nés en 1962 » is a cohort, not somebody's date of birth.
_BORN = r"(?i:\bn[ée](?:\(e\)|e)?(?![\w(]))"
DATE_OF_BIRTH = re.compile(
    rf"(?:"
    # né(e) le 14/03/1962 ; né à Lyon le 2 mai 1990 ; née le : 23.11.1975
    rf"{_BORN}(?:{_SP}(?i:à|a){_SP}[^\n,;.]{{1,40}}?)?{_SP}(?i:le)[ \t:]*(?P<v>{_DATE_NUMERIC}|{_DATE_WORDS})"
    # né en 1962 ; né en mars 1975
    rf"|{_BORN}(?:{_SP}(?i:à|a){_SP}[^\n,;.]{{1,40}}?)?{_SP}(?i:en){_SP}(?P<y>{_MONTH_YEAR}|{_YEAR})"
    # date de naissance : 14/03/1962 ; DDN 23.11.1975 ; ma date de naissance est le 2 mai 1990
    rf"|(?:(?i:date|année|annee|jour){_SP}(?i:de){_SP}(?i:naissance)|\bD\.?D\.?N\b|\bddn\b|(?i:\bnaissance\b))"
    rf"[^\n\d]{{0,30}}?(?P<d>{_DATE_NUMERIC}|{_DATE_WORDS}|{_MONTH_YEAR}|{_YEAR})"
    rf")"
)

# Employee numbers: after a context word, or shaped like an HR system id (« EMP-2019-00457 »).
_ID_CONTEXT = (
    r"(?i:matricule"
    r"|(?:n°|no|num(?:éro|ero)?\.?)[ \t]*(?:d['’][ \t]*|de[ \t]+)?(?:agent|employée?|salariée?|personnel)"
    r"|agent[ \t]+(?:n°|no|num(?:éro|ero)?)|identifiant[ \t]+(?:rh|agent|salarié|employé|sirh)"
    r"|id[ \t]+(?:rh|agent|salarié|employé)|numen|code[ \t]+agent|agent(?=[ \t]+\d))"
)
_ID_VALUE = (
    r"(?:\d{1,3}(?:[ \u00a0]\d{3})+(?!\d|[,.]\d)"  # « 548 996 »
    r"|(?=[A-Za-z0-9/_-]*\d[A-Za-z0-9/_-]*\d)[A-Za-z0-9](?:[A-Za-z0-9/_-]*[A-Za-z0-9])?)"
)
_ID_SHAPE = (
    r"(?<![\w-])(?!(?:CERFA|IDCC|ISO|NOR|JORF|SIRET|SIREN|TVA|COVID|RFC|ISBN)\b)"
    r"[A-Z]{2,5}[-_]?(?:\d{2,4}[-_])?\d{4,8}(?![\w-])"
)
EMPLOYEE_ID = re.compile(
    rf"{_ID_CONTEXT}[ \t]*(?:(?i:n°|no|numéro|numero|de|est|:|#|le|agent|rh|salarié|employé)[ \t]*){{0,3}}"
    rf"(?P<v>{_ID_VALUE})"
    rf"(?![ \t]*(?:€|(?i:euros?|eur|%|h\b|heures?|jours?|ans?|mois|semaines?)))"
    rf"|(?P<s>{_ID_SHAPE})"
)


def _id_ok(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    return digits >= 4 and len(value) <= 20


# Names after a civility: only the name is masked, the civility stays (gender, politeness).
_CIVILITY = r"(?:(?i:monsieur|madame|mademoiselle|mme|mlle|mr)\.?|M\.?|Me|Dr\.?|Docteur)"
_NAME_PARTICLE = rf"(?:(?:de|du|des|le|la|van|von|di|da|del|ben|el){_SP}|[dD]['’])"
_NAME_WORD = r"[A-ZÀ-Ý][\w'’]*(?:-[A-Za-zÀ-ÿ][\w'’]*)*"
# Not names after a civility: titles ("Madame la Directrice") and the words a sentence starts with
# when the comma after a greeting is missing ("Bonjour Madame Je voudrais…").
_NOT_NAMES = (
    r"(?i:directeur|directrice|maire|président|présidente|ministre|préfet|préfète|recteur|rectrice|juge"
    r"|chef|cheffe|responsable|secrétaire|inspecteur|inspectrice|conseiller|conseillère|docteur|drh"
    r"|bonjour|merci|cordialement|je|j['’]|nous|vous|il|elle|on|ils|elles|ce|cet|cette|ces|mon|ma|mes"
    r"|votre|vos|notre|suite|pourriez|pouvez|est|et|ou|qui|pour|avec|depuis|concernant)(?![\w'’])"
)
_NOT_A_NAME = rf"(?!(?i:(?:le|la|les|l['’])[ \t]*)?{_NOT_NAMES})"
NAME_AFTER_CIVILITY = re.compile(
    rf"(?<![\w.]){_CIVILITY}{_SP}(?P<v>{_NOT_A_NAME}{_NAME_PARTICLE}*{_NAME_WORD}"
    rf"(?:{_SP}{_NAME_PARTICLE}*{_NOT_A_NAME}{_NAME_WORD})?)"
)
# Typed all in lower case ("mme dupont"): one or two words, never a function word or a title.
_FUNCTION_WORDS = r"(?:le|la|les|l|de|du|des|d|a|à|que|en|sur|et|ou|qui|pour|est|a)\b"
NAME_AFTER_CIVILITY_LOWER = re.compile(
    rf"(?<![\w.])(?i:monsieur|madame|mademoiselle|mme|mlle|mr)\.?{_SP}"
    rf"(?P<v>(?!{_FUNCTION_WORDS}){_NOT_A_NAME}[a-zà-ÿ][a-zà-ÿ-]+)\b"
)

# The signature of an e-mail: the line(s) after a closing formula, one to four name-like words.
_CLOSING = (
    r"(?im:^[ \t]*(?:(?:bien[ \t]+|très[ \t]+)?cordialement|bien[ \t]+à[ \t]+vous|salutations"
    r"|respectueusement|sincèrement|amicalement|merci|bonne[ \t]+(?:journée|soirée|fin|continuation)"
    r"|à[ \t]+bientôt"
    r"|dans[ \t]+l['’]attente|en[ \t]+vous[ \t]+remerciant|je[ \t]+vous[ \t]+remercie|veuillez|avec[ \t]+mes)"
    r"[^\n]{0,100}?)"
)
_SIG_WORD = r"(?:[A-ZÀ-Ý][\w'’]*(?:-[A-Za-zÀ-ÿ][\w'’]*)*|[A-Z]\.)"
SIGNATURE = re.compile(
    rf"{_CLOSING}[ \t]*[,.!]?[ \t]*(?:\r?\n[ \t]*)+(?:{_CIVILITY}{_SP})?"
    rf"(?P<v>{_SIG_WORD}(?:[ \t]+(?:{_NAME_PARTICLE})?{_SIG_WORD}){{0,3}})[ \t]*(?=\r?\n|$|,)"
)


# A self-introduction: « Je suis Aurore Vasseur », « je m'appelle Naïma Haddad », « ici Paul Roy ».
INTRO_NAME = re.compile(
    rf"(?i:\bje[ \t]+suis|\bje[ \t]+m['’]appelle|\bmoi[ \t]*,?[ \t]+c['’]est"
    rf"|\bmon[ \t]+nom[ \t]+est|\bici)[ \t]+"
    rf"(?P<v>{_NAME_WORD}(?:[ \t]+(?:{_NAME_PARTICLE})?{_NAME_WORD}){{1,2}})"
)


# Form fields: « Agent : Marie-Josée Payet », « Nom : DUPONT Jean ».
FIELD_NAME = re.compile(
    rf"(?im:^[ \t]*(?:nom(?:[ \t]+(?:et|/)[ \t]+pr[ée]nom)?|pr[ée]nom(?:[ \t]+(?:et|/)[ \t]+nom)?"
    rf"|agent|salariée?|demandeu(?:r|se)|expéditeur|expéditrice|de|from|signataire|intéressée?|employée?|collaborat(?:eur|rice)"
    rf"|candidat|candidate|nom[ \t]+de[ \t]+naissance|nom[ \t]+d['’]usage)[ \t]*:[ \t]*)"
    rf"(?:{_CIVILITY}{_SP})?(?P<v>{_SIG_WORD}(?:[ \t]+(?:{_NAME_PARTICLE})?{_SIG_WORD}){{0,3}})"
    rf"[ \t]*(?=\r?\n|$|,|\()"
)


# --- names: a known first name and its surname ------------------------------------------------------

_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’]*(?:-[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’]*)*")


def _is_first_name(word: str) -> bool:
    parts = word.casefold().split("-")
    return all(p in FIRST_NAMES for p in parts)


def _not_name(word: str) -> bool:
    folded = word.casefold()
    return folded in NOT_NAME_WORDS or folded.split("-")[0] in ("saint", "sainte", "st", "ste")


class FirstNameRecognizer(EntityRecognizer):
    """A known first name followed by a surname (« Karim Benali », « jean-pierre moreau »), or a
    capitalised known first name alone that does not start a sentence. Uses the spaCy tokens only
    for the part of speech of a lower-case surname (a verb after « jean » is not a surname)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["NAME"], name="FrenchFirstNames", supported_language="fr")

    def load(self) -> None:
        return None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        words = list(_WORD.finditer(text))
        results: list[RecognizerResult] = []
        i = 0
        while i < len(words):
            w = words[i]
            word = w.group()
            if not _is_first_name(word) or (word.islower() and word.casefold() in _AMBIGUOUS):
                i += 1
                continue
            capitalised = word[0].isupper()
            begin, end = w.start(), w.end()
            # « DUPONT Pierre »: a surname in capitals before the first name.
            if i > 0 and capitalised and text[words[i - 1].end() : w.start()] == " ":
                before = words[i - 1].group()
                article = i > 1 and words[i - 2].group().casefold() in _ARTICLES  # « la DGAFP Paul »
                if before.isupper() and len(before) >= 3 and not _not_name(before) and not article:
                    begin = words[i - 1].start()
            j = i + 1
            # The surname: following words on the same line, separated by one space.
            while j < len(words) and j <= i + 3:
                nxt = words[j]
                gap = text[end : nxt.start()]
                if gap not in (" ", "\u00a0"):
                    break
                token = nxt.group()
                if _not_name(token) and token.casefold() not in ("de", "le", "la", "du", "van", "ben", "el"):
                    break
                if token.casefold() in ("de", "le", "la", "du", "van", "ben", "el"):
                    if j + 1 < len(words) and words[j + 1].group()[0].isupper() and token[0].islower():
                        j += 1
                        end = nxt.end()
                        continue
                    if not token[0].isupper():
                        break
                if token[0].isupper() and (capitalised or token.isupper()):
                    pass
                elif token.islower() and not capitalised:
                    if is_word_form(nlp_artifacts, token) or _STOP.match(token):
                        break
                else:
                    break
                end = nxt.end()
                j += 1
            if j > i + 1 or begin < w.start():
                results.append(RecognizerResult("NAME", begin, end, 0.85))
            elif (
                capitalised
                and word.casefold() not in _AMBIGUOUS
                and not _sentence_initial(text, w.start())
                and not word.isupper()
            ):
                results.append(RecognizerResult("NAME", w.start(), end, 0.6))
            i = max(j, i + 1)
        return results


_common_lock = threading.Lock()
_common_words: frozenset[str] | None = None  # forms and lemmas (the lemma index also has surnames)
_word_forms: Any = None  # the lemmatizer's form table (keys are hashed): verbs, plurals… (few surnames)


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c))


def is_common_word(nlp_artifacts: NlpArtifacts | None, word: str) -> bool:
    """A French common word (any inflection, accents optional) per the model's lemmatizer tables;
    built once from the loaded model. Surnames that are also words (Petit, Boulanger) are in."""
    _load_lexicon(nlp_artifacts)
    folded = _fold(word)
    return folded in (_common_words or ()) or is_word_form(nlp_artifacts, word)


def is_word_form(nlp_artifacts: NlpArtifacts | None, word: str) -> bool:
    """An inflected French form (« demande », « veut », « congés »): after a lower-case first name,
    such a word is the verb or noun of the sentence, not a surname (« moreau » is not one)."""
    _load_lexicon(nlp_artifacts)
    return _word_forms is not None and word.casefold() in _word_forms


def _load_lexicon(nlp_artifacts: NlpArtifacts | None) -> None:
    global _common_words, _word_forms
    if _common_words is not None or nlp_artifacts is None:
        return
    with _common_lock:
        if _common_words is None:
            engine: Any = nlp_artifacts.nlp_engine  # a SpacyNlpEngine (pii.py configures it)
            lookups = engine.get_nlp("fr").get_pipe("lemmatizer").lookups
            # The lemma_lookup table is keyed by string hashes: membership only, no folding.
            _word_forms = lookups.get_table("lemma_lookup")
            words: set[str] = set()
            for values in lookups.get_table("lemma_index").values():
                words.update(_fold(w) for w in values if isinstance(w, str))
            _common_words = frozenset(words)


_ARTICLES = _words("la le les l du des de au aux un une sa son ses ma mon mes cette ce cet leur notre votre")
_STOP = re.compile(
    r"(?:le|la|les|l|de|du|des|d|un|une|et|ou|à|a|au|aux|en|sur|sous|dans|par|pour|avec|sans|que|qui|ne"
    r"|pas|je|tu|il|elle|on|nous|vous|ils|elles|me|te|se|mon|ma|mes|son|sa|ses|ici|est|ai|a|veut|peut)$"
)


_NOUNISH = ("PROPN", "NOUN", "ADJ", "X", None)


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \t\u00a0\"«“'(")
    return not before or before[-1] in ".!?:\n;"


# --- names: spaCy PER, filtered --------------------------------------------------------------------


class FrenchPersonRecognizer(EntityRecognizer):
    """spaCy PER spans, trimmed and filtered for precision (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["NAME"], name="SpacyFrenchPER", supported_language="fr")

    def load(self) -> None:
        return None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if nlp_artifacts is None:
            return []
        results = []
        for ent in nlp_artifacts.entities:
            if ent.label_ not in ("PER", "NAME"):
                continue
            tokens = [t for t in ent if not t.is_space]
            # Trim civilities, greetings, HR words and punctuation from both ends.
            while tokens and (
                _not_name(tokens[0].text) or (not tokens[0].is_alpha and "-" not in tokens[0].text)
            ):
                tokens = tokens[1:]
            while tokens and (
                _not_name(tokens[-1].text) or (not tokens[-1].is_alpha and "-" not in tokens[-1].text)
            ):
                tokens = tokens[:-1]
            # A lower-case verb or common word glued to a lower-case name (« thomas travaille »).
            while (
                len(tokens) > 1
                and tokens[-1].text.islower()
                and (is_word_form(nlp_artifacts, tokens[-1].text) or tokens[-1].pos_ not in _NOUNISH)
            ):
                tokens = tokens[:-1]
            if not tokens or "\n" in text[tokens[0].idx : tokens[-1].idx + len(tokens[-1])]:
                continue
            if any(_not_name(t.text) for t in tokens) or _looks_like_a_term(tokens):
                continue
            words = [t.text for t in tokens]
            known = any(_is_first_name(w) for w in words)
            # « prime Cabinets Medicaux »: a title-case phrase of common words, not a name.
            if not known and any(is_common_word(nlp_artifacts, w) for w in words):
                continue
            initial = _sentence_initial(text, tokens[0].idx)
            if len(tokens) == 1:
                t = tokens[0]
                if not known and (initial or t.pos_ != "PROPN" or len(t.text) < 3 or t.text.isupper()):
                    continue
                if t.text.islower() and not known:
                    continue
            elif not known and (initial or not all(w[0].isupper() for w in words)):
                continue
            start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
            results.append(RecognizerResult("NAME", start, end, 0.75 if known else 0.6))
        return results


def _looks_like_a_term(tokens: Iterable[Any]) -> bool:
    """Digits, all-caps acronyms of up to five letters, words with a dot: not names."""
    for t in tokens:
        s = t.text
        if any(c.isdigit() for c in s) or (s.isupper() and len(s) <= 5) or "." in s:
            return True
    return False


# --- the registry ----------------------------------------------------------------------------------


def recognizers() -> list[EntityRecognizer]:
    return [
        RegexRecognizer("EMAIL", EMAIL, name="FrEmail", score=1.0),
        RegexRecognizer("IBAN", IBAN, name="FrIban", score=1.0, validate=_iban_ok),
        RegexRecognizer("NIR", NIR, name="FrNir", score=1.0),
        RegexRecognizer("PHONE", PHONE, name="FrPhone", score=0.95),
        RegexRecognizer("ADDRESS", ADDRESS, name="FrAddress", score=0.9),
        _GroupsRecognizer("DATE_OF_BIRTH", DATE_OF_BIRTH, ("v", "y", "d"), name="FrDateOfBirth"),
        _GroupsRecognizer("EMPLOYEE_ID", EMPLOYEE_ID, ("v", "s"), name="FrEmployeeId", validate=_id_ok),
        RegexRecognizer("NAME", NAME_AFTER_CIVILITY, name="FrNameAfterCivility", score=0.95),
        RegexRecognizer("NAME", NAME_AFTER_CIVILITY_LOWER, name="FrNameAfterCivilityLower", score=0.9),
        RegexRecognizer("NAME", SIGNATURE, name="FrSignature", score=0.9, validate=_signature_ok),
        RegexRecognizer("NAME", INTRO_NAME, name="FrSelfIntroduction", score=0.85, validate=_intro_ok),
        RegexRecognizer("NAME", FIELD_NAME, name="FrFormField", score=0.9, validate=_signature_ok),
        FirstNameRecognizer(),
        FrenchPersonRecognizer(),
    ]


def _signature_ok(value: str) -> bool:
    words = value.split()
    return not any(_not_name(w.strip(".")) and len(w) > 2 for w in words)


def _intro_ok(value: str) -> bool:
    # Needs a word the model does not know as a common word: « Je suis Agent Technique » is a job.
    words = value.split()
    return _signature_ok(value) and not all(_fold(w) in (_common_words or ()) for w in words)


class _GroupsRecognizer(RegexRecognizer):
    """A pattern with alternatives, each naming its value group."""

    def __init__(
        self,
        entity: str,
        pattern: re.Pattern[str],
        groups: tuple[str, ...],
        *,
        name: str,
        validate: Callable[[str], bool] | None = None,
    ) -> None:
        self.groups = groups
        super().__init__(entity, pattern, name=name, score=0.95, validate=validate)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for match in self.pattern.finditer(text):
            group = next((g for g in self.groups if match.group(g) is not None), None)
            if group is None:
                continue
            start, end = match.span(group)
            if self.validate is not None and not self.validate(text[start:end]):
                continue
            results.append(RecognizerResult(self.supported_entities[0], start, end, self.score))
        return results
