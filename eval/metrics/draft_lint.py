"""Defects an HR agent sees at a glance in a draft, counted the same way for every drafter.

Each detector takes the draft text (and, for the audience check, the audiences of the cited
documents) and returns the offending fragments, so a count can always be traced back to what was
seen. Only the body is inspected — paragraphs that carry a citation [n] — since the greeting,
the opening, the closing and the AI mention are the drafter's own fixed words.

The classes follow the review of issue 10 and ``DRAFT-RUBRIC.md`` point 5-6:
scaffolding (« Question : … Réponse : »), fragment_start (a paragraph or line starting mid-sentence
or a list item without its introduction), cut_article (« 1234-1 du code du travail » without its
L./R./D.), glued_sentence (« maladie.Le salarié »), dangling_reference (« ci-dessous », « ce
modèle », a paragraph opening on « Dans ce cas »), quoted_question (another person's question or
first-person text), mixed_audience (private-sector and civil-service documents cited together).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

CITATION = re.compile(r"\[\d{1,2}\]")
_SCAFFOLDING = re.compile(r"\b(?:Question|Réponse)\s?:")
_BULLET = re.compile(r"^[-•*–]\s+")
_FRAGMENT_START = re.compile(r"^(?:[-•*–]\s*[-•*–]|[a-zà-öø-ÿ]|[,;:)\].…])")
_CONNECTIVE = re.compile(r"^(?:Par ailleurs|À noter|En outre|De plus|Enfin)\s?[,:]\s*")
_ARTICLE_NUMBER = re.compile(r"\b\d{4}-\d{1,3}(?:-\d+)?\b")
_ARTICLE_PREFIX = re.compile(r"(?:\b[LRD]\.?\s?|\bn°\s?|\barticles?\s|\bet\s|\bloi\s|\bdécret\s|,\s?)$", re.I)
_GLUED = re.compile(r"[a-zà-öø-ÿ)]{2,}[.!?…][A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]")
_DANGLING_ANYWHERE = re.compile(
    r"ci-dessous|ci-dessus|ci-après|\bce modèle\b|\bces modèles\b|voir précisions|"
    r"peut être téléchargé|télécharg(?:er|ez)\b|\bcliquez\b|\btableau suivant\b|\bsuivant(?:e|es|s)?\s?:\s*$",
    re.I,
)
_DANGLING_OPENING = re.compile(
    r"^(?:Dans ce cas|Dans cette (?:hypothèse|situation)|Ce dernier|Cette dernière|Celui-ci|Celle-ci|"
    r"Ceux-ci|En l['’]espèce|Dans ces conditions)\b"
)
_FIRST_PERSON = re.compile(r"\b(?:je|j['’]|m['’]|moi)\b|\bmon (?!compte\b)|\bma\b|\bmes\b", re.I)


@dataclass
class LintReport:
    found: dict[str, list[str]] = field(default_factory=dict)
    body_paragraphs: int = 0
    extra_paragraphs: int = 0
    par_ailleurs: int = 0

    def count(self, kind: str) -> int:
        return len(self.found.get(kind, []))


CLASSES = (
    "scaffolding",
    "fragment_start",
    "cut_article",
    "glued_sentence",
    "dangling_reference",
    "quoted_question",
    "mixed_audience",
)


def body_paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if CITATION.search(p)]


def _sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    for line in paragraph.split("\n"):
        out.extend(s for s in re.split(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ«(])", line.strip()) if s)
    return out


def scaffolding(paragraphs: Iterable[str]) -> list[str]:
    return [m.group(0) for p in paragraphs for m in _SCAFFOLDING.finditer(p)]


def fragment_start(paragraphs: Iterable[str]) -> list[str]:
    found = []
    for p in paragraphs:
        previous = ""
        for line in (x.strip() for x in p.split("\n")):
            if not line:
                continue
            is_item = bool(_BULLET.match(line))
            head = _CONNECTIVE.sub("", line) if not is_item else line
            if _FRAGMENT_START.match(head) and not (is_item or _CONNECTIVE.match(line)):
                found.append(line[:60])
            elif is_item and (
                _FRAGMENT_START.match(line)
                or (not previous.endswith((":", ";", ",")) and not _BULLET.match(previous))
            ):
                found.append(line[:60])  # a list item without the sentence that introduces it
            previous = line
    return found


def cut_article(paragraphs: Iterable[str]) -> list[str]:
    found = []
    for p in paragraphs:
        for m in _ARTICLE_NUMBER.finditer(p):
            before = p[max(0, m.start() - 10) : m.start()]
            after = p[m.end() : m.end() + 12]
            if _ARTICLE_PREFIX.search(before):
                continue
            at_start = not before.strip() or before.rstrip().endswith((".", "\n", "(", "["))
            if at_start or after.lstrip().startswith("du code"):
                found.append(p[max(0, m.start() - 5) : m.end() + 15])
    return found


def glued_sentence(paragraphs: Iterable[str]) -> list[str]:
    found = []
    for p in paragraphs:
        for m in _GLUED.finditer(p):
            token_start = p.rfind(" ", 0, m.start()) + 1
            token_end = p.find(" ", m.end())
            token = p[token_start : token_end if token_end >= 0 else len(p)]
            if "/" in token or "@" in token or "www" in token.lower():
                continue  # a web address, not two sentences
            found.append(m.group(0))
    return found


def dangling_reference(paragraphs: Iterable[str]) -> list[str]:
    found = []
    for p in paragraphs:
        # « … les conditions suivantes : » is not dangling when its list follows on the next lines.
        p = re.sub(r"(suivant(?:e|es|s)?\s?:)(?=\n[-•*–] )", "suivants (liste)", p)
        for i, sentence in enumerate(_sentences(p)):
            bare = CITATION.sub("", sentence).strip()
            if (m := _DANGLING_ANYWHERE.search(bare)) or (
                i == 0 and (m := _DANGLING_OPENING.match(_CONNECTIVE.sub("", bare)))
            ):
                found.append(m.group(0))
    return found


def quoted_question(paragraphs: Iterable[str]) -> list[str]:
    found = []
    for p in paragraphs:
        for sentence in _sentences(p):
            bare = CITATION.sub("", sentence).strip()
            if bare.endswith("?") or _FIRST_PERSON.search(bare):
                found.append(bare[:80])
    return found


def mixed_audience(cited_audiences: Iterable[str]) -> list[str]:
    kinds = set(cited_audiences) & {"private-sector", "civil-service"}
    return ["private-sector + civil-service"] if len(kinds) == 2 else []


def extra_paragraphs(text: str, doc_of: dict[int, str]) -> int:
    """Body paragraphs citing none of the documents of the first one (the answer itself)."""
    paragraphs = body_paragraphs(text)
    if not paragraphs:
        return 0

    def docs(p: str) -> set[str]:
        return {doc_of.get(int(m.group(0)[1:-1]), m.group(0)) for m in CITATION.finditer(p)}

    core = docs(paragraphs[0])
    return sum(1 for p in paragraphs[1:] if not docs(p) & core)


def lint_draft(text: str, doc_of: dict[int, str], audience_of: dict[int, str]) -> LintReport:
    """doc_of / audience_of: passage number → document id / audience of that document."""
    paragraphs = body_paragraphs(text)
    cited = {int(m.group(0)[1:-1]) for p in paragraphs for m in CITATION.finditer(p)}
    report = LintReport(
        found={
            "scaffolding": scaffolding(paragraphs),
            "fragment_start": fragment_start(paragraphs),
            "cut_article": cut_article(paragraphs),
            "glued_sentence": glued_sentence(paragraphs),
            "dangling_reference": dangling_reference(paragraphs),
            "quoted_question": quoted_question(paragraphs),
            "mixed_audience": mixed_audience(audience_of.get(n, "all") for n in cited),
        },
        body_paragraphs=len(paragraphs),
        extra_paragraphs=extra_paragraphs(text, doc_of),
        par_ailleurs=len(re.findall(r"\bPar ailleurs\b", text)),
    )
    return report
