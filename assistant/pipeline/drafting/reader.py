"""Read a retrieved passage the way an agent reads a page: answer blocks, headings, lists.

A chunk's text is not clean prose. The chunker cut long paragraphs at « L. » / « R. » (« article
L.\\n1234-1 »), service-public fiches are stitched from conditional fragments (« Au moins 2 ans »
on its own line, then the rule), « --- » separates fragments, FAQ entries carry « Question : … /
Réponse : … » scaffolding, some pages glue sentences (« maladie.Le salarié »), tables are
flattened into « | cell » lines. The reader repairs what can be repaired and returns *units*:
sentences and list items, each with the conditions (heading lines) it sits under, so that a rule
never leaves its condition behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from assistant.pipeline.sentences import PASSAGE_CACHE, split_sentences

UnitKind = Literal["sentence", "intro", "item"]

_CUT_ABBREVIATION = re.compile(r"(?:\b[LRDp]|\bart|\bArt|n°|\bal|\bcf|\bch|\bchap|\btit|\bliv)\.$")
_GLUED_LOWER = re.compile(r"\b([a-zà-öø-ÿ]{3,}\.)([a-zà-öø-ÿ]{2,})\b")
# A Markdown link, written out as its text and its address: « text (https://…) » — the target shows.
MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_BULLET = re.compile(r"^(?:[-•*–]\s*)+(?=\S)")
_GLUED = re.compile(r"([a-zà-öø-ÿ)]{2,}[.!?])([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ])")
_GLUED_ELLIPSIS = re.compile(r"…(?=[A-ZÀ-ÖØ-Þ])")
_TERMINAL = (".", "!", "?", "…", ":", ";", ",", "»", ")", '"')
_QUESTION_LINE = re.compile(r"^Question\s?:\s*")
_ANSWER_LINE = re.compile(r"^Réponse\s?:\s*")
_LINK_LINE = re.compile(r"^Fiche [\w.-]+(?: [\w.-]+)? F?\d+ « .* » ?: ?https?://\S+$")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
MAX_HEADING_WORDS = 12
# Headings that name a topic, not a case the reader must be in.
_NOT_CONDITION = re.compile(
    r"^(?:cas général|droit commun|principe|définition|à savoir|bon à savoir|de quoi s'agit-il|"
    r"attention|remarque|en pratique|textes de référence|références?|pour en savoir plus|"
    r"question \d+|sommaire|introduction|règle générale)\b",
    re.I,
)

_CASE_HEADING = re.compile(
    r"^(?:moins|plus|au moins|au plus|entre|à partir|jusqu|si|lorsque|en cas|pour|avec|sans|salarié|"
    r"fonctionnaire|agent|contractuel|titulaire|stagiaire|cdd|cdi|cas|employeur|entreprise|établissement|"
    r"travailleur|jeune|apprenti|personne|vous|dans|hors|après|avant|durant|pendant|temps (?:plein|partiel)|"
    r"contrat|secteur|particulier|licenciement|démission|rupture)\b",
    re.I,
)
# A heading glued to the sentence after it by the extraction (« …au moment du départ en congés Le
# salarié peut… »): a lower-case word, a space, then a capitalised determiner or conjunction.
_GLUED_HEADING = re.compile(
    r"(?<=[a-zà-öø-ÿ]) (?=(?:Le|La|Les|L['’]|Un|Une|Des|Il|Elle|Ils|Elles|Lorsque|Lorsqu['’]|Si|Pour|Dans|Ce|"
    r"Cet|Ces|Cette|Depuis|Sauf|Chaque|Tout|Toute|Tous|Aucun|Aucune|Son|Sa|Ses|Leur|Leurs|En|À|Seul|Seuls)\b)"
)


@dataclass(frozen=True)
class Unit:
    kind: UnitKind
    text: str
    conditions: tuple[str, ...]  # heading lines it sits under, outermost first (may be empty)
    position: int  # order in the passage
    in_answer: bool  # inside the « Réponse » block of a question/answer document (or no Q/A structure)
    section: str = ""  # the heading it sits under, condition or not (for population/audience checks)


def repair(text: str) -> list[str]:
    """Lines with cut references re-joined and glued sentences separated."""
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if lines and _CUT_ABBREVIATION.search(lines[-1]) and line[:1].isdigit():
            lines[-1] = f"{lines[-1]} {line}"  # « article L. » + « 1234-1 du code du travail »
            continue
        lines.extend(_split_glued_heading(line))
    return [
        _GLUED_ELLIPSIS.sub("… ", _unglue(MARKDOWN_LINK.sub(r"\1 (\2)", line.replace("**", ""))))
        for line in lines
    ]


def _split_glued_heading(line: str) -> list[str]:
    m = _GLUED_HEADING.search(line)
    if (
        m is None
        or len(line[: m.start()].split()) > MAX_HEADING_WORDS
        or re.search(r"[.!?:;]", line[: m.start()])
    ):
        return [line]
    return [line[: m.start()], line[m.end() :]]


def _unglue(line: str) -> str:
    def fix(m: re.Match[str]) -> str:
        start = line.rfind(" ", 0, m.start()) + 1
        token = line[start : m.end()]
        if "/" in token or "@" in token or "www" in token.lower():
            return m.group(0)  # part of a web or e-mail address
        return f"{m.group(1)} {m.group(2)}"

    def fix_lower(m: re.Match[str]) -> str:
        start = line.rfind(" ", 0, m.start()) + 1
        end = line.find(" ", m.end())
        token = line[start : end if end >= 0 else len(line)]
        if (
            "/" in token
            or "@" in token
            or "www" in token.lower()
            or re.search(r"\.(?:fr|com|gouv|org)\b", token)
        ):
            return m.group(0)
        return f"{m.group(1)} {m.group(2)[0].upper()}{m.group(2)[1:]}"  # « légales.les » → « légales. Les »

    return _GLUED_LOWER.sub(fix_lower, _GLUED.sub(fix, line))


def is_heading(line: str) -> bool:
    if _MARKDOWN_HEADING.match(line):
        return True
    if not line or line.startswith(("|", "-", "•", "*", "(")) or line.endswith(_TERMINAL):
        return False
    return len(line.split()) <= MAX_HEADING_WORDS and (line[0].isupper() or line[0].isdigit())


def is_condition(heading: str, title: str = "") -> bool:
    """A heading naming a case the reader must be in (« Au moins 2 ans », « Salarié en CDD »), not
    a topic (« Durée maximale quotidienne ») nor a link or a question."""
    heading = _MARKDOWN_HEADING.sub("", heading).strip()
    if (
        not heading
        or "?" in heading
        or "http" in heading
        or heading == title
        or _NOT_CONDITION.match(heading)
    ):
        return False
    return bool(_CASE_HEADING.match(heading) or re.search(r"\d", heading))


def read_passage(text: str, heading_path: tuple[str, ...] = (), title: str = "") -> list[Unit]:
    """The units of a passage, in order, each with its conditions."""
    return list(_read_passage(text, tuple(heading_path), title))


@lru_cache(maxsize=PASSAGE_CACHE)  # the same passages come back for many questions; units are immutable
def _read_passage(text: str, heading_path: tuple[str, ...], title: str) -> tuple[Unit, ...]:
    lines = repair(text)
    qa = any(_ANSWER_LINE.match(line) for line in lines)
    in_answer = not qa or not any(_QUESTION_LINE.match(line) for line in lines)
    base = tuple(h for h in heading_path[-1:] if is_condition(h, title))
    condition: tuple[str, ...] = base
    section = heading_path[-1] if heading_path else ""
    units: list[Unit] = []
    list_open = False  # the previous unit introduced a list (ended with « : »)
    first_item: str | None = None  # the list's first item, whose shape the next items share
    for i, line in enumerate(lines):
        if not line or line.startswith("… "):
            continue  # blank, or the repeated tail of the previous chunk
        if line == "---":
            condition, section, list_open = (), "", False  # a new conditional fragment: its heading follows
            continue
        if line.startswith("|"):
            list_open = False  # a flattened table cannot be quoted sentence by sentence
            if units and units[-1].kind == "intro":
                units.pop()  # « … comme suit : » without its table is a dangling introduction
            continue
        if _QUESTION_LINE.match(line):
            in_answer = False
            continue
        if m := _ANSWER_LINE.match(line):
            in_answer, line = True, line[m.end() :]
            if not line:
                continue
        if _LINK_LINE.match(line) or (qa and not in_answer):
            continue  # a bare link line, or the asker's own words (another person's question)
        if _BULLET.match(line):
            item = _BULLET.sub("", line)
            if item and (list_open or (units and units[-1].kind == "item")):
                units.append(Unit("item", item, condition, len(units), in_answer, section))
            continue  # a bullet without the sentence that introduces it is a fragment
        nxt = next((x for x in lines[i + 1 :] if x and x != "---"), "")
        short = len(line.split()) <= MAX_HEADING_WORDS and not line.endswith(_TERMINAL)
        if list_open and short and not _ends_list(line, first_item, nxt):
            first_item = first_item or line
            units.append(Unit("item", line, condition, len(units), in_answer, section))
            continue
        if line[0].islower() or line[0] in ",;":
            if list_open or (units and units[-1].kind == "item"):
                units.append(Unit("item", line, condition, len(units), in_answer, section))
            continue  # a fragment cut from its sentence: never quoted
        if is_heading(line) and nxt:
            heading = _MARKDOWN_HEADING.sub("", line).strip()
            condition = (heading,) if is_condition(heading, title) else ()
            section = heading
            list_open, first_item = False, None
            continue
        for sentence in split_sentences(line):
            kind: UnitKind = "intro" if sentence.endswith(":") else "sentence"
            units.append(Unit(kind, sentence, condition, len(units), in_answer, section))
            if kind == "intro" and len(sentence.split()) <= MAX_HEADING_WORDS:
                section = sentence  # « Cas particulier de l'Alsace-Moselle : » governs what follows
        list_open = units[-1].kind == "intro" if units else False
        first_item = None
    return tuple(units)


def _ends_list(line: str, first_item: str | None, nxt: str) -> bool:
    """A short line after list items is a heading when it breaks the items' pattern and a
    sentence follows it (« Soit par accord collectif » vs « Entre 6 mois et 2 ans »); so is a one-
    or two-word capitalised line followed by a sentence (« Conditions », « Montant »)."""
    if line[0].isupper() and len(line.split()) <= 2 and nxt.endswith((".", ":")) and nxt[:1].isupper():
        return True
    if first_item is None or not line[0].isupper() or _same_start(line, first_item):
        return False
    return first_item[0].islower() or (bool(nxt) and nxt.endswith((".", ":")) and not _same_start(line, nxt))


def _same_start(a: str, b: str) -> bool:
    return a.split()[0].lower() == b.split()[0].lower()
