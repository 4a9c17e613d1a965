"""What a knowledge-base sync brings in, read before any draft can repeat it.

The draft checks trust an official source: a figure a cited service-public or Ministry of Labour
fiche gives is not flagged. A fiche altered upstream (a compromised package, a mirror, a bad edit)
therefore reaches drafts unflagged — ``bench/injection_poisoned.py`` measured 108 of 298 planted-page
attacks getting through that way. The one place to catch it is where the fiche enters the base:
``hra kb sync``. Every added or changed record is read as a draft's checks read a draft, against
what the base already said (a changed fiche against its previous version; a new one against the
whole base):

- **held** — kept at its previous version, a new fiche left out, until a person accepts it
  (``--accept ID`` or ``--accept-held``): instructions addressed to a drafting tool, a deceptive
  link, a link or an address on a domain outside the trusted list that the record did not have,
  bank details, a phone number the base gives nowhere, markup or invisible characters inside a
  value — what a forger plants and an official fiche seldom needs (``bench/sync_review.py`` counts
  how often a real update trips them);
- **listed for review**: every value of a sentence the record did not have word for word, and
  every value new to the record (all of a new record's), those the whole base gives nowhere first —
  what changes legitimately every year (the SMIC, a ceiling) and what a forger changes; a person
  tells them apart, the sync shows them. Then a changed record's sentences added and removed, for
  a rule said in words (« ne peut pas », a condition dropped), which no list of values shows.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Sequence
from difflib import SequenceMatcher

from assistant.pipeline.checks import HIDDEN_CHARACTERS, SourceEvidence, markup_and_hidden
from assistant.pipeline.domains import TrustedDomains, trusted_domains
from assistant.pipeline.flags import Flag
from assistant.pipeline.injection import instruction_spans, is_instruction
from assistant.pipeline.sentences import sentence_spans
from knowledge_base.connectors import Record, RecordReview, ReviewedValue

ANYTHING = SourceEvidence([])  # against which every value is new
REWORDED = 0.6  # share of words two sentences keep (difflib's ratio) to be shown as one reworded
PAIRING_LIMIT = 40_000  # sentence pairs compared in one record; a restructured fiche is listed as is
CONTEXT = 70  # characters each side of a value, so the reviewer reads it in its sentence
# held whatever the domain or the evidence says
HELD_KINDS = {"url_deceptive": "lien trompeur", "iban": "coordonnées bancaires"}
UNTRUSTED = {"url": "lien hors des domaines officiels", "email": "adresse hors des domaines officiels"}


def _text_of(record: Record) -> str:
    return f"{record.get('title', '')}\n\n{record.get('text', '')}"


def _context(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    a, b = max(line_start, start - CONTEXT), min(line_end, end + CONTEXT)
    return f"{'…' if a > line_start else ''}{text[a:b].strip()}{'…' if b < line_end else ''}"


class SyncReviewer:
    """Reads the records a sync adds or changes (``knowledge_base.connectors.Reviewer``)."""

    def __init__(self, extra_domains: Collection[str] = (), by_sentence: bool = True) -> None:
        self.by_sentence = by_sentence
        self._domains: TrustedDomains = trusted_domains(tuple(extra_domains))
        self._base: tuple[int, SourceEvidence] | None = None

    def __call__(
        self,
        before: Sequence[Record],
        fresh: Sequence[Record],
        added: Collection[str],
        changed: Collection[str],
    ) -> list[RecordReview]:
        previous = {r["id"]: r for r in before}
        return [
            self.review(record, previous.get(record["id"]), self.base(before))
            for record in fresh
            if record["id"] in added or record["id"] in changed
        ]

    def base(self, before: Sequence[Record]) -> SourceEvidence:
        """What the whole base said before the sync, built once per base (its figures are read the
        first time one is looked up: ~9 s for the shipped base, then a few ms a record)."""
        if self._base is None or self._base[0] != id(before):
            self._base = (id(before), SourceEvidence([f"{_text_of(r)} {r.get('url', '')}" for r in before]))
        return self._base[1]

    def review(self, record: Record, old: Record | None, base: SourceEvidence) -> RecordReview:
        """``old``: the record's previous version (None when it is new); ``base``: the whole base."""
        text, old_text = _text_of(record), _text_of(old) if old else ""
        held = _instructions(record) + _hidden(text, old_text) + _markup(text, old_text)
        new_to_base = {(f.kind, f.start) for f in base.new_values(text)}
        # a changed record: what its previous version did not give; a new one: everything it gives
        previously = [old_text, str(old.get("url", ""))] if old else []
        values: dict[tuple[str, str], ReviewedValue] = {}
        news = SourceEvidence(previously).new_values(text)
        spans = list(sentence_spans(text)) if old else []  # a changed record's sentences, split once
        before = _sentences(old_text)
        if old is not None and self.by_sentence:
            news = sorted({*news, *_in_new_sentences(text, spans, set(before))}, key=lambda f: f.start)
        for flag in news:
            unheard = (flag.kind, flag.start) in new_to_base
            if flag.kind in HELD_KINDS:
                held.append(f"{HELD_KINDS[flag.kind]} « {flag.value} »")
            elif flag.kind in UNTRUSTED and not self._domains.allows(flag.kind, flag.value):
                held.append(f"{UNTRUSTED[flag.kind]} « {flag.value} »")
            elif flag.kind == "phone" and unheard:
                held.append(f"numéro que la base ne donnait nulle part « {flag.value} »")
            key = (flag.kind, flag.value)  # a value repeated in the fiche is read once, where it first is
            if key not in values:
                values[key] = ReviewedValue(
                    flag.kind, flag.value, _context(text, flag.start, flag.end), unheard
                )
        now = list(dict.fromkeys(_plain(sentence) for _, sentence in spans))
        reworded, added_sentences, removed_sentences = _sentence_diff(now, before) if old else ([], [], [])
        return RecordReview(
            id=record["id"],
            title=str(record.get("title", "")),
            change="changed" if old else "added",
            held=list(dict.fromkeys(held)),
            values=sorted(values.values(), key=lambda v: not v.new_to_base),
            reworded=reworded,
            new_sentences=added_sentences,
            removed_sentences=removed_sentences,
        )


def _plain(sentence: str) -> str:
    """A sentence compared word for word: line breaks and repeated spaces do not make it new."""
    return " ".join(sentence.split())


def _sentences(text: str) -> list[str]:
    return list(dict.fromkeys(_plain(sentence) for _, sentence in sentence_spans(text)))


def _sentence_diff(now: list[str], before: list[str]) -> tuple[list[str], list[str], list[str]]:
    """A changed record's sentences: those reworded (paired with the one they replace, as a word
    diff), then those its previous version did not have at all, and those it no longer has."""
    kept_now, kept_before = set(now), set(before)
    added = [s for s in now if s not in kept_before]
    removed = [s for s in before if s not in kept_now]
    if not added or not removed or len(added) * len(removed) > PAIRING_LIMIT:
        return [], added, removed
    gone = [s.split() for s in removed]
    paired: set[int] = set()
    reworded, unpaired = [], []
    for sentence in added:
        words = sentence.split()
        best, best_ratio = -1, REWORDED
        for i, old_words in enumerate(gone):
            matcher = SequenceMatcher(None, old_words, words, autojunk=False)
            if i in paired or matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
                continue
            if (ratio := matcher.ratio()) > best_ratio:
                best, best_ratio = i, ratio
        if best < 0:
            unpaired.append(sentence)
        else:
            paired.add(best)
            reworded.append(_word_diff(gone[best], words))
    return reworded, unpaired, [s for i, s in enumerate(removed) if i not in paired]


def _word_diff(before: list[str], after: list[str]) -> str:
    """« de [-deux-] {+trois+} mois »: what a reviewer must see of a reworded sentence (git's notation)."""
    parts = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(" ".join(after[j1:j2]))
            continue
        if i2 > i1:
            parts.append(f"[-{' '.join(before[i1:i2])}-]")
        if j2 > j1:
            parts.append(f"{{+{' '.join(after[j1:j2])}+}}")
    return " ".join(parts)


def _in_new_sentences(text: str, spans: list[tuple[int, str]], kept: set[str]) -> list[Flag]:
    """The values of the sentences (``spans`` of ``text``) the previous version did not have, word
    for word — « 6 mois » in a sentence a forger added is listed even when the fiche said « 6 mois »
    of something else."""
    starts = [start for start, _ in spans]
    found = []
    for flag in ANYTHING.new_values(text):
        at = bisect_right(starts, flag.start) - 1
        if at < 0 or _plain(spans[at][1]) not in kept:
            found.append(flag)
    return found


def _instructions(record: Record) -> list[str]:
    if instruction_spans(str(record.get("text", ""))) or is_instruction(str(record.get("title", ""))):
        return ["consignes adressées à un outil de rédaction"]
    return []


# Official fiches carry zero-width spaces at the start of a paragraph; one *inside* a number, a word
# or a link hides what it is (« 06 », U+200B, « 12… » is not read as a phone), and a direction control
# reorders what the reader sees, wherever it is.
_INSIDE_A_TOKEN = re.compile(rf"[\w@./:+-](?:{HIDDEN_CHARACTERS})+[\w@./:+-]")
_DIRECTION = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _hidden(text: str, old_text: str) -> list[str]:
    for pattern in (_INSIDE_A_TOKEN, _DIRECTION):
        if pattern.search(text) and not pattern.search(old_text):
            return ["caractères invisibles dans un mot, un nombre ou un lien"]
    return []


def _markup(text: str, old_text: str) -> list[str]:
    return [
        f"balisage « {flag.value} »"
        for flag in markup_and_hidden(text)
        if flag.kind == "markup" and flag.value not in old_text
    ]
