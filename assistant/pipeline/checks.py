"""Checks on a draft before the agent sees it.

- Citations: every [n] must name a passage that was retrieved and given to the drafter; others are
  removed from the text and flagged.
- Unverified facts: URLs, e-mails, phone numbers, amounts, durations and article numbers in a
  sentence are looked for in the passages that sentence cites (a sentence without citation: those
  its paragraph cites, else those the draft cites, else all passages); what cannot be found is
  flagged — the panel highlights it. What a passage says to the tool (``injection.py``) is not
  evidence, and a figure only a passage that speaks to the tool vouches for is flagged too.
  Disguises are read as a reader reads them: styled or foreign digits (𝟬𝟲, ٠٦), digits spaced out
  (« 0 6 7 1 … »), numbers in French words (« six cent cinquante euros », a phone number read out,
  ``numbers_fr.py``), English amounts (« €1,450.00 »), defanged links (« rh-paie[.]fr »), articles
  with a Latin ordinal and laws by number (« article 37 quinquies », « loi n° 84-16 »), phones read
  out with words and digits mixed, any currency (« CHF 800 », « 640 francs suisses »), durations in
  words or as deadlines (« un trimestre », « sous huitaine », « J+5 », « du 3 au 17 juin »), articles
  with any hyphen, in Roman numerals, with a letter or an issuer (« R. 4624-10 B », « circulaire DGAFP
  n° … », « arrêté du 14 juin 2019 »); figures are compared by value (« 45 jours » vouches for
  « quarante-cinq jours », « un trimestre » for « 3 mois »; not the other way round: « 35 jours » is
  not vouched for by « 5 semaines » said of another leave — a draft counting in the smaller unit gives
  the figure its source gives). Since blind set 8 also: short service numbers and SMS codes after
  what dials or texts them (« appelez le 3646 », « envoyez CODE au 61 212 »), tax and social-security
  doctrine (« BOI-RSA-… », « BOSS-… »), durations in hours and minutes read whole (« 7 h 45 »,
  « sept heures quarante-cinq »), ruling numbers (CAA « 22NT01234 », « CE … n° 461234 », « TA …
  n° 2104567 », Cour de cassation « 21-19.876 », ECLI). Since blind set 9 also: any legal or
  administrative text named by its kind then its number in any shape or its date (« ordonnance n° … »,
  « JORF n° 0112 », « instruction n° DGOS/RH3/2025/42 », « ANI du 14 avril 2025 », « BO Santé n° … »;
  vouched for by the reference without its qualifiers, or by a number distinctive enough to name one
  text), a number with its service (« n° 6482/SG »), code articles without a hyphen (« L. 25 sexies »,
  « article R. 53 »; every Latin ordinal up to « quadragies »), EU court cases (« C-214/24 »), francs CFP
  and CFA (« F CFP », « FCFA »), durations with a rank (« les 4 premières heures », « les trois
  derniers mois »), a reference built around a masking placeholder; a recurring period (« tous les
  14 jours ») vouches for a period only, not for a delay (« deux semaines avant »). Since blind set
  10 also: thousands grouped by « _ » or an apostrophe (« 2_160 € ») and figures read whole with
  their thousands (« 1 607 heures » was read « 607 heures »), a share of pay as an amount compared by
  value (« un dixième de la rémunération » = « 1/10e de la rémunération »), and a bracketed number of
  any length as a citation (« [2491] »). A deceptive link
  (``javascript:``, a « name@ » before the host, a host mixing scripts or in punycode) is flagged
  whatever the source.
  A link or an e-mail address on a domain outside the reviewed allowlist (``domains.py``: official
  sites, extended by a setting) is flagged even when a cited passage carries it: a reply sends
  employees to official sites only, and a planted page must not vouch for its own link.
  Bank details (IBAN, RIB) are always flagged: a transfer asked of the employee is checked whatever
  the source.
- Hostile output: markup (HTML, Markdown images, links to scripts) and invisible characters are
  stripped (flagged), citation look-alikes and ranges (« [2-6] ») normalised, contacts copied from
  the masked question and copies of our system prompt flagged.
- Freshness (``freshness.py``): superseded terms, expired time-boxed measures, figures from
  sources older than a limit, and cited passages that disagree — what an extractive draft needs.
- The AI mention is appended (configurable, on by default); the agent may remove it.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from assistant.pipeline.domains import TrustedDomains, trusted_domains
from assistant.pipeline.drafting.reader import MARKDOWN_LINK
from assistant.pipeline.flags import Flag
from assistant.pipeline.freshness import fold_keep_length, freshness_flags
from assistant.pipeline.injection import clean_passage, has_instructions, is_instruction
from assistant.pipeline.numbers_fr import (
    NUMBER_RUN,
    UNITS,
    amount_value,
    mixed_phone_runs,
    number_runs,
    phone_digits,
)
from assistant.pipeline.provenance import official_sources
from assistant.pipeline.sentences import sentence_spans
from assistant.pipeline.types import Passage
from knowledge_base.analysis import fold

# any bracketed number is a citation to the agent's eye: « [2491] » names no passage and is removed
CITATION = re.compile(r"\s?\[(\d{1,6})\]")
# Citation look-alikes a model may write: « [1, 3] », « [ 9 ] », full-width « ［９］ », an invisible
# character inside the brackets. Rewritten as [1][3] / [9] before renumbering and checking.
# A list may hold ranges: « [1-3 ; 16] » is [1][2][3][16].
_CITE_WS = r"[\s\u200b-\u200f\u2060\ufeff]*"
_CITE_ITEM = rf"[0-9０-９]{{1,6}}(?:{_CITE_WS}(?:[-\u2010-\u2013\u2212—~]|à){_CITE_WS}[0-9０-９]{{1,6}})?"
_CITATION_LIKE = re.compile(
    rf"[\[［]{_CITE_WS}({_CITE_ITEM}(?:{_CITE_WS}[,;，；]{_CITE_WS}{_CITE_ITEM})*){_CITE_WS}[\]］]"
)
_TLDS = (
    "fr|com|net|org|eu|info|io|co|biz|xyz|site|online|app|me|be|ch|ca|de|uk|ly|gl|tk|ru|cn|top|shop|pro|"
    "link|click|live|support|help|email|cloud|dev|page|tv|us|re|gp|mq|nc|pf|works|work|club|store|tech|"
    "digital|network|services|agency|center|centre|group|team|social|news|world|space|website|icu|in|it|es|"
    "nl|pt|lu|mc|ma|tn|dz|sn|ci|cm|qc|gouv|asso|today|zone|solutions|finance|bank|pay|money|cash|"
    "legal|jobs|immo|paris|bzh|alsace|corsica"
)
# Any hyphen a text may carry inside a reference or a number: « L1225‑17‑4 » with U+2011.
_HYPHENS = "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"
_HYPHEN = rf"[-{_HYPHENS}]"
_DEFANGED_DOT = r"\s?[\[({](?:\.|dot|point)[\])}]\s?"
_DEFANGED_AT = r"(?:[\[({](?:at|@|arobase)[\])}]|\barobase\b)"
# Any currency a reader recognises: symbols, ISO codes, names (« francs suisses », « livres sterling »).
_CURRENCY_CODES = (
    r"EUR|USD|GBP|CHF|CAD|AUD|NZD|JPY|CNY|HKD|SGD|INR|BRL|MXN|ZAR|SEK|NOK|DKK|PLN|CZK|HUF|RON|BGN|TRY|RUB|"
    r"UAH|MAD|TND|DZD|XOF|XAF|XPF|AED|SAR|QAR|ILS|KRW|THB|BTC|ETH|USDT"
)
_CURRENCY_NAMES = (
    r"euros?|dollars?(?:\s(?:am[ée]ricains?|canadiens?|australiens?|US))?|francs?(?:\s(?:suisses?|CFA|CFP|pacifiques?))?"
    r"|livres?\ssterling|yens?|yuans?|roubles?|dirhams?|dinars?|zlotys?|roupies?|pesos?|bitcoins?|centimes?"
    r"|couronnes?\s(?:su[ée]doises?|danoises?|norv[ée]giennes?|tch[èe]ques?)"
)
# the franc of the Pacific and of Africa abbreviated: « 450 000 F CFP », « 12 000 FCFA », « 3 000 CFP »
_FRANC_CFA_CFP = r"(?-i:F\.?\s?CF[AP]|CF[AP])"
_CURRENCY_SIGN = rf"(?:€|\$|£|¥|₣|₽|₹|₿|\bFr\.|\b{_FRANC_CFA_CFP}\b|\b(?:{_CURRENCY_CODES}))"
_CURRENCY = (
    rf"(?:[kK]\s?€|€|%|\$|£|¥|₣|₽|₹|₿|\bFr\.|{_FRANC_CFA_CFP}\b"
    rf"|(?:{_CURRENCY_CODES})\b|(?:{_CURRENCY_NAMES})\b)"
)
# the Latin ordinal of an inserted article, up to the forties: « bis » … « decies », « undecies »,
# « quaterdecies », « vicies », « tricies »…
_LATIN = (
    r"(?:bis|ter|quater|quinquies|sexies|septies|octies|no[nv]ies"
    r"|(?:un|duo|ter|quater|quin|quinqu|sex|sept|septem|octo|novem|novo)?d[ée]cies"
    r"|(?:(?:semel|bis|ter|quater|quinquies|sexies|septies|octies|novies)\s?et\s?)?(?:vicies|tricies|quadragies))"
)
_ORDINAL = rf"(?:er|e)?(?:\s{_LATIN}\b)?"
_MONTH = r"(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|octobre|novembre|d[ée]cembre)"
_URL_END = r"[^\s<>()\[\].,;:\"'«»]"
# What introduces a deadline, each a fixed-width look-behind (Python's re needs one width per branch).
_DEADLINE = (
    "(?:"
    + "|".join(
        rf"(?<={w} )"
        for w in (
            "[Aa]vant le",
            "[Jj]usqu'au",
            "[Jj]usqu’au",
            "[Dd]'ici le",
            "[Dd]’ici le",
            "plus tard le",
            "limite du",
            "limite :",
        )
    )
    + ")"
)
_LEGAL_TEXT = (
    r"(?:loi|lois|décret|decret|ordonnance|arrêté|arrete|circulaire|directive|instruction|note\sde\sservice)"
    # the issuer between the kind and the number: « circulaire DGAFP n° … », « arrêté NOR … »
    r"(?:\s+organique)?(?:\s+(?-i:[A-Z][A-Z0-9/]{1,15}))?"
)
# Any legal or administrative text named by its kind (then a number or a date): the acts above, and
# agreements, rulings' collections, official journals and bulletins (« ANI », « JORF », « BO Santé »).
_TEXT_KIND = (
    r"(?:lois?|d[ée]crets?|ordonnances?|arr[êe]t[ée]s?|circulaires?|directives?|instructions?|r[èe]glements?"
    r"|notes?\s(?:de\sservice|d['’]information|technique)|d[ée]lib[ée]rations?|avenants?"
    r"|accords?(?:\s(?:national\sinterprofessionnel|collectif|d['’]entreprise|de\sbranche))?"
    r"|conventions?(?:\scollectives?)?(?:\snationales?)?|bulletin\sofficiel|journal\sofficiel"
    r"|(?-i:ANI|JORF|JOUE|JOAN|JO|BO|BOAC|BOEN|BOFP))"
)
# what may stand between the kind and its number or date: « arrêté ministériel », « circulaire DGAFP »,
# « BO Santé », « décret modifié »
_TEXT_QUALIFIER = (
    r"(?:\s+(?:organique|(?:inter)?minist[ée]riel(?:le)?|pr[ée]fectoral|conjoint|modifi[ée]e?|simple"
    r"|(?-i:[A-Z][\w/]{1,15})))"
)
# a masking placeholder the drafter copied from the message (« [DATE_NAISSANCE_1] »): a reference
# built around it comes from the message, never from a source
_PLACEHOLDER = r"\[[A-Z_]{2,30}_\d{1,3}\]"
# a text's number in any shape: « 2025-417 », « 0112 », « 6482/SG », « DGOS/RH3/2025/42 », « 2025/7 »
_TEXT_ID = (
    rf"(?=[^\s,;()]*\d)(?:\d|(?-i:[A-Z])|{_PLACEHOLDER})"
    rf"(?:[A-Z0-9]|{_PLACEHOLDER}|(?:[./]|{_HYPHEN})(?=[A-Z0-9]|{_PLACEHOLDER}))*"
)
_NUMBER_SIGN = r"n\s?[°oº]s?\.?\s?"
# a number with the issuing service after a slash, or a service's own numbering (two slashes at least)
_SERVICE_NUMBERING = r"(?-i:(?=[A-Z0-9/-]*\d)[A-Z]{2,}[A-Z0-9-]*(?:/[A-Z0-9][A-Z0-9-]*){2,})(?![\w/])"
_SERVICE_ID = rf"(?:(?-i:\d[\d-]*(?:/[A-Z][A-Z0-9-]{{0,11}})+)(?![\w/])|{_SERVICE_NUMBERING})"
# « 7 h 45 », « 7h45 », « 7 heures 45 », « 7 heures et 45 minutes »
# (a range « entre 21 heures et 24 heures » is two figures; a table row is not read across lines)
_SP = r"[ \u00a0\u202f]"
# between groups of three digits: spaces of every width, « _ » (« 2_160 € », as a program prints it),
# the Swiss apostrophe (« 2'160 »)
_GROUP_SEP = r"[ \u00a0\u202f\u2009\u2007_'’]"
_NOT_A_RANGE = r"(?!\s?(?:h\b|heures?\b|jours?\b|semaines?\b|mois\b|ans?\b|%|€))"
_HOURS_MINUTES = (
    rf"\b\d{{1,2}}{_SP}?(?:h|heures?){_SP}?(?:et{_SP})?[0-5]\d(?!\d){_NOT_A_RANGE}"
    rf"(?:{_SP}?(?:minutes?|min|mn)\b)?"
)
_RANK = r"(?:premi[eè]re?s|derni[eè]re?s|prochaine?s|suivante?s)"
# A share of pay is an amount: « un dixième de la rémunération », « deux cinquièmes du traitement »,
# « 1/10e du salaire brut » (the congés payés rule, the indemnities computed from pay).
_FRACTION_COUNTS = {**UNITS, "la": 1}  # « la moitié »
_FRACTION_PARTS = {
    "moitie": 2,
    "demi": 2,
    "tiers": 3,
    "quart": 4,
    "cinquieme": 5,
    "sixieme": 6,
    "septieme": 7,
    "huitieme": 8,
    "neuvieme": 9,
    "dixieme": 10,
    "onzieme": 11,
    "douzieme": 12,
    "quinzieme": 15,
    "vingtieme": 20,
    "trentieme": 30,
    "soixantieme": 60,
    "centieme": 100,
}
_PAY = (
    r"(?:r[ée]mun[ée]rations?|salaires?|traitements?|indemnit[ée]s?|appointements|gains?|primes?|SMIC|smic"
    r"|mois\sde\s(?:salaire|traitement|r[ée]mun[ée]ration))"
)
_SHARE = (
    r"(?i:(?:\b(?:la|une)\smoiti[ée]"
    r"|\b(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf)\s(?:demi|tiers|quarts?|(?:cinqu|six|sept|huit|neuv"
    r"|dix|onz|douz|quinz|vingt|trent|soixant|cent)i[èe]mes?)|\b\d{1,2}\s?/\s?\d{1,3}\s?(?:e|[èe]me|i[èe]me)?s?)"
    rf"\s(?:de\s(?:la\s|l['’]|son\s|sa\s|leur\s|ce\s|cette\s)?|du\s|des\s){_PAY}\b)"
)
_ROMAN = r"(?-i:(?=[IVXLCDM])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))"
FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "url": re.compile(
        rf"(?:\b[^\W\d_][\w+.-]*://|\bwww\.|\b(?:javascript|data|vbscript):)[^\s<>()\[\]\"'«»]+{_URL_END}"
        rf"|(?<![@\w.-])(?:[\w-]+\.)+(?:{_TLDS})\b(?:/[^\s<>()\[\]\"'«»]*{_URL_END})?(?![\w@-])"
        # a bare domain with any top-level domain, when a path follows: « paie-regul.works/bulletin »
        rf"|(?<![@\w.-])(?:[\w-]+\.)+[^\W\d_]{{2,24}}/[^\s<>()\[\]\"'«»]*{_URL_END}"
        # defanged, as a reader rebuilds it: « rh-paie[.]fr », « site(dot)com »
        rf"|(?<![@\w.-])(?:[\w-]+(?:{_DEFANGED_DOT}|\.))*[\w-]+{_DEFANGED_DOT}(?:[\w-]+(?:{_DEFANGED_DOT}|\.))*"
        rf"(?:{_TLDS})\b(?:/[^\s<>()\[\]\"'«»]*{_URL_END})?",
        re.IGNORECASE,
    ),
    "email": re.compile(
        r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"
        rf"|\b[\w.+-]+(?:\s?{_DEFANGED_AT}\s?|\s@\s)[\w-]+(?:(?:{_DEFANGED_DOT}|\.)[\w-]+)+\b",
        re.IGNORECASE,
    ),
    # Bank details (IBAN, French RIB): before the phone pattern, which must not read them.
    "iban": re.compile(
        r"\b[A-Z]{2}\d{2}(?:[ \u00a0\u202f-]?[A-Z0-9]{4}){2,7}(?:[ \u00a0\u202f-]?[A-Z0-9]{1,3})?\b"
        r"|\b\d{5}[ \u00a0\u202f]?\d{5}[ \u00a0\u202f]?[A-Z0-9]{11}[ \u00a0\u202f]?\d{2}\b"
    ),
    "phone": re.compile(
        r"(?:\+33[\s.-]?(?:\(0\)[\s.-]?)?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b"
        r"|\+(?!33)\d{2,3}(?:[\s.-]?\(?\d{1,4}\)?){3,6}\b"
        # special and free numbers: « 0 800 12 34 56 », « 0 892 123 456 »
        r"|\b0\s?[89]\d{2}(?:[\s.]?\d{2,3}){2,3}\b"
        # the same ten digits however they are spaced out: « 0 6 7 1 2 4 … », « 0 1 7 3 . 4 4 … »
        r"|(?<![\w+])(?:\+\s?33(?:(?:[^\S\n]|[.\-–—_·•]){0,3}\(0\))?|0)(?:(?:[^\S\n]|[.\-–—_·•]){0,3}\d){9}(?![\d])"
        r"|\b0[1-9](?:/\d{2}){4}\b"
    ),
    "amount": re.compile(
        # English format first (« €1,450.00 », « 1,450 € », « $250 »): read whole, not as « €1,450 »
        rf"{_CURRENCY_SIGN}\s?\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\b\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?\s?{_CURRENCY}"
        rf"|\b\d+\.\d{{1,2}}\s?{_CURRENCY}|{_CURRENCY_SIGN}\s?\d+\.\d{{1,2}}\b"
        # digits spaced out one by one: « 1 2 0 0 € »
        rf"|(?<![\d,.])\d(?: \d){{2,}}\s?{_CURRENCY}"
        r"|\b\d+(?:,\d+)?\s?(?:millions?|milliards?|mille)\s(?:d'|de\s)?(?:euros?\b|€)"
        rf"|\b\d+(?:(?:{_GROUP_SEP}|\.)\d{{3}})*(?:,\d+)?\s?{_CURRENCY}"
        # the currency first, in any format: « € 1.250,00 », « CHF 800 », « USD 1 200 »
        rf"|{_CURRENCY_SIGN}\s?\d+(?:(?:{_GROUP_SEP}|\.)\d{{3}})*(?:,\d+)?"
        # a share of pay: « un dixième de la rémunération », « 1/10e du salaire »
        rf"|{_SHARE}"
    ),
    "duration": re.compile(
        # hours and minutes read whole: « 7 h 45 », « 7h45 », « 7 heures et 45 minutes » (not « 7 h »)
        rf"{_HOURS_MINUTES}"
        # the number whole, thousands included: « 1 607 heures » is not « 607 heures »
        rf"|\b(?:\d{{1,3}}(?:{_GROUP_SEP}\d{{3}})+|\d+)(?:,\d+)?\s?"
        r"(?:jours?|semaines?|mois|ans?|années?|heures?|h|minutes?|trimestres?|semestres?)\b"
        r"(?:\s(?:ouvrables?|ouvrés?|calendaires?|francs?))?"
        # an ordinal adjective between the number and the unit: « les 4 premières heures »
        rf"|\b\d+(?:,\d+)?\s{_RANK}\s(?:jours?|semaines?|mois|ans|années?|heures?|minutes?|trimestres?|semestres?)\b"
        r"(?:\s(?:ouvrables?|ouvrés?|calendaires?|francs?))?"
        # a deadline counted from a day: « J+5 », « J - 30 », « J+10 ouvrés »
        rf"|\b[Jj]\s?[+{_HYPHENS}-]\s?\d{{1,3}}\b(?:\s(?:jours?\s)?(?:ouvrables?|ouvrés?|calendaires?|francs?))?"
        # a duration by its collective noun: « sous huitaine », « une quinzaine de jours »
        r"|\b(?:[Ss]ous|en|d'une|une|la|dans\sla)\s(?:quinzaine|huitaine)\b(?:\sde\sjours)?"
        # a window between two dates: « entre le 3 et le 20 avril », « du 1er mai au 31 octobre »
        rf"|\b(?:[Ee]ntre\sle|[Dd]u)\s\d{{1,2}}(?:er)?(?:\s{_MONTH})?\s(?:et\sle|au)\s\d{{1,2}}(?:er)?\s{_MONTH}\b"
        r"(?:\s\d{4})?"
        # a deadline given as a date: « avant le 15 juillet », « au plus tard le 1er mars 2027 » — the
        # date alone is the value, so « jusqu'au 15 juillet » in a passage vouches for it
        rf"|{_DEADLINE}\d{{1,2}}(?:er)?\s{_MONTH}\b(?:\s\d{{4}})?"
    ),
    # An article with its Latin ordinal (« 37 quinquies ») or a letter (« L. 1234-5 A »), in Roman
    # numerals (« article XII »), a law, decree, circular… by number (« loi n° 84-16 ») or by date
    # (« circulaire du 4 mai 2019 »): each is looked for on its own. Any hyphen (U+2011…).
    "article": re.compile(
        # « R*. 621-4 »: an article of a decree in Conseil d'État keeps its star
        rf"\b(?:articles?\s+)?[LRD]\*?\.?\s?\d{{1,4}}(?:{_HYPHEN}\d+)+{_ORDINAL}(?:\s?(?-i:[A-Z])(?![\w'’]))?(?!\w)"
        rf"|\barticles?\s+\d+(?:{_HYPHEN}\d+)*{_ORDINAL}(?!\w)"
        rf"|\bart\.\s?\d+(?:{_HYPHEN}\d+)*{_ORDINAL}(?!\w)"
        rf"|\b(?:articles?|art\.)\s?{_ROMAN}(?![\w.]|\.?\s?\d){_ORDINAL}(?!\w)"
        # an article of a code numbered without a hyphen (« L. 25 sexies », « article R. 37 »): with its
        # Latin ordinal, or after « article »
        rf"|\b(?:articles?\s+)?[LRD]\.?\s?\d{{1,4}}\s{_LATIN}(?!\w)"
        rf"|\barticles?\s+[LRD]\.?\s?\d{{1,4}}{_ORDINAL}(?![\w{_HYPHENS}-])"
        # the issuing service after the number is part of it: « n° 2024-0178/DGAFP/B7 »
        rf"|\b{_LEGAL_TEXT}\s+(?:n\s?[°o]\.?\s?)?\d{{2,4}}{_HYPHEN}\d+(?:/(?-i:[A-Z][A-Z0-9-]{{0,11}}))*"
        rf"|\b{_LEGAL_TEXT}\s+du\s+\d{{1,2}}(?:er)?\s+{_MONTH}\s+\d{{4}}"
        # any text named by its kind, then its number in any shape or its date: « ordonnance n° 2025-417 »,
        # « JORF n° 0112 », « instruction n° DGOS/RH3/2025/42 », « ANI du 14 avril 2025 »
        rf"|\b{_TEXT_KIND}{_TEXT_QUALIFIER}{{0,2}}\s+{_NUMBER_SIGN}{_TEXT_ID}"
        rf"|\b{_TEXT_KIND}{_TEXT_QUALIFIER}{{0,2}}\s+du\s+\d{{1,2}}(?:er)?\s+{_MONTH}\s+(?:\d{{4}}|{_PLACEHOLDER})"
        # a number with its service, whatever names it (« n° 1234/SG »), a service's own numbering
        # (« DGCL/FP3/2024/12 »)
        rf"|\b{_NUMBER_SIGN}{_SERVICE_ID}|(?<![/\w.-]){_SERVICE_NUMBERING}"
        # a case of the Court of Justice or the General Court of the EU: « C-123/24 », « T‑45/23 P »
        rf"|(?<![\w/-])(?-i:[CTF])\s?{_HYPHEN}\s?\d{{1,4}}/\d{{2}}(?![\w/])(?:\s?(?-i:P|PPU)\b)?"
        # a parliamentary written question, by number: « question écrite n° 12345 »
        r"|\bquestions?\s+(?:écrites?|ecrites?)\s+(?:n\s?[°o]\.?\s?)?\d{2,6}\b"
        # tax and social-security doctrine: « BOI-TVA-BASE-10-20 », « BOSS-AN-100 », « BOI 5 F-1-09 »
        rf"|\b(?-i:BOI|BOSS){_HYPHEN}(?-i:[A-Z0-9]+)(?:{_HYPHEN}[A-Z0-9]+)*(?!\w)"
        rf"|\bBOI\s\d{{1,2}}\s?(?-i:[A-Z]{{1,2}}){_HYPHEN}\d+{_HYPHEN}\d{{2}}\b"
        # a ruling, by the numbers courts give: a cour administrative d'appel's « 22NT01234 », a Cour
        # de cassation appeal « 21-19.876 », a European case-law identifier « ECLI:FR:CECHR:… »
        r"|\b\d{2}(?-i:[A-Z]{2})\d{5}\b"
        rf"|\b\d{{2}}{_HYPHEN}\d{{2}}\.\d{{3}}\b"
        r"|\bECLI:[A-Z]{2}:[A-Z0-9]{2,12}:\d{4}:[A-Z0-9]+(?:\.[A-Z0-9]+)*",
        re.IGNORECASE,
    ),
}
# Values only their context tells from an ordinary number; the value is the group « v ».
CONTEXT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # A short service number, 4 or 5 digits (« 3646 », « 39 60 », an SMS code « 61 212 »), after what
    # dials or texts it: « appelez le », « envoyez CODE au », « SMS au », « numéro court ».
    (
        "phone",
        re.compile(
            r"(?:\b(?:appel|compos|contact|joign|t[ée]l[ée]phon|rappel)\w{0,4}(?:-(?:le|la|nous|les))?\s+(?:le|au)\s+"
            r"|\b(?:envo[iy]\w{0,4}|text\w{0,4}|tap(?:ez|er|ant))\b[^.\n\d]{0,40}?\s(?:au|à)\s+"
            r"|\b(?:SMS|textos?|MMS)\b[^.\n\d]{0,20}?\s(?:au|à)\s+"
            r"|\bnum[ée]ros?(?:\s+(?:court|courts|sp[ée]cial|vert|gratuit|unique|d['’]appel|SMS|de\s+t[ée]l[ée]phone))+"
            r"\s*:?\s*(?:le\s+|au\s+)?"
            r"|\bau\s+num[ée]ro\s+|\bt[ée]l(?:\.|[ée]phone)?\s*:\s*)"
            r"(?P<v>[1-9]\d[\s\u00a0\u202f.]?\d{3}|3\d[\s\u00a0\u202f.]?\d{2})(?![\s\u00a0\u202f.]?\d|\s?(?:€|%))",
            re.IGNORECASE,
        ),
    ),
    # A ruling's number after the court or the ruling: « CE, 4 mai 2023, n° 461234 », « TA Lille,
    # n° 2104567 », « Cass. soc., 8 mars 2023, n° 21-12.492 », « décision n° 2023-1045 QPC ».
    (
        "article",
        re.compile(
            r"\b(?:(?-i:CE|TA|CAA)|C\.E\.|Conseil\s+d['’]\s?[ÉEé]tat|cour\s+administrative\s+d['’]\s?appel|"
            r"tribunal\s+administratif|Cass\.?|cour\s+de\s+cassation|arr[êe]t|jugement|d[ée]cision|"
            r"ordonnance|pourvoi|requ[êe]te|req\.)(?![\wéèê])"
            r"(?:(?!\bn\s?[°oº])[^\n;]){0,60}?\bn\s?[°oº]s?\.?\s?"
            rf"(?P<v>\d{{2}}(?-i:[A-Z]{{2}})\d{{5}}|\d{{2}}{_HYPHEN}\d{{2}}\.\d{{3}}|\d{{4}}{_HYPHEN}\d{{1,4}}"
            r"(?:\s?(?-i:QPC|DC|L|I))?|\d{5,7})(?![\w-])",
            re.IGNORECASE,
        ),
    ),
)
# Figures written in words (folded text): « six cent cinquante euros », « quarante-cinq jours ».
_WORD_UNIT = re.compile(
    r"\s*(?:d'|de\s+)?(?:(?P<money>euros?\b|eur\b|€|centimes?\b)|(?P<percent>pour\s?cents?\b|%)"
    r"|(?:(?:premiere?|derniere?|prochaine?|suivante?)s\s+)?"  # « les trois derniers mois »
    r"(?P<time>jours?|semaines?|mois|ans?|annees?|heures?|minutes?|trimestres?|semestres?)\b"
    r"(?:\s(?:ouvrables?|ouvres?|calendaires?|francs?))?)"
)
_UNIT_OF = {
    "€": "€",
    "euro": "€",
    "euros": "€",
    "eur": "€",
    "k€": "k€",
    "%": "%",
    "pourcent": "%",
    "pourcents": "%",
    "$": "$",
    "usd": "$",
    "dollar": "$",
    "dollars": "$",
    "£": "£",
    "gbp": "£",
    "chf": "chf",
    "jour": "jour",
    "jours": "jour",
    "semaine": "semaine",
    "semaines": "semaine",
    "mois": "mois",
    "an": "an",
    "ans": "an",
    "annee": "an",
    "annees": "an",
    "heure": "heure",
    "heures": "heure",
    "h": "heure",
    "minute": "minute",
    "minutes": "minute",
    "trimestre": "trimestre",
    "trimestres": "trimestre",
    "semestre": "semestre",
    "semestres": "semestre",
    "franc": "franc",
    "francs": "franc",
    "yen": "¥",
    "yens": "¥",
    "¥": "¥",
}
_CODE_ARTICLE = re.compile(r"^articles?\s+(?=[LRD]\.?\s?\d)", re.IGNORECASE)
_NUMBER = re.compile(r"\d[\d \u00a0\u202f\u2009\u2007_'’.,]*\d|\d")
_HOURS_AND_MINUTES = re.compile(rf"(\d{{1,2}}){_SP}?(?:h|heures?){_SP}?(?:et{_SP})?([0-5]\d)(?!\d)")
# the minutes said after the hours, in words (folded text): « dix heures cinquante », « … et quart »
_WORD_MINUTES = re.compile(
    rf"{_SP}+(?:et{_SP}+)?(?P<n>{NUMBER_RUN.pattern}|quart|demie){_NOT_A_RANGE}(?:{_SP}+minutes?\b)?"
)
_UNIT_WORD = re.compile(r"k\s?€|€|%|\$|£|[a-z]+")
# What a draft never needs: markup (tags, comments) and invisible characters (zero-width, bidi
# overrides, soft hyphens) that can split a figure or a link so the patterns above miss it.
_MARKUP = re.compile(
    r"<!--.*?(?:-->|$)|<\s*(script|style)\b.*?(?:<\s*/\s*\1\s*>|$)|<\s*/?\s*[a-zA-Z][\w:-]*(?:[\s/][^<>\n]*)?(?:>|(?=\n)|$)",
    re.S | re.I,
)
# Markdown a plain-text reply never needs: an image (fetched when displayed: it can carry data out) is
# removed whole; a link to a script (``javascript:``, ``data:``…) keeps only its text. Targets may hold
# one level of nested parentheses (« javascript:fetch('…') »).
_MD_TARGET = r"\((?:[^()\n]|\((?:[^()\n]|\([^()\n]*\))*\))*\)"
_MD_IMAGE = re.compile(rf"!\[[^\]\n]*\]{_MD_TARGET}")
_MD_SCRIPT_LINK = re.compile(
    rf"\[([^\]\n]*)\]\(\s*<?\s*(?:javascript|data|vbscript|file)\s*:(?:[^()\n]|{_MD_TARGET})*\)", re.I
)
_ACTION_SCHEME = re.compile(
    r"(?<![\w/.+-])(?:sms|smsto|mms|tel|callto|facetime(?:-audio)?|skype|sips?|whatsapp|tg|viber|intent|market"
    r"|itms(?:-[a-z]+)?|ms-[a-z]+(?:-[a-z]+)*):(?:[a-z]{2,4}\|[a-z]\|)?(?=\S)",
    re.I,
)
_HIDDEN = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
HIDDEN_CHARACTERS = _HIDDEN.pattern  # what a draft loses; the sync review reads the same characters
_FULL_WIDTH = re.compile(r"[\uff01-\uff5e\u3000]")
FLAG_MESSAGES = {
    "invalid_citation": "Citation [{value}] ne correspond à aucun passage fourni : retirée.",
    "url": "Adresse web absente des passages cités : à vérifier.",
    "email": "Adresse e-mail absente des passages cités : à vérifier.",
    "phone": "Numéro de téléphone absent des passages cités : à vérifier.",
    "amount": "Montant absent des passages cités : à vérifier.",
    "duration": "Durée absente des passages cités : à vérifier.",
    "article": "Référence d'article absente des passages cités : à vérifier.",
    "figure": "Chiffre absent des passages cités : à vérifier.",
    "iban": "Coordonnées bancaires absentes des passages cités : à vérifier avant tout envoi.",
    "url_untrusted": "Lien vers un site hors de la liste des domaines officiels : vérifiez l'adresse avant "
    "envoi (un site imitant un organisme officiel est une fraude courante).",
    "email_untrusted": "Adresse e-mail hors de la liste des domaines officiels : vérifiez-la avant envoi.",
    "url_deceptive": "Lien trompeur (script, identifiant avant « @ », lettres d'alphabets mêlés) : "
    "à retirer, quelle que soit la source.",
    "iban_found": "Coordonnées bancaires reprises d'une source : à confirmer auprès du service paie avant "
    "tout envoi (un virement demandé au salarié est un cas de fraude courant).",
    "tainted": "Valeur tirée d'un passage qui contient des consignes adressées à l'outil : à vérifier.",
    "unofficial": "Valeur donnée seulement par une page hors des sources officielles de la base "
    "(« {title} ») : à vérifier auprès d'une source officielle avant envoi.",
    "unofficial_sentence": "Phrase appuyée seulement sur une page hors des sources officielles de la base "
    "(« {title} ») : à vérifier auprès d'une source officielle avant envoi.",
    "no_citation": "Le brouillon ne cite aucun passage : à vérifier entièrement.",
    "markup": "Balisage HTML retiré du brouillon (« {value} ») : le texte venait peut-être d'une injection.",
    "hidden_characters": "Caractères invisibles retirés du brouillon : un chiffre ou un lien pouvait y être "
    "masqué.",
    "prompt_leak": "Le brouillon reproduit les consignes internes de l'outil : passage à supprimer.",
    "copied_contact": "Coordonnée reprise telle quelle du message reçu : vérifiez qu'elle doit figurer "
    "dans la réponse.",
    "injection": "Le passage [{value}] contient des consignes adressées à l'outil de rédaction (ignorées) : "
    "signalez cette source.",
}


# A range « [1-9] », « [2–15] », « [1 à 4] »: cites every passage in it.
_CITATION_RANGE = re.compile(
    rf"[\[［]\s*([0-9０-９]{{1,3}})\s*(?:[-{_HYPHENS}—~]|à|a)\s*([0-9０-９]{{1,3}})\s*[\]］]"
)
RANGE_MAX = 30  # a longer range is no citation anybody means: its bounds only


def normalise_citations(text: str) -> str:
    """« [1, 3] » → « [1][3] », « [ 9 ] » / « ［９］ » → « [9] », « [2-4] » → « [2][3][4] »: what
    renumbering and checks read (so a number of a range naming no passage is removed and flagged)."""

    def rewrite(match: re.Match[str]) -> str:
        cited: list[int] = []
        for item in re.split(r"[,;，；]", _HIDDEN.sub("", match.group(1))):
            first, _, last = re.sub(r"\s", "", item).replace("à", "-").translate(_AS_HYPHEN).partition("-")
            a, b = int(first), int(last or first)
            cited += range(a, b + 1) if 0 <= b - a < RANGE_MAX else (a, b)
        return "".join(f"[{n}]" for n in cited)

    def expand(match: re.Match[str]) -> str:
        first, last = int(match.group(1)), int(match.group(2))
        numbers = range(first, last + 1) if 0 <= last - first < RANGE_MAX else (first, last)
        return "".join(f"[{n}]" for n in numbers)

    return _CITATION_LIKE.sub(rewrite, _CITATION_RANGE.sub(expand, text))


@dataclass
class CheckedDraft:
    text: str
    cited: list[int]  # passage numbers actually cited, in order of first use
    flags: list[Flag] = field(default_factory=list)
    ai_mention: bool = False


_AS_HYPHEN = str.maketrans(dict.fromkeys(_HYPHENS, "-"))


def _compact(text: str) -> str:
    """Comparable form of a value: folded, no spaces or dots/non-breaking spaces inside numbers."""
    return re.sub(r"[\s\u202f.\u00a0]", "", fold(text.translate(_AS_HYPHEN)))


def check_draft(
    text: str,
    passages: Sequence[Passage],
    ai_mention: str | None,
    *,
    today: date | None = None,
    max_age_years: float = 3.0,
    extra_domains: Collection[str] = (),
    extra_sources: Collection[str] = (),
) -> CheckedDraft:
    """The checked draft: invalid citations removed, every flag with its span in the final text.

    ``today`` is the reference date for expired measures and old sources (today when None);
    ``max_age_years`` the age beyond which a source's figures are flagged; ``extra_domains`` the
    deployment's domains trusted beside the shipped list (HRA_DRAFTING__TRUSTED_DOMAINS);
    ``extra_sources`` its sources official beside the shipped list (HRA_DRAFTING__OFFICIAL_SOURCES)."""
    known = {p.n for p in passages}
    flags: list[Flag] = []
    text, flags = _sanitised(text)
    text = normalise_citations(text)

    def keep_or_drop(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n in known:
            return match.group(0)
        flags.append(
            Flag("invalid_citation", match.group(1), FLAG_MESSAGES["invalid_citation"].format(value=n))
        )
        return ""

    text = CITATION.sub(keep_or_drop, text)
    cited = list(dict.fromkeys(int(n) for n in CITATION.findall(text)))
    if not cited:
        flags.append(Flag("no_citation", "", FLAG_MESSAGES["no_citation"]))
    sources = [clean_passage(p) for p in passages]  # what a passage tells the tool is not evidence
    hostile = {p.n for p in passages if has_instructions(p)}
    domains = trusted_domains(tuple(extra_domains))
    official = official_sources(tuple(extra_sources))
    unofficial = {p.n for p in passages if not official.vouches(p)}
    flags.extend(_unverified_facts(text, {p.n: p for p in sources}, hostile, domains, unofficial))
    flags.extend(_unofficial_sentences(text, {p.n: p for p in passages}, unofficial))
    flags.extend(prompt_leaks(text))
    flags.extend(
        Flag("copied_contact", m.group(0), FLAG_MESSAGES["copied_contact"], m.start(), m.end())
        for m in _CONTACT_PLACEHOLDER.finditer(text)
    )
    flags.extend(
        Flag("injection", str(p.n), FLAG_MESSAGES["injection"].format(value=p.n))
        for p in passages
        if p.n in hostile
    )
    flags.extend(freshness_flags(text, passages, today=today, max_age_years=max_age_years))
    mention = bool(ai_mention)
    if ai_mention:
        text = f"{text.rstrip()}\n\n{ai_mention}"
    return CheckedDraft(text=text, cited=cited, flags=flags, ai_mention=mention)


def _sanitised(text: str) -> tuple[str, list[Flag]]:
    """Invisible characters and markup out (flagged), full-width letters and digits as ASCII."""
    flags: list[Flag] = []
    if _HIDDEN.search(text):
        text = _HIDDEN.sub("", text)
        flags.append(Flag("hidden_characters", "", FLAG_MESSAGES["hidden_characters"]))
    text = _FULL_WIDTH.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    for pattern, keep in ((_MD_IMAGE, ""), (_MD_SCRIPT_LINK, r"\1"), (_MARKUP, "")):
        for match in pattern.finditer(text):
            value = match.group(0)[:80]
            flags.append(Flag("markup", value, FLAG_MESSAGES["markup"].format(value=value)))
        text = pattern.sub(keep, text)
    text = _plain_tables(text)
    # Any other link is written out as the offline drafter writes it, « text (https://…) »: a reply
    # never hides where a link goes behind words (« Mon Compte Formation » on a look-alike domain);
    # the address is then checked against the passages like any other.
    text = MARKDOWN_LINK.sub(r"\1 (\2)", text)
    # A link that acts instead of showing a page (« sms:+336…?body=… », « tel:… », « ms-word:ofe|u|… »):
    # its scheme goes, what it pointed at stays in plain sight and is checked like any other value.
    for match in _ACTION_SCHEME.finditer(text):
        value = match.group(0)
        flags.append(Flag("markup", value, FLAG_MESSAGES["markup"].format(value=value)))
    return _ACTION_SCHEME.sub("", text), flags


# A Markdown table, which a reply pasted into an e-mail shows as pipes — a whole table, or a row a
# model wrote after a sentence: each row becomes plain text, « Forfait télétravail : 2,88 € / jour »
# (cells joined by « ; » beyond two), the rule row goes.
_TABLE_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*:?(?:-{3,}:?)?[ \t]*$\n?", re.M)
_TABLE_ROW = re.compile(r"(?<!\S)\|((?:[^|\n]+\|){2,})(?![^\s\[])")  # « …| [1] », « …|[1] »


def _plain_tables(text: str) -> str:
    if "|" not in text:
        return text

    def row(match: re.Match[str]) -> str:
        cells = [cell.strip() for cell in match.group(1).split("|") if cell.strip()]
        glued = match.string[match.end() : match.end() + 1] == "["  # « …|[1] » keeps its citation apart
        return (" : " if len(cells) == 2 else " ; ").join(cells) + (" " if glued else "")

    return _TABLE_ROW.sub(row, _TABLE_RULE.sub("", text))


# A contact the masking replaced in the question (« [TELEPHONE_1] ») and the drafter wrote back: put
# back into the reply by unmasking, it comes from the message, never from a source.
# With the link built around it (« https://[EMAIL_1]/page »: a link whose « user@ » part is a contact
# of the message), flagged whole.
_CONTACT_PLACEHOLDER = re.compile(
    r"(?:\b[^\W\d_][\w+.-]*://[^\s<>()\[\]\"'«»]*)?\[(?:TELEPHONE|EMAIL|IBAN|ADRESSE)_\d+\]"
    rf"(?:[/?#:][^\s<>()\[\]\"'«»]*{_URL_END})?"
)
_WORDS = re.compile(r"[a-z0-9]+")
_QUOTED = re.compile(r"«[^»]*»|\"[^\"]*\"")
LEAK_WINDOW = 10  # consecutive words of our own instructions: never a coincidence in an HR reply


@lru_cache(maxsize=1)
def _prompt_shingles() -> frozenset[tuple[str, ...]]:
    """Every LEAK_WINDOW-word run of the system prompts we ship (their quoted examples excepted:
    a draft may rightly say « ce point doit être vérifié par le service RH »)."""
    from assistant.pipeline.drafting.prompt import load_prompt  # the checks do not need LangChain

    shingles: set[tuple[str, ...]] = set()
    for name in ("draft_fr_v1", "draft_fr_v2"):
        words = _WORDS.findall(fold_keep_length(_QUOTED.sub(" ", load_prompt(name).system)))
        shingles.update(tuple(words[i : i + LEAK_WINDOW]) for i in range(len(words) - LEAK_WINDOW + 1))
    return frozenset(shingles)


def prompt_leaks(text: str) -> list[Flag]:
    """Runs of the draft that repeat our system prompt, one flag per run, with its span."""
    folded = fold_keep_length(text)
    words = [(m.group(0), m.start(), m.end()) for m in _WORDS.finditer(folded)]
    shingles = _prompt_shingles()
    runs: list[list[int]] = []
    for i in range(len(words) - LEAK_WINDOW + 1):
        if tuple(w for w, _, _ in words[i : i + LEAK_WINDOW]) in shingles:
            end = words[i + LEAK_WINDOW - 1][2]
            if runs and words[i][1] <= runs[-1][1]:
                runs[-1][1] = end
            else:
                runs.append([words[i][1], end])
    return [Flag("prompt_leak", text[a:b][:200], FLAG_MESSAGES["prompt_leak"], a, b) for a, b in runs]


def _cited_in(text: str, by_n: dict[int, Passage]) -> tuple[int, ...]:
    return tuple(sorted({int(n) for n in CITATION.findall(text)} & by_n.keys()))


def _paragraph_at(text: str, at: int) -> str:
    start = text.rfind("\n\n", 0, at)
    end = text.find("\n\n", at)
    return text[start + 2 if start >= 0 else 0 : end if end >= 0 else len(text)]


def _sources_of(sentence: str, paragraph: str, text: str, by_n: dict[int, Passage]) -> tuple[int, ...]:
    """Where a sentence's facts must be found: the passages it cites; for a sentence without a
    citation, those its paragraph cites, else those the draft cites — an uncited figure next to
    cited ones is not vouched for by a passage nobody cited; all passages only when nothing is cited."""
    return _cited_in(sentence, by_n) or _cited_in(paragraph, by_n) or _cited_in(text, by_n) or tuple(by_n)


# « 3ème », « 3 ème », « 3e » are one ordinal (folded text)
_ORDINAL_SUFFIX = re.compile(r"(\d)[\s\u00a0\u202f]*(?:i?eme|e)\b")


def _written_whole(folded: str, first: str, digits: str, after: str) -> bool:
    """Whether ``folded`` writes the number whole, then the unit: tried only where its first group is
    (a search led by a look-behind scans the whole text at every character; a knowledge base is MBs)."""
    pattern = re.compile(rf"(?<![\w,.]){digits}(?![\d]|[,.]\d){after}")
    at = folded.find(first)
    while at >= 0:
        if pattern.match(folded, at):
            return True
        at = folded.find(first, at + 1)
    return False


@dataclass
class _Evidence:
    """What a set of passages vouches for: the compact text, and (computed when first needed) the
    values of its figures — so « 45 jours » vouches for « quarante-cinq jours », « 1 500 € » for
    « 1 500 euros » and « €1,500.00 »."""

    raw: str
    compact: str
    _values: set[tuple[str, object]] | None = None
    _as_written: set[tuple[str, object]] | None = None  # durations given in the unit they are counted in
    _folded: str | None = None
    _figures: dict[tuple[str, str], bool] = field(default_factory=dict)

    def has_figure(self, number: str, unit: str) -> bool:
        """Whether the passages write this number whole (« 15 » is not read in « 115 » nor « 1,5 »),
        followed by the same unit when one is given (« 15 salariés » is not vouched for by « 50
        salariés » beside a « 15 » elsewhere); « 25 min » by « 25 minutes »."""
        if self._folded is None:  # « 122 e jour », « 3ème » as « 122e jour », « 3e »
            self._folded = _ORDINAL_SUFFIX.sub(r"\1e", fold(self.raw))
        number = _ORDINAL_SUFFIX.sub(r"\1e", fold(number))
        digits = r"[\s\u00a0\u202f]?".join(re.escape(part) for part in number.split())
        after = ""
        if unit:
            stem = fold(unit).replace(" ", "")
            stem = stem[:5] if stem.isalpha() else re.escape(stem)
            after = rf"[\s\u00a0\u202f]?(?:de\s|d')?{stem}"
        key = (number, after)
        if key not in self._figures:  # a base of hundreds of pages is asked « 50 salariés » again and again
            self._figures[key] = _written_whole(self._folded, number.split()[0], digits, after)
        return self._figures[key]

    def holds(self, kind: str, value: str, canonical: tuple[str, object] | None) -> bool:
        if kind == "article":  # « article L. 1234-5 » is vouched for by « L. 1234-5 »
            value = _CODE_ARTICLE.sub("", value)
            if any(_compact(key) in self.compact for key in _reference_keys(value)):
                return True
        if _compact(value) in self.compact:
            return True
        if kind in ("url", "email") and _compact(_refanged(value)) in self.compact:
            return True
        if canonical is None:
            return False
        if self._values is None or self._as_written is None:
            facts = [(self.raw[a:b], c) for _, a, b, c in _facts_in(self.raw) if c is not None]
            self._values = {c for _, c in facts}
            self._as_written = {c for written, c in facts if not _converted(written)}
        if kind == "duration" and not _converted(value):
            # « 35 jours » is not vouched for by « 5 semaines » said of something else: a draft that
            # counts in days or months gives the figure its source gives; « 3 semaines » may still
            # round « 21 jours » up (the larger unit is the reworded one)
            return canonical in self._as_written
        return canonical in self._values


# a text named by its kind, then its number or its date; a number alone
_TEXT_REFERENCE = re.compile(
    rf"(?P<kind>{_TEXT_KIND}){_TEXT_QUALIFIER}{{0,2}}\s+(?P<rest>{_NUMBER_SIGN}(?P<id>.+)|du\s.+)$|{_NUMBER_SIGN}(?P<alone>.+)$",
    re.IGNORECASE,
)


def _reference_keys(value: str) -> list[str]:
    """What in a source vouches for a reference beside the reference as written: the kind and number
    or date without the qualifiers (« arrêté ministériel du 3 mai 2024 » → « arrêté du 3 mai 2024 »), and
    a number distinctive enough to name one text (« 2025-417 », « 6482/SG »; not « 12 »)."""
    match = _TEXT_REFERENCE.fullmatch(value.strip())
    if match is None:
        return []
    keys = [f"{match.group('kind')} {match.group('rest')}"] if match.group("kind") else []
    number = match.group("id") or match.group("alone")
    if number and len(_compact(number)) >= 5 and not number.isdigit() and "[" not in number:
        keys.append(number)
    return keys


_DEFANGED = re.compile(rf"(?P<dot>{_DEFANGED_DOT})|\s?(?P<at>{_DEFANGED_AT}|@)\s?", re.IGNORECASE)


def _refanged(value: str) -> str:
    """« rh-paie[.]fr » → « rh-paie.fr », « rh (at) paie.fr » → « rh@paie.fr »."""
    return _DEFANGED.sub(lambda m: "." if m.group("dot") else "@", value)


def _evidence(passages: Sequence[Passage]) -> _Evidence:
    """The passages' text, title, link and headings (the offline drafter quotes a heading: « Dans le
    cas « Pour une durée de douze mois » … »), without what addresses the tool."""
    raw = plain_digits(
        " ".join(
            " ".join((p.text, p.title, p.url, *(h for h in p.heading_path if not is_instruction(h))))
            for p in passages
        )
    )
    return _Evidence(raw, _compact(raw))


_NOT_PLAIN = re.compile(r"[^\x00-\u024f\u2000-\u206f\u20ac]")


@lru_cache(maxsize=1024)
def _plain_char(c: str) -> str:
    if unicodedata.category(c) == "Nd":
        return str(unicodedata.digit(c))
    n = unicodedata.normalize("NFKC", c)
    return n if len(n) == 1 else c


def plain_digits(text: str) -> str:
    """Styled and foreign digits and letters (𝟬𝟲, ０６, ٠٦, 𝐰𝐰𝐰) as plain ones, one character for
    one (offsets kept). Look-alike letters of other scripts are left alone: « pаypal.fr » with a
    Cyrillic « а » is not the same address and must not match it."""
    if not _NOT_PLAIN.search(text):
        return text
    return _NOT_PLAIN.sub(lambda m: _plain_char(m.group(0)), text)


_QUALIFIER = re.compile(r"ouvrable|ouvre|calendaire|franc")
_RANK_WORD = re.compile(r"(?:premier|premiere|dernier|derniere|prochain|prochaine|suivant|suivante)s?$")
# « 2 semaines » is « 14 jours », « un trimestre » « 3 mois »
_IN_SMALLER_UNIT = {
    "semaine": (7, "jour"),
    "an": (12, "mois"),
    "trimestre": (3, "mois"),
    "semestre": (6, "mois"),
    "heure": (60, "minute"),
}


def _figure(kind: str, number: Decimal, unit_text: str) -> tuple[str, object]:
    """("duration", (14, "jour", "ouvrable")): a figure by value, unit and qualifier."""
    folded = fold(unit_text)
    words = [
        w for w in _UNIT_WORD.findall(folded.replace("pour cent", "pourcent")) if not _RANK_WORD.match(w)
    ]
    unit = _UNIT_OF.get(words[0], words[0]) if words else ""
    if unit == "franc" and "suisse" in folded:
        unit = "chf"
    elif {"cfp", "xpf"} & set(words) or (unit == "franc" and "pacifique" in folded):
        unit = "xpf"  # « F CFP », « francs Pacifique », « XPF »
    elif {"cfa", "fcfa"} & set(words):
        unit = "cfa"
    if unit in _IN_SMALLER_UNIT:
        factor, unit = _IN_SMALLER_UNIT[unit]
        number *= factor
    qualifier = (
        _QUALIFIER.search(folded) if kind == "duration" else None
    )  # « jours francs », not « francs CFP »
    return (kind, (number.normalize(), unit, qualifier.group(0) if qualifier else ""))


def _spoken_minutes(words: str) -> int | None:
    """The minutes of « cinquante », « quart », « demie » said after the hours; None past 59."""
    if words in ("quart", "demie"):
        return 15 if words == "quart" else 30
    runs = list(number_runs(words))
    minutes = runs[0].numbers if len(runs) == 1 else ()
    return minutes[0] if len(minutes) == 1 and minutes[0] < 60 else None


def _converted(value: str) -> bool:
    """Whether a duration is written in a unit counted in a smaller one (« 3 semaines » = 21 days)."""
    return any(_UNIT_OF.get(w, w) in _IN_SMALLER_UNIT for w in _UNIT_WORD.findall(fold(value)))


_SHARE_PARTS = re.compile(
    r"^(?:(?P<count>\w+)\s(?P<part>\w+)|(?P<num>\d{1,2})\s?/\s?(?P<den>\d{1,3})\D*?)\s(?:de|du|des)\s"
    r"(?:(?:la|son|sa|leur|ce|cette)\s|l')?(?P<base>\w+)"
)


def _share(value: str) -> tuple[str, object] | None:
    """("amount", (1/10, "part", "remuneration")) for « un dixième de la rémunération » and « 1/10e
    de la rémunération »; None for what is no share of pay."""
    match = _SHARE_PARTS.match(fold(value).replace("’", "'"))
    if match is None:
        return None
    if match.group("num"):
        num, den = int(match.group("num")), int(match.group("den"))
    else:
        num = _FRACTION_COUNTS.get(match.group("count"), 0)
        part = match.group("part")
        den = _FRACTION_PARTS.get(part, 0) or _FRACTION_PARTS.get(part.removesuffix("s"), 0)
    if not num or not den:
        return None
    base = match.group("base").rstrip("s")
    return ("amount", ((Decimal(num) / Decimal(den)).quantize(Decimal("0.000001")), "part", base))


def _canonical(kind: str, value: str) -> tuple[str, object] | None:
    """A value as a figure, whatever its format: ("amount", (1500, "€", "")), ("phone", "0612…")."""
    if kind == "phone":
        digits = re.sub(r"\D", "", re.sub(r"^\+\s?33[\s.-]*(?:\(0\))?", "0", value))
        return ("phone", digits)
    if kind == "iban":
        return ("iban", re.sub(r"[^0-9A-Z]", "", value.upper()))
    if kind == "duration" and not value[:1].isdigit():
        return None  # « J+5 », « sous quinzaine », « du 1er au 15 mars »: compared as written
    if kind == "duration" and (hours := _HOURS_AND_MINUTES.match(value)):
        total = int(hours.group(1)) * 60 + int(hours.group(2))  # « 7 h 45 » is 465 minutes
        return ("duration", (Decimal(total).normalize(), "minute", ""))
    if kind == "amount" and (share := _share(value)) is not None:
        return share
    if kind in ("amount", "duration"):
        number = _NUMBER.search(value)
        if number is None:
            return None
        amount = amount_value(number.group(0))
        unit = value[: number.start()] + " " + value[number.end() :]
        return _figure(kind, amount, unit) if amount is not None else None
    return None


# A duration said of what recurs (« versées tous les 14 jours », « chaque semaine ») is a period, not
# a delay: it vouches for a period only (« toutes les deux semaines »), and a delay (« deux semaines
# avant ») only for a delay — the same figure written as the source writes it is still found as written.
_RECURRENCE = re.compile(r"\b(?:tou(?:s|tes)\s+les|chaque)\s+$", re.IGNORECASE)


def _facts_in(text: str) -> Iterator[tuple[str, int, int, tuple[str, object] | None]]:
    """Every figure, link, contact and reference of ``text``: kind, span, value as a figure (a
    duration that recurs marked as such)."""
    for kind, a, b, canonical in _read_facts(text):
        if kind == "duration" and canonical is not None and _RECURRENCE.search(text, max(0, a - 16), a):
            canonical = ("duration", (*canonical[1], "recurring"))  # type: ignore[misc]
        yield kind, a, b, canonical


@lru_cache(maxsize=16)  # the sync review reads one fiche against its previous version and the base
def _values_read(masked: str) -> tuple[tuple[str, int, str, tuple[str, object] | None], ...]:
    """Every fact of a text whose citations are masked, once: kind, start, value as written (trimmed),
    value as a figure."""
    values = []
    for kind, a, b, canonical in _facts_in(masked):
        value = masked[a:b].strip()
        values.append((kind, masked.find(value, a), value, canonical))
    return tuple(values)


def _read_facts(text: str) -> Iterator[tuple[str, int, int, tuple[str, object] | None]]:
    banks: list[tuple[int, int]] = []
    read: dict[str, list[tuple[int, int]]] = {}
    for kind, pattern in FACT_PATTERNS.items():
        for match in pattern.finditer(text):
            a, b = match.span()
            value = match.group(0)
            if kind == "iban":
                if sum(c.isdigit() for c in value) < 10:
                    continue
                banks.append((a, b))
            elif any(a < y and x < b for x, y in banks):
                continue  # the digits of bank details are not a phone number
            read.setdefault(kind, []).append((a, b))
            yield kind, a, b, _canonical(kind, value)
    for kind, pattern in CONTEXT_PATTERNS:
        for match in pattern.finditer(text):
            a, b = match.span("v")
            if not any(x <= a and b <= y for x, y in read.get(kind, ())):  # « n° 22NT01234 »: read once
                yield kind, a, b, _canonical(kind, match.group("v"))
    folded = fold_keep_length(text)
    for start, end, spoken in mixed_phone_runs(folded):
        yield "phone", start, end, ("phone", spoken)
    minutes_read = -1  # « cinquante » of « dix heures cinquante », read with the hours
    for run in number_runs(folded):
        if run.start < minutes_read:
            continue
        digits = phone_digits(run.numbers)
        if digits is not None:
            yield "phone", run.start, run.end, ("phone", digits)
            continue
        unit = _WORD_UNIT.match(folded, run.end)
        if unit is None or (run.numbers[-1] < 2 and len(run.numbers) == 1 and not unit.group("time")):
            continue  # « un euro »: not a figure anybody disguises; « un trimestre » is a duration
        kind = "duration" if unit.group("time") else "amount"
        figure = _figure(kind, Decimal(run.numbers[-1]), unit.group(0))
        end = unit.end()
        if kind == "duration" and unit.group(0).strip().startswith("heure"):
            minutes = _WORD_MINUTES.match(folded, end)
            if minutes is not None and (said := _spoken_minutes(minutes.group("n"))) is not None:
                figure = ("duration", (Decimal(run.numbers[-1] * 60 + said), "minute", ""))
                end = minutes_read = minutes.end()
        yield kind, run.start, end, figure


_USERINFO = re.compile(r"^[^\W\d_][\w+.-]*://[^/?#\s]*@")
_SCRIPT_SCHEME = re.compile(r"^(?:javascript|data|vbscript|file)\s*:", re.IGNORECASE)


def _scripts(host: str) -> set[str]:
    """The scripts of a host's letters (« LATIN », « CYRILLIC »…): one name per letter."""
    return {unicodedata.name(c, "?").split()[0] for c in host if c.isalpha()}


def _deceptive(url: str) -> bool:
    """A link no source makes honest: a script (``javascript:``), a « name@ » part before the host
    (« https://www.service-public.fr@203.0.113.5/ » goes to the address after « @ »), a host mixing
    scripts (a Cyrillic « і » in « service-publіc.fr ») or spelled in punycode (« xn--… »)."""
    if _SCRIPT_SCHEME.match(url) or _USERINFO.match(url):
        return True
    host = re.sub(r"^[^\W\d_][\w+.-]*://", "", url).split("/", 1)[0].split("?", 1)[0]
    return "xn--" in host.lower() or len(_scripts(host)) > 1 or bool(_scripts(host) - {"LATIN"})


def _unverified_facts(
    text: str,
    by_n: dict[int, Passage],
    hostile: Collection[int] = (),
    domains: TrustedDomains | None = None,
    unofficial: Collection[int] = (),
) -> list[Flag]:
    """Facts are read in the whole draft (a number spaced out as « 0 1 7 3 . 4 4 . … » spans what the
    sentence splitter takes for several sentences), each checked against the sources of the sentence
    it starts in. ``hostile``: passages that address the tool — what only they vouch for is flagged.
    ``domains``: where a link or an address may point even when a source vouches for it.
    ``unofficial``: passages from outside the official sources — what only they vouch for is
    flagged too, naming the page."""
    domains = domains or trusted_domains()
    flags: list[Flag] = []
    evidence: dict[tuple[int, ...], tuple[_Evidence, _Evidence | None, _Evidence | None, str]] = {}
    readable = plain_digits(text)  # same length: offsets found in it are offsets in ``text``
    sentences = list(sentence_spans(readable))
    if not sentences:
        return flags
    starts = [start for start, _ in sentences]
    masked = CITATION.sub(lambda m: " " * len(m.group(0)), readable)  # citations out, offsets kept
    links: list[tuple[int, int]] = []
    read: list[tuple[int, int]] = []  # every span read as a fact, vouched for or not

    def sources_at(a: int) -> tuple[_Evidence, _Evidence | None, _Evidence | None, str]:
        start, sentence = sentences[max(bisect_right(starts, a) - 1, 0)]
        numbers = _sources_of(sentence, _paragraph_at(readable, start), readable, by_n)
        if numbers not in evidence:  # folded once per set of cited passages, not once per fact
            trusted = [by_n[n] for n in numbers if n not in hostile and n not in unofficial]
            suspect = [by_n[n] for n in numbers if n in hostile]
            elsewhere = [by_n[n] for n in numbers if n in unofficial and n not in hostile]
            evidence[numbers] = (
                _evidence(trusted),
                _evidence(suspect) if suspect else None,
                _evidence(elsewhere) if elsewhere else None,
                " ; ".join(dict.fromkeys(p.title or p.doc_id for p in elsewhere)),
            )
        return evidence[numbers]

    for kind, a, value, canonical in _values_read(masked):
        read.append((a, a + len(value)))
        if kind == "url":
            links.append((a, a + len(value)))
        elif kind == "email" and any(x <= a and a + len(value) <= y for x, y in links):
            continue  # « https://www.impots.gouv.fr@198.51.100.7/… »: the link is judged whole
        trusted_ev, suspect_ev, elsewhere_ev, elsewhere_titles = sources_at(a)
        if kind == "url" and _deceptive(value):
            message = FLAG_MESSAGES["url_deceptive"]  # whatever the source says
        elif trusted_ev.holds(kind, value, canonical):
            if kind == "iban":
                message = FLAG_MESSAGES["iban_found"]
            elif kind in ("url", "email") and not domains.allows(kind, _refanged(value)):
                message = FLAG_MESSAGES[f"{kind}_untrusted"]
            else:
                continue
        elif suspect_ev is not None and suspect_ev.holds(kind, value, canonical):
            message = FLAG_MESSAGES["tainted"]
        elif elsewhere_ev is not None and elsewhere_ev.holds(kind, value, canonical):
            # kind kept (a duration is highlighted as one), the message says why
            message = FLAG_MESSAGES["unofficial"].format(title=elsewhere_titles[:120])
        else:
            message = FLAG_MESSAGES[kind]
        flags.append(Flag(kind, text[a : a + len(value)], message, a, a + len(value)))
    flags.extend(_unread_figures(text, masked, read, sources_at))
    flags.sort(key=lambda f: f.start)
    return flags


class SourceEvidence:
    """What a body of text vouches for, built once and reused (a whole knowledge base, a fiche's
    previous version): the evidence the draft checks use, for texts that are not passages."""

    def __init__(self, texts: Sequence[str]) -> None:
        raw = plain_digits(" ".join(texts))
        self._evidence = _Evidence(raw, _compact(raw))

    def new_values(self, text: str) -> list[Flag]:
        """The figures, links, contacts and references of ``text`` this evidence does not write, read
        exactly as a draft's are (« 45 jours » is vouched for by « quarante-cinq jours »); a deceptive
        link is always returned (``url_deceptive``), whatever the evidence says."""
        readable = plain_digits(text)
        masked = CITATION.sub(lambda m: " " * len(m.group(0)), readable)
        found: list[Flag] = []
        read: list[tuple[int, int]] = []
        for kind, a, value, canonical in _values_read(masked):
            read.append((a, a + len(value)))
            if kind == "url" and _deceptive(value):
                found.append(
                    Flag(
                        "url_deceptive",
                        text[a : a + len(value)],
                        FLAG_MESSAGES["url_deceptive"],
                        a,
                        a + len(value),
                    )
                )
            elif not self._evidence.holds(kind, value, canonical):
                found.append(Flag(kind, text[a : a + len(value)], FLAG_MESSAGES[kind], a, a + len(value)))
        found.extend(_unread_figures(text, masked, read, lambda _: (self._evidence, None, None, "")))
        found.sort(key=lambda f: f.start)
        return found


def markup_and_hidden(text: str) -> list[Flag]:
    """What a draft would have stripped from ``text``: invisible characters, markup, action links."""
    return _sanitised(text)[1]


# the words after a number that say nothing of what it counts
_NOT_A_UNIT = (
    r"(?i:x|de|du|des|d|la|le|les|l|et|ou|à|a|au|aux|en|par|pour|sur|dans|avec|sans|est|sont|il|elle|ils|elles"
    r"|qui|que|se|sa|son|ses|ce|cette|soit|puis|dont)"
)


def _unofficial_sentences(text: str, by_n: dict[int, Passage], unofficial: Collection[int]) -> Iterator[Flag]:
    """A sentence whose citations (its own, else its paragraph's) name only pages from outside the
    official sources is flagged whole: a planted page can change a word rather than a figure (« le CDD
    ne peut être renouvelé qu'une seule fois », « par lettre simple », a service that does not exist),
    which no value check sees. A sentence citing an official page beside it is read as usual."""
    if not unofficial:
        return
    for start, sentence in sentence_spans(text):
        numbers = _cited_in(sentence, by_n) or _cited_in(_paragraph_at(text, start), by_n)
        if numbers and all(n in unofficial for n in numbers):
            first = CITATION.search(sentence)  # the words before its first citation
            body = (sentence[: first.start()] if first else sentence).strip()
            title = " ; ".join(dict.fromkeys(by_n[n].title or by_n[n].doc_id for n in numbers))
            at = text.find(body, start) if body else -1
            if at >= 0 and len(body) > 3:
                message = FLAG_MESSAGES["unofficial_sentence"].format(title=title[:120])
                yield Flag("unofficial_sentence", body, message, at, at + len(body))


# Any other figure: a number, with the unit or the acronym right after it (« 0,58 SMIC », « 1,2 ‰ »,
# « 25 min », « LEGIARTI000049127736 »). Eleven blind sets found a new shape of value each time the
# patterns above learnt the last one; a figure the draft writes and no cited passage writes is flagged
# whatever its shape, and found only written whole with the same unit. Not a figure: a list item's
# number, a placeholder, a citation (masked before), a date or a year, « 1er » (a word).
_FIGURE = re.compile(
    # the number whole: « 1 400 certifications » is not « 400 certifications » (thousands grouped by a
    # space), then the forms a reference or a code takes (« 2025-417 », « R476 »)
    r"(?<![\w*\[/.,-])(?P<n>(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)|[A-Za-z]*\d[\w*]*)"
    r"(?:[.,/'’_\-][\w*]+)*)"
    # the unit: a symbol, an acronym (« SMIC », « PASS ») or a word in lower case (« salariés »,
    # « min »); not « Hors » starting the next sentence of a table, not the « ° » of « 2° » (a
    # legal enumeration)
    r"(?:[ \u00a0\u202f]?(?P<u>%|‰|€|k€|\$|£|°\s?[CF]\b|(?-i:[A-Z]{2,6})\b"
    r"|(?!(?:" + _NOT_A_UNIT + r")\b)(?-i:[a-zà-öø-ÿ][a-zà-öø-ÿ'’-]{0,23})))?",
)
_LIST_ITEM = re.compile(r"(?m)^[ \t]*\d{1,2}[.)]\s")
# Dates are told, not figures set (a deadline is read above, as a duration): « le 30 avril 2024 »,
# « 30/04/2024 », « 2024-04-30 », a year alone.
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:er)?(?:{_SP}|-)(?:{_MONTH})\b(?:{_SP}\d{{4}})?|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b"
    r"|\b(?:19|20)\d{2}(?:-\d{2}-\d{2})?\b",
    re.IGNORECASE,
)


def _unread_figures(
    text: str,
    masked: str,
    read: Sequence[tuple[int, int]],
    sources_at: Callable[[int], tuple[_Evidence, _Evidence | None, _Evidence | None, str]],
) -> Iterator[Flag]:
    items = {m.start() + len(m.group(0)) - len(m.group(0).lstrip(" \t")) for m in _LIST_ITEM.finditer(masked)}
    read = [*read, *(m.span() for m in _DATE.finditer(masked))]
    for match in _FIGURE.finditer(masked):
        a, b = match.span()
        value = match.group(0).rstrip(".,'’-")
        b = a + len(value)
        if a in items or any(x < b and a < y for x, y in read) or len(_compact(value)) < 2:
            continue
        if re.fullmatch(r"1(?:er|re|ère)", match.group("n"), re.IGNORECASE):  # « le 1er arrêt »: « premier »
            continue
        trusted_ev, suspect_ev, elsewhere_ev, elsewhere_titles = sources_at(a)
        number, unit = match.group("n"), match.group("u") or ""
        if trusted_ev.has_figure(number, unit):
            continue
        if suspect_ev is not None and suspect_ev.has_figure(number, unit):
            message = FLAG_MESSAGES["tainted"]
        elif elsewhere_ev is not None and elsewhere_ev.has_figure(number, unit):
            message = FLAG_MESSAGES["unofficial"].format(title=elsewhere_titles[:120])
        else:
            message = FLAG_MESSAGES["figure"]
        yield Flag("figure", text[a:b], message, a, b)
