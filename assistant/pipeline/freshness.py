"""Freshness checks on a draft: what the agent should not send as current law without checking.

- ``stale_term``: a superseded body, form, scheme or rule (DIRECCTE, CHSCT, Pôle emploi, cerfa
  14598, « 11 jours » de congé de paternité, arrêt maladie sans congés payés…), from the versioned
  lexicon ``lexicon/stale_fr.yaml``, with the replacement;
- ``expired_measure``: a time-boxed statement whose end date has passed (« jusqu'au 31 décembre
  2020 », « du 12 mars au 30 juin 2020 », « à titre exceptionnel en 2021 ») or a COVID-19 measure,
  relative to a reference date (today unless given);
- ``old_figure``: an amount or duration that comes from a cited passage updated more than
  ``max_age_years`` ago (and from no fresher cited passage);
- ``contradiction``: two cited passages give disjoint figures, in the same unit, for the same thing
  (« préavis », « congé de paternité »…) and the draft quotes one of them; the flag says which
  passage is newer.

Matching is done on a length-preserving folded copy of the text (lower case, no accents, one
apostrophe), so every flag carries the offsets of its span in the draft.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.pipeline.flags import Flag
from assistant.pipeline.sensitive import term_regex
from assistant.pipeline.sentences import sentence_spans, split_sentences
from assistant.pipeline.types import Passage

LEXICON = Path(__file__).parent / "lexicon" / "stale_fr.yaml"
CITATION = re.compile(r"\s?\[(\d{1,2})\]")
FRESHNESS_KINDS = ("stale_term", "expired_measure", "old_figure", "contradiction")

_CHAR_MAP = {"’": "'", "‘": "'", "`": "'", "ʼ": "'", "°": " ", "\u00a0": " ", "\u202f": " "}


class _FoldTable(dict[int, str]):
    """str.translate's table, filled on first sight of each character (a per-character Python loop
    cost ~5 ms per draft)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        mapped = _CHAR_MAP.get(ch)
        if mapped is None:
            base = unicodedata.normalize("NFD", ch)[0].lower()
            mapped = base if len(base) == 1 else ch
        self[code] = mapped
        return mapped


_FOLD = _FoldTable()


def fold_keep_length(text: str) -> str:
    """Lower case, accents removed, one apostrophe, ° as a space — one character for one, so that
    offsets found in the folded text are offsets in the original."""
    return text.translate(_FOLD)


def _terms(terms: Sequence[str]) -> re.Pattern[str] | None:
    kept = [t for t in terms if t and t.strip()]
    return re.compile("|".join(term_regex(t) for t in kept)) if kept else None


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    terms: re.Pattern[str] | None
    regexes: tuple[re.Pattern[str], ...]
    requires: re.Pattern[str] | None
    unless: re.Pattern[str] | None
    replacement: str | None
    reason: str
    end: date | None = None

    @classmethod
    def of(cls, kind: str, spec: dict[str, Any]) -> Entry:
        end = spec.get("end")
        return cls(
            id=str(spec["id"]),
            kind=kind,
            terms=_terms(spec.get("terms") or []),
            regexes=tuple(re.compile(r) for r in spec.get("regex") or []),
            requires=_terms(spec.get("requires") or []),
            unless=_terms(spec.get("unless") or []),
            replacement=spec.get("replacement"),
            reason=" ".join(str(spec["reason"]).split()),
            end=date.fromisoformat(str(end)) if end else None,
        )

    def spans(self, sentence: str, folded: str) -> Iterator[tuple[int, int]]:
        if self.requires is not None and not self.requires.search(folded):
            return
        if self.unless is not None and self.unless.search(folded):
            return
        if self.terms is not None:
            for m in self.terms.finditer(folded):
                yield m.start(), m.end()
        for regex in self.regexes:
            for m in regex.finditer(sentence):
                yield m.start(), m.end()


@dataclass(frozen=True)
class FreshnessLexicon:
    version: str
    entries: tuple[Entry, ...]
    topics: tuple[tuple[str, re.Pattern[str]], ...]

    @classmethod
    def load(cls, path: Path = LEXICON) -> FreshnessLexicon:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = [Entry.of("stale_term", s) for s in data.get("superseded") or []]
        entries += [Entry.of("expired_measure", s) for s in data.get("expired") or []]
        topics = tuple(
            (str(name), re.compile(term_regex(str(name)) if not terms else "|".join(map(term_regex, terms))))
            for name, terms in (data.get("contradiction_topics") or {}).items()
        )
        return cls(str(data.get("version", "")), tuple(entries), topics)

    @cached_property
    def _any_term(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        terms = [e.terms.pattern for e in self.entries if e.terms is not None]
        regexes = [r.pattern for e in self.entries for r in e.regexes]
        return (
            re.compile("|".join(f"(?:{t})" for t in terms)) if terms else None,
            re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None,
        )

    def may_match(self, text: str, folded: str) -> bool:
        """Cheap pre-check over a whole passage: can any entry fire somewhere in it?"""
        terms, regexes = self._any_term
        return bool((terms and terms.search(folded)) or (regexes and regexes.search(text)))

    def hits(self, text: str, today: date) -> Iterator[tuple[Entry, str]]:
        """(entry, matched text) for every superseded term and expired measure of the lexicon in a
        text, with the same sentence-level ``requires`` / ``unless`` rules as on a draft."""
        if not self.may_match(text, fold_keep_length(text)):
            return
        for _start, sentence in sentence_spans(text):
            folded = fold_keep_length(sentence)
            for entry in self.entries:
                if entry.end is not None and today <= entry.end:
                    continue
                for s, e in entry.spans(sentence, folded):
                    yield entry, sentence[s:e]


@lru_cache(maxsize=1)
def default_lexicon() -> FreshnessLexicon:
    return FreshnessLexicon.load()


# ---------------------------------------------------------------- dates in the text (expired_measure)

_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "janvier",
            "fevrier",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "aout",
            "septembre",
            "octobre",
            "novembre",
            "decembre",
        ),
        start=1,
    )
}
_MONTH = "(?:" + "|".join(_MONTHS) + ")"
_DAY_DATE = rf"(?:1\s?er|\d{{1,2}})\s+{_MONTH}\s+20\d\d|\d{{1,2}}/\d{{1,2}}/20\d\d"
_END = rf"(?:{_DAY_DATE}|(?:fin\s+)?{_MONTH}\s+20\d\d|(?:fin\s+)?20\d\d)"
_EXPIRY_PATTERNS = (
    # « jusqu'au 31 décembre 2020 », « jusqu'à fin 2021 », « jusqu'en juin 2021 »
    re.compile(
        rf"\bjusqu'\s?(?:au|a|en|a la fin de|a la fin du mois de|a fin)\s+(?:l'annee\s+)?(?P<end>{_END})"
    ),
    # « du 12 mars au 30 juin 2020 », « entre le 1er janvier et le 31 mars 2021 »
    re.compile(
        rf"\b(?:du|entre le)\s+(?:1\s?er|\d{{1,2}})(?:\s+{_MONTH})?(?:\s+20\d\d)?"
        rf"\s+(?:au|et le)\s+(?P<end>{_DAY_DATE})"
    ),
    # « au plus tard le 31 décembre 2020 », « prolongé jusqu'au … » is above
    re.compile(rf"\bau plus tard (?:le|au|en)\s+(?P<end>{_END})"),
    # « à titre exceptionnel en 2021 », « exceptionnellement, pour 2020 »
    re.compile(
        r"\b(?:a titre (?:exceptionnel|derogatoire|temporaire|transitoire)|exceptionnellement|temporairement"
        r"|provisoirement|de maniere (?:exceptionnelle|temporaire|derogatoire))\b[^.;]{0,80}?"
        r"\b(?:en|pour|au titre de)\s+(?:l'annee\s+)?(?P<end>20\d\d)\b"
    ),
    re.compile(
        r"\b(?:en|pour|au titre de)\s+(?:l'annee\s+)?(?P<end>20\d\d)\s*,?\s*(?:et\s+)?(?:a titre "
        r"(?:exceptionnel|derogatoire|temporaire)|exceptionnellement)"
    ),
)


def parse_end(text: str) -> date | None:
    """The last day a French date expression covers: « 31 décembre 2020 », « juin 2021 », « 2021 »."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(20\d\d)", text):
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    text = re.sub(r"^fin\s+", "", text)
    if m := re.fullmatch(rf"(1\s?er|\d{{1,2}})\s+({_MONTH})\s+(20\d\d)", text):
        day = 1 if m.group(1).endswith("er") else int(m.group(1))
        try:
            return date(int(m.group(3)), _MONTHS[m.group(2)], day)
        except ValueError:
            return None
    if m := re.fullmatch(rf"({_MONTH})\s+(20\d\d)", text):
        month = _MONTHS[m.group(1)]
        following = date(int(m.group(2)) + (month == 12), month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)
    if m := re.fullmatch(r"(20\d\d)", text):
        return date(int(m.group(1)), 12, 31)
    return None


def _fr_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


# ---------------------------------------------------------------- figures (old_figure, contradiction)

_NUMBER_WORDS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "quinze": 15,
    "vingt": 20,
    "trente": 30,
}
QUANTITY = re.compile(
    r"(?<![\w,.])(?P<num>\d{1,3}(?:[ .]\d{3})+(?:,\d+)?|\d+(?:,\d+)?|" + "|".join(_NUMBER_WORDS) + r")\s?"
    r"(?P<unit>jours?|semaines?|mois|ans|annees?|heures?|h|%|€|euros?)(?!\w)"
    r"(?:\s(?P<qual>ouvrables?|ouvres?|calendaires?|francs?))?"
)
_UNITS = {"jour": "jour", "semaine": "semaine", "mois": "mois", "an": "an", "annee": "an", "heure": "heure"}


def quantities(folded: str) -> Iterator[tuple[str, int, int]]:
    """(normalised quantity, start, end) for every amount or duration in a folded text."""
    for m in QUANTITY.finditer(folded):
        num = m.group("num")
        value = str(_NUMBER_WORDS[num]) if num in _NUMBER_WORDS else re.sub(r"[ .]", "", num)
        unit = m.group("unit")
        unit = {"h": "heure", "%": "%", "€": "€", "euro": "€", "euros": "€"}.get(unit) or _UNITS.get(
            unit.rstrip("s"), unit
        )
        qual = (m.group("qual") or "").rstrip("s")
        qual = "" if qual == "calendaire" else qual  # calendar days are days
        yield f"{value} {unit}{' ' + qual if qual else ''}", m.start(), m.end()


def _unit(quantity: str) -> str:
    return quantity.split(" ", 1)[1]


def _compact(text: str) -> str:
    return re.sub(r"[\s.]", "", text)


def parse_updated(updated: str) -> date | None:
    """An ISO date; a bare year (« 2020 ») or year-month counts as its last day (the newest it
    can be), so an old source is never taken for a fresher one."""
    updated = (updated or "").strip()
    try:
        if re.fullmatch(r"\d{4}", updated):
            return date(int(updated), 12, 31)
        if re.fullmatch(r"\d{4}-\d{2}", updated):
            year, month = int(updated[:4]), int(updated[5:])
            return date.fromordinal(date(year + (month == 12), month % 12 + 1, 1).toordinal() - 1)
        return date.fromisoformat(updated[:10]) if updated else None
    except ValueError:
        return None


def _age_years(updated: date, today: date) -> float:
    return (today - updated).days / 365.25


# ---------------------------------------------------------------- the checks


def freshness_flags(
    text: str,
    passages: Sequence[Passage],
    today: date | None = None,
    max_age_years: float = 3.0,
    lexicon: FreshnessLexicon | None = None,
) -> list[Flag]:
    """Every freshness flag of a draft (offsets in ``text``), in text order within each kind."""
    today = today or date.today()
    lexicon = lexicon or default_lexicon()
    by_n = {p.n: p for p in passages}
    flags: list[Flag] = []
    cited_anywhere = [n for n in dict.fromkeys(int(n) for n in CITATION.findall(text)) if n in by_n]
    for start, sentence in sentence_spans(text):
        folded = fold_keep_length(sentence)
        flags.extend(_lexicon_flags(sentence, folded, start, lexicon, today))
        flags.extend(_expiry_flags(sentence, folded, start, today))
        cited = [n for n in dict.fromkeys(int(n) for n in CITATION.findall(sentence)) if n in by_n]
        sources = [by_n[n] for n in cited] or list(passages)
        flags.extend(_old_figures(sentence, folded, start, sources, today, max_age_years))
    flags.extend(_contradictions(text, [by_n[n] for n in cited_anywhere], lexicon))
    return _dedupe(flags)


def _dedupe(flags: list[Flag]) -> list[Flag]:
    """One flag per span and kind; a span inside a bigger span of the same kind says nothing new."""
    spans = {(f.kind, f.start, f.end) for f in flags if f.start >= 0}
    kept: list[Flag] = []
    seen: set[tuple[str, int, int, str]] = set()
    for f in flags:
        key = (f.kind, f.start, f.end, f.value if f.start < 0 else "")
        inside = f.start >= 0 and any(
            k == f.kind and s <= f.start and f.end <= e and (s, e) != (f.start, f.end) for k, s, e in spans
        )
        if key in seen or inside:
            continue
        seen.add(key)
        kept.append(f)
    return kept


def _lexicon_flags(
    sentence: str, folded: str, offset: int, lexicon: FreshnessLexicon, today: date
) -> Iterator[Flag]:
    if not lexicon.may_match(sentence, folded):  # two searches instead of three per entry
        return
    for entry in lexicon.entries:
        if entry.end is not None and today <= entry.end:
            continue
        for s, e in entry.spans(sentence, folded):
            yield Flag(entry.kind, sentence[s:e], entry.reason, offset + s, offset + e, entry.replacement)


_EXAMPLE = re.compile(r"\b(?:par exemple|exemple|ainsi, un|soit jusqu)")  # a worked example, not a measure


def _expiry_flags(sentence: str, folded: str, offset: int, today: date) -> Iterator[Flag]:
    if _EXAMPLE.search(folded):
        return
    for pattern in _EXPIRY_PATTERNS:
        for m in pattern.finditer(folded):
            end = parse_end(m.group("end"))
            if end is None or end >= today:
                continue
            s, e = m.start(), m.end()
            yield Flag(
                "expired_measure",
                sentence[s:e],
                f"Mesure limitée dans le temps, terminée le {_fr_date(end)} : vérifier la règle en vigueur "
                "avant d'envoyer.",
                offset + s,
                offset + e,
            )


def _old_figures(
    sentence: str, folded: str, offset: int, sources: list[Passage], today: date, max_age_years: float
) -> Iterator[Flag]:
    body = CITATION.sub(lambda m: " " * len(m.group(0)), folded)  # same length, no [n] digits
    for _quantity, s, e in quantities(body):
        raw = _compact(body[s:e])
        holders = [p for p in sources if raw in _compact(fold_keep_length(p.text))]
        if not holders:
            continue  # not from a cited passage: the unverified-facts check speaks for it
        dated = [parse_updated(p.updated) for p in holders]
        if any(d is None or _age_years(d, today) <= max_age_years for d in dated):
            continue  # also in a fresh (or undated) cited passage
        newest = max(d for d in dated if d is not None)
        numbers = ", ".join(f"[{p.n}]" for p in holders)
        yield Flag(
            "old_figure",
            sentence[s:e],
            f"Chiffre tiré d'une source mise à jour le {_fr_date(newest)} ({numbers}), il y a plus de "
            f"{max_age_years:g} ans : vérifier qu'il est toujours en vigueur.",
            offset + s,
            offset + e,
        )


_WORDS_AFTER_TOPIC = 8  # « congé de paternité et d'accueil de l'enfant de 11 jours »
_WORDS_BEFORE_TOPIC = 3  # « 25 jours de congé de paternité »


def _near_topic(
    folded: str, topic: re.Pattern[str], found: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """The quantities of a sentence (``found``: its ``quantities``, read once for all topics) that
    are said of the topic: a few words after it (or just before it), so « une période d'essai liée
    à une embauche en CDD d'au moins 6 mois » does not give 6 months as a trial period."""
    if not found:
        return []
    mentions = [(m.start(), m.end()) for m in topic.finditer(folded)]
    near = []
    for q, s, e in found:
        for ts, te in mentions:
            after = len(folded[te:s].split()) if s >= te else None
            before = len(folded[e:ts].split()) if ts >= e else None
            if (after is not None and after <= _WORDS_AFTER_TOPIC) or (
                before is not None and before <= _WORDS_BEFORE_TOPIC
            ):
                near.append((q, s, e))
                break
    return near


_Facts = dict[tuple[str, str], dict[str, str]]
_FACTS_CACHE: OrderedDict[tuple[int, str], tuple[FreshnessLexicon, _Facts]] = OrderedDict()
_FACTS_CACHE_SIZE = 4096  # passages: the KB's are few and static, and each costs ~3 ms to read
_FACTS_LOCK = threading.Lock()


def _facts(passage: Passage, lexicon: FreshnessLexicon) -> dict[tuple[str, str], dict[str, str]]:
    """(topic, unit) → the quantities a passage gives of the topic (normalised → as written).
    Memoised per passage text (read-only for callers): the same passages come back draft after draft."""
    key = (id(lexicon), passage.text or "")
    with _FACTS_LOCK:
        cached = _FACTS_CACHE.get(key)
    if cached is not None and cached[0] is lexicon:  # the very lexicon, not one that reused its id
        return cached[1]
    found = _read_facts(key[1], lexicon)
    with _FACTS_LOCK:
        _FACTS_CACHE[key] = (lexicon, found)
        while len(_FACTS_CACHE) > _FACTS_CACHE_SIZE:
            _FACTS_CACHE.popitem(last=False)
    return found


def _read_facts(text: str, lexicon: FreshnessLexicon) -> dict[tuple[str, str], dict[str, str]]:
    facts: dict[tuple[str, str], dict[str, str]] = {}
    for sentence in split_sentences(text):
        folded = fold_keep_length(sentence)
        found = list(quantities(folded))
        if not found:  # most sentences give no figure: no topic to look for
            continue
        for name, pattern in lexicon.topics:
            for q, s, e in _near_topic(folded, pattern, found):
                facts.setdefault((name, _unit(q)), {}).setdefault(q, sentence[s:e])
    return facts


def _contradiction_hits(
    text: str, cited: list[Passage], lexicon: FreshnessLexicon
) -> Iterator[tuple[str, Passage, Passage, dict[str, str], dict[str, str], str, int, int]]:
    """(topic, p, q, p's figures, q's figures, quoted value, start, end) for each pair of cited
    passages that disagree on a figure the draft quotes."""
    if len(cited) < 2 or not lexicon.topics:
        return
    facts = {p.n: _facts(p, lexicon) for p in cited}
    done: set[tuple[str, str, int, int]] = set()
    for start, sentence in sentence_spans(text):
        folded = CITATION.sub(lambda m: " " * len(m.group(0)), fold_keep_length(sentence))
        found = list(quantities(folded))
        if not found:
            continue
        for name, pattern in lexicon.topics:
            for quantity, s, e in _near_topic(folded, pattern, found):
                key = (name, _unit(quantity))
                for i, p in enumerate(cited):
                    for q in cited[i + 1 :]:
                        a, b = facts[p.n].get(key, {}), facts[q.n].get(key, {})
                        if not a or not b or a.keys() & b.keys() or quantity not in a.keys() | b.keys():
                            continue
                        if (name, key[1], p.n, q.n) in done:
                            continue
                        done.add((name, key[1], p.n, q.n))
                        yield name, p, q, a, b, sentence[s:e], start + s, start + e


def _contradictions(text: str, cited: list[Passage], lexicon: FreshnessLexicon) -> list[Flag]:
    return [_contradiction_flag(*hit) for hit in _contradiction_hits(text, cited, lexicon)]


def newer_first_pairs(
    text: str, passages: Sequence[Passage], lexicon: FreshnessLexicon | None = None
) -> list[tuple[int, int]]:
    """(older n, newer n) for each pair of cited passages that disagree on a figure the draft
    quotes and whose dates tell which is newer: the newer one should be read first."""
    lexicon = lexicon or default_lexicon()
    by_n = {p.n: p for p in passages}
    cited = [by_n[n] for n in dict.fromkeys(int(n) for n in CITATION.findall(text)) if n in by_n]
    pairs: list[tuple[int, int]] = []
    for _name, p, q, *_ in _contradiction_hits(text, cited, lexicon):
        dp, dq = parse_updated(p.updated), parse_updated(q.updated)
        if dp and dq and dp != dq:
            pair = (p.n, q.n) if dq > dp else (q.n, p.n)
            if pair not in pairs:
                pairs.append(pair)
    return pairs


def _contradiction_flag(
    topic: str,
    p: Passage,
    q: Passage,
    a: dict[str, str],
    b: dict[str, str],
    value: str,
    start: int,
    end: int,
) -> Flag:
    dp, dq = parse_updated(p.updated), parse_updated(q.updated)
    if dp and dq and dp != dq:
        newer = p if dp > dq else q
        which = f"La plus récente est [{newer.n}] (mise à jour le {_fr_date(max(dp, dq))})."
    else:
        newer = p
        which = "Leurs dates ne permettent pas de dire laquelle est la plus récente."
    values = {p.n: a, q.n: b}
    fmt = lambda n: " / ".join(values[n].values())  # noqa: E731
    message = (
        f"Les sources [{p.n}] et [{q.n}] ne donnent pas le même chiffre pour « {topic} » "
        f"([{p.n}] : {fmt(p.n)} ; [{q.n}] : {fmt(q.n)}). {which} À vérifier avant d'envoyer."
    )
    dated = dp is not None and dq is not None and dp != dq
    replacement = f"{fmt(newer.n)} (selon [{newer.n}], la plus récente)" if dated else None
    return Flag("contradiction", value, message, start, end, replacement)
