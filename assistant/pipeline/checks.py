"""Checks on a draft before the agent sees it.

- Citations: every [n] must name a passage that was retrieved and given to the drafter; others are
  removed from the text and flagged.
- Unverified facts: URLs, e-mails, phone numbers, amounts, durations and article numbers in a
  sentence are looked for in the passages that sentence cites (a sentence without citation: those
  its paragraph cites, else those the draft cites, else all passages); what cannot be found is
  flagged — the panel highlights it. What a passage says to the tool (``injection.py``) is not
  evidence.
- Hostile output: markup and invisible characters are stripped (flagged), citation look-alikes
  normalised, contacts copied from the masked question and copies of our system prompt flagged.
- Freshness (``freshness.py``): superseded terms, expired time-boxed measures, figures from
  sources older than a limit, and cited passages that disagree — what an extractive draft needs.
- The AI mention is appended (configurable, on by default); the agent may remove it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from assistant.pipeline.flags import Flag
from assistant.pipeline.freshness import fold_keep_length, freshness_flags
from assistant.pipeline.injection import clean_passage, has_instructions
from assistant.pipeline.sentences import split_sentences
from assistant.pipeline.types import Passage
from knowledge_base.analysis import fold

CITATION = re.compile(r"\s?\[(\d{1,3})\]")
# Citation look-alikes a model may write: « [1, 3] », « [ 9 ] », full-width « ［９］ », an invisible
# character inside the brackets. Rewritten as [1][3] / [9] before renumbering and checking.
_CITATION_LIKE = re.compile(
    r"[\[［][\s\u200b-\u200f\u2060\ufeff]*([0-9０-９]{1,3}(?:[\s\u200b-\u200f\u2060\ufeff]*[,;，；][\s\u200b-\u200f\u2060\ufeff]*"
    r"[0-9０-９]{1,3})*)[\s\u200b-\u200f\u2060\ufeff]*[\]］]"
)
_TLDS = (
    "fr|com|net|org|eu|info|io|co|biz|xyz|site|online|app|me|be|ch|ca|de|uk|ly|gl|tk|ru|cn|top|shop|pro|"
    "link|click|live|support|help|email|cloud|dev|page|tv|us|re|gp|mq|nc|pf"
)
FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "url": re.compile(
        r"(?:\b[^\W\d_][\w+.-]*://|\bwww\.|\b(?:javascript|data|vbscript):)[^\s<>()\[\]\"'«»]+[^\s<>()\[\].,;:\"'«»]"
        rf"|(?<![@\w.-])(?:[\w-]+\.)+(?:{_TLDS})\b(?:/[^\s<>()\[\]\"'«»]*[^\s<>()\[\].,;:\"'«»])?(?![\w@-])",
        re.IGNORECASE,
    ),
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "phone": re.compile(
        r"(?:\+33\s?(?:\(0\)\s?)?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b"
        r"|\+(?!33)\d{2,3}(?:[\s.-]?\(?\d{1,4}\)?){3,6}\b"
        r"|\b0\s?[89]\d{2}(?:[\s.]?\d{2,3}){2}\b"
    ),
    "amount": re.compile(
        r"\b\d+(?:[ \u202f.]\d{3})*(?:,\d+)?\s?(?:[kK]\s?€|€|euros?\b|%|EUR\b)"
        r"|(?:€|\bEUR)\s?\d+(?:[ \u202f.]\d{3})*(?:,\d+)?"
    ),
    "duration": re.compile(
        r"\b\d+(?:,\d+)?\s?(?:jours?|semaines?|mois|ans?|années?|heures?|h)\b(?:\s(?:ouvrables?|ouvrés?|calendaires?|francs?))?"
    ),
    "article": re.compile(
        r"\b(?:articles?\s+)?[LRD]\.?\s?\d{1,4}(?:-\d+)+\b|\barticles?\s+\d+(?:-\d+)*\b|\bart\.\s?\d+(?:-\d+)*\b",
        re.IGNORECASE,
    ),
}
# What a draft never needs: markup (tags, comments) and invisible characters (zero-width, bidi
# overrides, soft hyphens) that can split a figure or a link so the patterns above miss it.
_MARKUP = re.compile(
    r"<!--.*?(?:-->|$)|<\s*(script|style)\b.*?(?:<\s*/\s*\1\s*>|$)|<\s*/?\s*[a-zA-Z][\w:-]*(?:[\s/][^<>\n]*)?(?:>|(?=\n)|$)",
    re.S | re.I,
)
_HIDDEN = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_FULL_WIDTH = re.compile(r"[\uff01-\uff5e\u3000]")
FLAG_MESSAGES = {
    "invalid_citation": "Citation [{value}] ne correspond à aucun passage fourni : retirée.",
    "url": "Adresse web absente des passages cités : à vérifier.",
    "email": "Adresse e-mail absente des passages cités : à vérifier.",
    "phone": "Numéro de téléphone absent des passages cités : à vérifier.",
    "amount": "Montant absent des passages cités : à vérifier.",
    "duration": "Durée absente des passages cités : à vérifier.",
    "article": "Référence d'article absente des passages cités : à vérifier.",
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


def normalise_citations(text: str) -> str:
    """« [1, 3] » → « [1][3] », « [ 9 ] » / « ［９］ » → « [9] »: what renumbering and checks read."""

    def rewrite(match: re.Match[str]) -> str:
        numbers = re.split(r"[,;，；]", _HIDDEN.sub("", match.group(1)))
        return "".join(f"[{int(n.strip())}]" for n in numbers)

    return _CITATION_LIKE.sub(rewrite, text)


@dataclass
class CheckedDraft:
    text: str
    cited: list[int]  # passage numbers actually cited, in order of first use
    flags: list[Flag] = field(default_factory=list)
    ai_mention: bool = False


def _compact(text: str) -> str:
    """Comparable form of a value: folded, no spaces or dots/non-breaking spaces inside numbers."""
    return re.sub(r"[\s\u202f.\u00a0]", "", fold(text))


def check_draft(
    text: str,
    passages: Sequence[Passage],
    ai_mention: str | None,
    *,
    today: date | None = None,
    max_age_years: float = 3.0,
) -> CheckedDraft:
    """The checked draft: invalid citations removed, every flag with its span in the final text.

    ``today`` is the reference date for expired measures and old sources (today when None);
    ``max_age_years`` the age beyond which a source's figures are flagged."""
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
    flags.extend(_unverified_facts(text, {p.n: p for p in sources}))
    flags.extend(prompt_leaks(text))
    flags.extend(
        Flag("copied_contact", m.group(0), FLAG_MESSAGES["copied_contact"], m.start(), m.end())
        for m in _CONTACT_PLACEHOLDER.finditer(text)
    )
    flags.extend(
        Flag("injection", str(p.n), FLAG_MESSAGES["injection"].format(value=p.n))
        for p in passages
        if has_instructions(p)
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
    for match in _MARKUP.finditer(text):
        value = match.group(0)[:80]
        flags.append(Flag("markup", value, FLAG_MESSAGES["markup"].format(value=value)))
    text = _MARKUP.sub("", text)
    return text, flags


# A contact the masking replaced in the question (« [TELEPHONE_1] ») and the drafter wrote back: put
# back into the reply by unmasking, it comes from the message, never from a source.
_CONTACT_PLACEHOLDER = re.compile(r"\[(?:TELEPHONE|EMAIL|IBAN|ADRESSE)_\d+\]")
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


def _unverified_facts(text: str, by_n: dict[int, Passage]) -> list[Flag]:
    flags: list[Flag] = []
    haystacks: dict[tuple[int, ...], str] = {}
    offset = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, offset)
        offset = start + len(sentence) if start >= 0 else offset
        numbers = _sources_of(sentence, _paragraph_at(text, max(start, 0)), text, by_n)
        if numbers not in haystacks:  # folded once per set of cited passages, not once per sentence
            sources = [by_n[n] for n in numbers]
            haystacks[numbers] = _compact(" ".join(p.text + " " + p.title + " " + p.url for p in sources))
        haystack = haystacks[numbers]
        for kind, pattern in FACT_PATTERNS.items():
            for match in pattern.finditer(CITATION.sub("", sentence)):
                value = match.group(0).strip()
                if _compact(value) not in haystack:
                    at = text.find(value, start) if start >= 0 else -1
                    flags.append(
                        Flag(kind, value, FLAG_MESSAGES[kind], at, at + len(value) if at >= 0 else -1)
                    )
    return flags
