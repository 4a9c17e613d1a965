"""The offline extractive drafter: the embedded default, no model, no key.

It invents nothing: the body is text taken from the retrieved passages, each piece cited. What it
adds is the composition an agent would do (see DESIGN §5 and DRAFT-RUBRIC.md):

1. **Answer first.** When a top passage is a question/answer document whose question matches the
   employee's, its answer block is the core of the draft (scaffolding stripped, lists kept); an
   entry written for one collective agreement is used only when the question names that sector,
   and then says so. Otherwise the best sentences of the best document are the core.
2. **Conditions travel with the sentence.** A sentence under a heading such as « Au moins 2 ans »
   is quoted with it; a rule for a population the question does not mention (under 18, apprentice,
   Alsace-Moselle…) or for the other audience (civil service / private sector) is not used.
3. **At most two extra points**, each clearing a relevance bar against the question itself.
4. **Short keyword queries** get a short reply listing the likely topics and asking what the
   employee wants to know, rather than an arbitrary answer.
5. **Honest opening**, depending on how well the sources match (the level is also returned).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from assistant.pipeline.drafting.question import QuestionProfile, audience_of, populations_of, profile
from assistant.pipeline.drafting.reader import Unit, read_passage
from assistant.pipeline.drafting.style import LEVEL_REASONS, OPENINGS, Level, assumption_line, typography
from assistant.pipeline.injection import clean_passage
from assistant.pipeline.sentences import PASSAGE_CACHE
from assistant.pipeline.types import DraftText, Passage
from knowledge_base.bm25_index import Bm25Index

GREETING = "Bonjour,"
CLOSING = "N'hésitez pas à revenir vers nous si vous avez besoin de précisions.\n\nCordialement,"
MIN_WORDS, MAX_WORDS = 5, 90
CORE_MAX_UNITS, CORE_MAX_WORDS = 10, 260
FAQ_MAX_RUNS, FAQ_MAX_WORDS = 16, 400  # an official answer is worth more of the agent's reading
MAX_EXTRAS = 2
EXTRA_MIN_COVERAGE = 0.6  # share of the question's weighted terms an extra sentence must contain
EXTRA_MIN_SCORE = 0.7  # … and its score relative to the core's best sentence
FAQ_MIN_QUESTION_COVERAGE, FAQ_MIN_TITLE_COVERAGE = 0.55, 0.45
SAME_QUESTION = 0.85  # both coverages above this: the employee asks the entry's own question
FAQ_RANKS = 3  # a Q/A document further down the list is not "the" answer
ANSWERS_MIN_COVERAGE = 0.35  # below, no sentence answers: the draft names the nearest sources instead
_LOWERABLE = re.compile(
    r"^(?:Le|La|Les|L'|L’|Un|Une|Des|Il|Elle|Ils|Elles|Ce|Cette|Ces|Cet|En|Dans|Pour|Si|Lorsque|Lorsqu'|"
    r"Lorsqu’|Tout|Toute|Tous|Chaque|Sauf|Avant|Après|Pendant|Au|Aux|Du|Depuis|Quand|Sous|Sur|À)\b"
)
_ANAPHORA = re.compile(
    r"^(?:Dans ce cas|Dans cette (?:hypothèse|situation)|Ce dernier|Cette dernière|Celui-ci|Celle-ci|Ceux-ci|"
    r"Par conséquent|En l['’]espèce|Dans ces conditions|Cette (?:durée|somme|indemnité|période|règle)|"
    r"Il en est de même|De même|Ils|Elles?|Il)\b"
)
_DANGLING = re.compile(
    r"ci-dessous|ci-dessus|ci-après|\bce modèle\b|\bces modèles\b|voir précisions|télécharg|\bcliquez\b|"
    r"\btableau suivant\b|\bsimulateur\b|\bprécité|pour consulter l['’]intégralité|\bvoir\s?:|"
    r"\bcette (?:page|fiche|rubrique)\b|\bce site\b",
    re.I,
)
# « Article L1251-16 du code du travail (https://…) »: a reference line, not a statement.
_REFERENCE_ONLY = re.compile(
    r"^(?:Articles?|Art\.|Code|Décret|Loi|Circulaire|Arrêté|Ordonnance|Source|Références?)\b[^.]{0,160}"
    r"(?:\(https?://\S+\)|code [\w ]+)\W*$",
    re.I,
)
_CONTRAST = re.compile(r"^(?:Toutefois|Cependant|Néanmoins|En revanche|Par contre)\b")
_LEADING_CONNECTIVE = re.compile(
    r"^(?:Toutefois|Cependant|En revanche|Néanmoins|Mais|Ainsi|En outre|De plus|Également|Enfin|Aussi|Or),\s+"
)
_FIRST_PERSON = re.compile(r"\b(?:je|j['’]|m['’]|moi)\b|\bmon (?!compte\b)|\bma\b|\bmes\b", re.I)
_IDCC = re.compile(r"IDCC\)?\s*(?:est le|:|n°)?\s*(\d{1,4})", re.I)
_AGREEMENT = re.compile(
    r"convention collective (?:nationale )?(?:des?|du|de la|de l['’])\s?[^,;.()«»:]{3,80}", re.I
)
# Where the agreement's name stops and the sentence goes on (« … du particulier employeur prévoit… »).
_AGREEMENT_NAME_END = re.compile(
    r"\s(?:prévoit|prévoient|précise|dispose|indique|stipule|fixe|impose|est|sont|qui|que|ne|n['’]|"
    r"s['’]applique|applicable|pour|en|à|dans|vous|sur|et)\b"
)
_GENERIC_AGREEMENT = re.compile(
    r"^convention collective (?:nationale )?(?:de travail|applicable|de branche)", re.I
)


@dataclass
class Piece:
    """Text going into the draft, with the passage it is cited from."""

    passage: Passage
    units: list[Unit]
    score: float
    coverage: float
    terms: frozenset[str] = field(default_factory=frozenset)

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id


class OfflineDrafter:
    def __init__(self, bm25: Bm25Index) -> None:
        self._bm25 = bm25  # its analyzer and idf give term weights consistent with retrieval
        # A passage block's terms do not depend on the question: analysed once per build.
        self._terms = lru_cache(maxsize=4 * PASSAGE_CACHE)(lambda text: frozenset(bm25.analyzer.terms(text)))

    @classmethod
    def for_index(cls, bm25: Bm25Index) -> OfflineDrafter:
        """The drafter of the build in service (one kept: a new build gets a new one)."""
        return _drafter_for(bm25)

    # -- entry point -------------------------------------------------------------------------
    def draft(self, question: str, passages: Sequence[Passage], category: str | None = None) -> DraftText:
        passages = [clean_passage(p) for p in passages]  # never quote what a passage tells the tool
        q = profile(question)
        weights = self._weights(q.asked or question)
        if q.vague:  # no guess from the passages: the topics themselves may differ in audience
            audience = category or q.audience
            level: Level = "moyenne"
            reason = LEVEL_REASONS["vague"]
            body = self._clarify(self._usable(q, audience, passages), weights)
            answer = "clarify"
        else:
            audience = category or q.audience or _majority_audience(passages)
            usable = self._usable(q, audience, passages)
            # An entry's question is matched against the whole message (its title tells the same story).
            core, answer = self._faq_core(question, q, usable, self._weights(question)), "faq"
            candidates = self._candidates(q, usable, weights)
            if core is None:
                core, answer = self._extract_core(q, candidates), "extract"
            level, reason = _level(core, answer)
            if level == "faible":  # nothing that answers: say so and point to the nearest sources
                body, answer = self._nearest(usable, weights), "nearest"
            else:
                extras = self._extras(core, candidates)
                body = self._compose(core, extras)
        opening = OPENINGS[level] if body and answer in ("faq", "extract") else ""
        assumption = assumption_line(audience) if category is None and body else ""
        text = "\n\n".join(p for p in (assumption, GREETING, opening, body, CLOSING) if p)
        return DraftText(
            text=typography(text),
            drafter="offline",
            extra={"level": level, "level_reason": reason, "answer": answer, "audience": audience},
        )

    # -- which passages may be quoted ------------------------------------------------------------
    @staticmethod
    def _usable(q: QuestionProfile, audience: str | None, passages: Sequence[Passage]) -> list[Passage]:
        """Passages for the question's audience and populations; if none is left, all of them
        (the soft filter never leaves the agent with nothing)."""
        kept = []
        for p in passages:
            if audience and p.audience not in (audience, "all"):
                continue
            if populations_of(p.title) - q.populations:
                continue
            kept.append(p)
        return kept or list(passages)

    def _weights(self, question: str) -> dict[str, float]:
        return {t: self._bm25.idf(t) for t in set(self._bm25.analyzer.terms(question))}

    def _coverage(self, text: str, weights: dict[str, float]) -> tuple[float, frozenset[str]]:
        terms = self._terms(text)
        total = sum(weights.values()) or 1.0
        return sum(w for t, w in weights.items() if t in terms) / total, terms

    # -- 1. answer first: a matching question/answer document ---------------------------------
    def _faq_core(
        self, question: str, q: QuestionProfile, passages: list[Passage], weights: dict[str, float]
    ) -> list[Piece] | None:
        for rank, p in enumerate(passages[:FAQ_RANKS]):
            if not _is_qa(p):
                continue
            scope = _agreement_scope(p.text) if not p.doc_id.startswith("contrib:") else None
            named = bool(scope) and self._names_scope(question, scope or "")
            # Words naming the entry's agreement are matched by its scope, not by its question.
            asked = {t: w for t, w in weights.items() if not (named and t in self._scope_terms(scope or ""))}
            title_terms = set(self._bm25.analyzer.terms(p.title))
            covered, _ = self._coverage(p.title, asked)
            title_weight = sum(self._bm25.idf(t) for t in title_terms) or 1.0
            title_covered = sum(self._bm25.idf(t) for t in title_terms if t in asked) / title_weight
            if covered < FAQ_MIN_QUESTION_COVERAGE or title_covered < FAQ_MIN_TITLE_COVERAGE:
                continue
            # The employee asking the entry's own question (near word for word) is in its situation.
            same_question = covered >= SAME_QUESTION and title_covered >= SAME_QUESTION
            if scope and not (same_question or named):
                continue  # an answer for one collective agreement, asked as a general question
            if same_question or scope:  # the entry's population is the asker's
                q = replace(q, populations=q.populations | populations_of(p.title + " " + (scope or "")))
            if any(h.startswith("Fiche ") for h in p.heading_path) or p.text.lstrip().startswith("Fiche "):
                continue  # a contribution whose answer is an embedded fiche not in the text
            units = [u for u in read_passage(p.text, p.heading_path, p.title) if u.in_answer and _clean(u, q)]
            # The employee's question is the antecedent of the answer's first sentence (« Cette durée… »).
            answer = _with_antecedents(units, units, q, first_is_answer=True)
            units = _trim(answer, FAQ_MAX_WORDS, FAQ_MAX_RUNS)
            if not units:
                continue
            if len(units) < len(answer):  # the official answer goes on: say where
                units.append(
                    Unit("sentence", "La réponse complète figure dans la source citée.", (), 10**6, True)
                )
            piece = Piece(p, units, 1.0 / (1 + rank), covered)
            if scope:
                piece.units.insert(0, Unit("sentence", _scope_sentence(scope), (), -1, True))
            return [piece]
        return None

    def _scope_terms(self, scope: str) -> set[str]:
        name = _AGREEMENT.search(scope)
        generic = set(self._bm25.analyzer.terms("convention collective nationale"))
        return set(self._bm25.analyzer.terms(name.group(0) if name else scope)) - generic

    def _names_scope(self, question: str, scope: str) -> bool:
        return bool(self._scope_terms(scope) & set(self._bm25.analyzer.terms(question)))

    # -- 2. otherwise the best sentences, with their conditions -------------------------------
    def _candidates(
        self, q: QuestionProfile, passages: list[Passage], weights: dict[str, float]
    ) -> list[Piece]:
        out = []
        for rank, p in enumerate(passages):
            if _is_personal_qa(p):
                continue  # another person's case (or one collective agreement): only as a matching FAQ
            units = [u for u in read_passage(p.text, p.heading_path, p.title) if u.in_answer]
            for block in _blocks(units):
                if not all(_clean(u, q) for u in block):
                    continue
                text = " ".join(u.text for u in block)
                words = len(block[0].text.split())
                if not MIN_WORDS <= words <= MAX_WORDS:
                    continue
                coverage, terms = self._coverage(text + " " + " ".join(block[0].conditions), weights)
                if coverage <= 0:
                    continue
                score = coverage / math.sqrt(1 + len(text.split()) / 20) / (1 + 0.35 * rank)
                score /= 1 + 0.03 * block[0].position
                if q.kind == "quantity" and re.search(r"\d", text):
                    score *= 1.3  # a figure is what "combien / quelle durée" asks for
                out.append(Piece(p, block, score, coverage, terms))
        return sorted(out, key=lambda c: -c.score)

    def _extract_core(self, q: QuestionProfile, candidates: list[Piece]) -> list[Piece]:
        if not candidates:
            return []
        best = candidates[0]
        core = [best]
        for c in candidates[1:]:
            if len(core) == 3:
                break
            if c.doc_id == best.doc_id and c.score >= 0.5 * best.score and not _near_repeat(c, core):
                core.append(c)
        core.sort(key=lambda c: c.units[0].position)
        for piece in core:
            all_units = read_passage(piece.passage.text, piece.passage.heading_path, piece.passage.title)
            piece.units = _with_antecedents(piece.units, all_units, q)
        return [piece for piece in core if piece.units]

    def _extras(self, core: list[Piece], candidates: list[Piece]) -> list[Piece]:
        core_docs = {c.doc_id for c in core}
        best = max(c.score for c in core)
        extras: list[Piece] = []
        for c in candidates:
            if len(extras) == MAX_EXTRAS:
                break
            if c.doc_id in core_docs or any(c.doc_id == e.doc_id for e in extras):
                continue
            if c.coverage < EXTRA_MIN_COVERAGE or c.score < EXTRA_MIN_SCORE * best:
                continue
            if _ANAPHORA.match(c.units[0].text) or _near_repeat(c, core + extras):
                continue
            extras.append(c)
        return extras

    # -- 4. a vague query: ask, with the likely topics -----------------------------------------
    def _nearest(self, passages: Sequence[Passage], weights: dict[str, float]) -> str:
        """No passage answers: an honest reply naming the nearest sources, for the agent to complete."""
        topics = self._topics(passages, weights) or self._topics(passages[:2], weights, by_rank=True)
        if not topics:
            return ""
        return (
            "Les informations dont nous disposons ne permettent pas de répondre directement à votre "
            "question ; elle demande une vérification de notre part.\n\n"
            "Les documents les plus proches de votre demande portent sur :\n" + topics
        )

    def _clarify(self, passages: Sequence[Passage], weights: dict[str, float]) -> str:
        topics = self._topics(passages, weights) or self._topics(passages[:3], weights, by_rank=True)
        if not topics:
            return ""
        return (
            "Pour vous répondre précisément, pourriez-vous nous préciser ce que vous souhaitez savoir ?\n\n"
            "Les informations dont nous disposons sur ce sujet portent notamment sur :\n" + topics
        )

    def _topics(self, passages: Sequence[Passage], weights: dict[str, float], by_rank: bool = False) -> str:
        """Topics whose title shares the query's words (or, by_rank, the first sources whatever their
        title), best covered first, each once."""
        scored = []
        for p in passages:
            covered, _ = self._coverage(p.title, weights)
            if (covered > 0 or by_rank) and not _FIRST_PERSON.search(p.title):
                scored.append((covered, -p.n, p))
        seen: list[Passage] = []
        for _, _, p in sorted(scored, key=lambda x: (-x[0], -x[1])):
            if all(_topic_key(p.title) != _topic_key(s.title) for s in seen):
                seen.append(p)
        if not seen:
            return ""
        topics = [f"- {_topic(p.title)}" for p in seen[:3]]
        lines = [f"{t} [{p.n}]" for t, p in zip(topics, seen, strict=False)]
        lines = [line + (" ;" if i < len(lines) - 1 else ".") for i, line in enumerate(lines)]
        return "\n".join(lines)

    # -- composition ---------------------------------------------------------------------------
    @staticmethod
    def _compose(core: list[Piece], extras: list[Piece]) -> str:
        core = _without_repeats(core)
        plain = [c for c in core if not c.units[0].conditions]
        conditioned = [c for c in core if c.units[0].conditions]
        paragraphs: list[str] = []
        for i, piece in enumerate(plain):  # pieces of one passage read on, as in the source
            if i and piece.passage.n == plain[i - 1].passage.n and not paragraphs[-1].endswith(":"):
                paragraphs[-1] += " " + _render(piece)
            else:
                paragraphs.append(_render(piece))
        if len({c.units[0].conditions[0] for c in conditioned}) > 1:
            paragraphs.append(_conditional_list(conditioned))
        elif conditioned:  # one condition for all: said once
            first, *rest = conditioned
            paragraphs.append(" ".join([_render(first), *(_render(replace_condition(c)) for c in rest)]))
        if paragraphs:
            paragraphs[0] = _drop_leading_connective(paragraphs[0])
        for i, extra in enumerate(extras):
            text = _render(extra)
            link = "Par ailleurs, " if i == 0 else "À noter : "
            if i == 0 and _LOWERABLE.match(text):
                text = link + text[0].lower() + text[1:]
            else:
                text = "À noter : " + text
            paragraphs.append(text)
        return "\n\n".join(paragraphs)


# -- helpers --------------------------------------------------------------------------------------
def _is_qa(p: Passage) -> bool:
    return "Réponse :" in p.text or "Réponse:" in p.text or p.doc_id.startswith("contrib:")


def _is_personal_qa(p: Passage) -> bool:
    """A question/answer entry written for one asker or one collective agreement."""
    if not _is_qa(p) or p.doc_id.startswith("contrib:"):
        return False
    return bool(_FIRST_PERSON.search(p.title) or "convention collective" in p.text.lower())


def _agreement_scope(text: str) -> str | None:
    """« convention collective nationale des entreprises de propreté (IDCC 3043) » when the text is
    written for one collective agreement (it names it, or gives its IDCC), else None."""
    idcc = _IDCC.search(text)
    names = [
        _AGREEMENT_NAME_END.split(m.group(0).strip())[0].strip()
        for m in _AGREEMENT.finditer(text)
        if not _GENERIC_AGREEMENT.match(m.group(0))
    ]
    if not idcc and not names:
        return None
    name = names[0] if names else "convention collective concernée"
    return f"{name} (IDCC {idcc.group(1)})" if idcc else name


def _scope_sentence(scope: str) -> str:
    return f"Cette réponse vaut pour les salariés relevant de la {scope}."


def _majority_audience(passages: Sequence[Passage]) -> str | None:
    """The audience retrieval points to: the first passage's, when the question does not say."""
    for p in passages[:1]:
        if p.audience in ("private-sector", "civil-service"):
            return p.audience
    return None


@lru_cache(maxsize=1)
def _drafter_for(bm25: Bm25Index) -> OfflineDrafter:
    return OfflineDrafter(bm25)


def _clean(u: Unit, q: QuestionProfile) -> bool:
    quotable, populations, side = _unit_traits(u)
    if not quotable or populations - q.populations:
        return False  # not a statement, or a rule for a population the question does not mention
    return not (side and q.audience and side != q.audience)


@lru_cache(maxsize=4 * PASSAGE_CACHE)  # a KB sentence is read for every question it may answer
def _unit_traits(u: Unit) -> tuple[bool, frozenset[str], str | None]:
    """What ``_clean`` reads of a unit whatever the question: whether it is a quotable statement,
    the populations its rule is for, the audience its section names."""
    text = u.text
    if u.kind == "sentence" and not text.endswith((".", "!", "…", ".»", ".)", ")")):
        return False, frozenset(), None  # a title or a heading run into the text, not a statement
    if (
        text.endswith("?")
        or _FIRST_PERSON.search(text)
        or _DANGLING.search(text)
        or _REFERENCE_ONLY.match(text)
    ):
        return False, frozenset(), None
    if re.search(r"\b(?:Question|Réponse)\s?:", text):
        return False, frozenset(), None
    populations = populations_of(f"{text} {u.section} {' '.join(u.conditions)}")
    return True, populations, audience_of(f"{u.section} {' '.join(u.conditions)}")


def _blocks(units: list[Unit]) -> list[list[Unit]]:
    """Sentences alone; a list introduction together with its items."""
    blocks: list[list[Unit]] = []
    for u in units:
        if (
            u.kind == "item"
            and blocks
            and blocks[-1][0].kind == "intro"
            and blocks[-1][-1].position == u.position - 1
        ):
            blocks[-1].append(u)
        elif u.kind == "item":
            continue  # an item whose introduction is not in this passage
        else:
            blocks.append([u])
    return [b for b in blocks if b[0].kind == "sentence" or len(b) > 1]


def _with_antecedents(
    chosen: list[Unit], all_units: list[Unit], q: QuestionProfile, first_is_answer: bool = False
) -> list[Unit]:
    """A sentence opening on « Dans ce cas » / « Par conséquent » brings the sentence before it (if
    that one may be quoted), or goes; a list item never stands without its introduction."""
    by_position = {u.position: u for u in all_units}
    out: list[Unit] = []
    for i, u in enumerate(chosen):
        # The employee's question is the antecedent of an FAQ answer's first sentence (« Cette durée… »).
        answers_question = first_is_answer and i == 0
        if (
            u.kind == "sentence"
            and not answers_question
            and _ANAPHORA.match(u.text)
            and not any(o.position == u.position - 1 for o in out)
        ):
            before = by_position.get(u.position - 1)
            if before is None or before.kind != "sentence" or before.conditions != u.conditions:
                continue
            if not _clean(before, q) or _ANAPHORA.match(before.text):
                continue
            out.append(before)
        if _CONTRAST.match(u.text) and not any(o.position == u.position - 1 for o in out) and out:
            continue  # « Toutefois, … » qualifies a sentence that was left out
        if u.kind == "item" and not (out and out[-1].kind in ("intro", "item")):
            continue
        out.append(u)
    return out


def _trim(units: list[Unit], max_words: int = CORE_MAX_WORDS, max_runs: int = CORE_MAX_UNITS) -> list[Unit]:
    """At most max_runs sentences (a list counts as one) / max_words words. A list goes in whole or
    not at all (half a list of conditions misleads), and the text never ends on an announcement or
    inside a quotation."""
    out: list[Unit] = []
    words = 0
    for taken, block in enumerate(_runs(units)):
        n = sum(len(u.text.split()) for u in block)
        if out and (taken >= max_runs or words + n > max_words + (80 if len(block) > 1 else 0)):
            break
        out.extend(block)
        words += n
    while out and (out[-1].kind == "intro" or out[-1].text.endswith(":") or _open_quote(out)):
        out.pop()  # a list announced without its items, or a quotation cut before its end
    return out


def _runs(units: list[Unit]) -> list[list[Unit]]:
    """Units grouped so that an introduction and its items stay together."""
    runs: list[list[Unit]] = []
    for u in units:
        if u.kind == "item" and runs and runs[-1][-1].kind in ("intro", "item"):
            runs[-1].append(u)
        else:
            runs.append([u])
    return runs


def _open_quote(units: list[Unit]) -> bool:
    text = " ".join(u.text for u in units)
    return text.count("«") > text.count("»")


def _near_repeat(c: Piece, chosen: list[Piece]) -> bool:
    """The same sentence again (fiches repeat themselves across cases) — unless under another
    condition, where « 1 mois » and « 2 mois » are the answer's two branches."""
    return any(
        c.units[0].conditions == p.units[0].conditions
        and len(c.terms & p.terms) / max(1, len(c.terms | p.terms)) > 0.6
        for p in chosen
    )


def _level(core: list[Piece] | None, answer: str) -> tuple[Level, str]:
    if not core:
        return "faible", LEVEL_REASONS["nothing"]
    if answer == "faq":
        return "élevée", LEVEL_REASONS["faq"]
    coverage = max(c.coverage for c in core)
    if coverage >= 0.7:
        return "élevée", LEVEL_REASONS["extract_high"]
    if coverage >= ANSWERS_MIN_COVERAGE:
        return "moyenne", LEVEL_REASONS["extract_medium"]
    return "faible", LEVEL_REASONS["extract_low"]


def _render(piece: Piece) -> str:
    """The piece's units as text: sentences run on, list items one per line (« ; » between them).
    The first condition is stated by the caller's prefix; a later change of case (an answer that
    covers several cases) starts a new line that names its case."""
    lines: list[str] = []
    last_kind = ""
    units = _unique(piece.units)
    current = units[0].conditions if units else ()
    for u in units:
        text = u.text
        new_case = bool(u.conditions) and u.conditions != current and u.kind != "item"
        if new_case:
            text = _with_condition(u.conditions[0], text)
            current = u.conditions
        if u.kind == "item":
            lines.append("- " + text.rstrip(" ,;."))
        elif lines and last_kind != "item" and not new_case:
            lines[-1] += " " + text
        else:
            lines.append(text)
        last_kind = u.kind
    for i, line in enumerate(lines):
        if line.startswith("- ") and not line.endswith(":"):
            more = i + 1 < len(lines) and lines[i + 1].startswith("- ")
            lines[i] = line + (" ;" if more else ".")
    text = cite("\n".join(lines), piece.passage.n)
    condition = units[0].conditions[0] if units and units[0].conditions else None
    return _with_condition(condition, text) if condition else text


def _unique(units: list[Unit]) -> list[Unit]:
    """Fiches repeat a sentence under each case: say it once."""
    seen: set[str] = set()
    out = []
    for u in units:
        key = re.sub(r"\W+", " ", u.text.lower()).strip()
        if key not in seen:
            seen.add(key)
            out.append(u)
    return out


def _with_condition(condition: str, text: str) -> str:
    condition = condition.rstrip(" :")
    if _LOWERABLE.match(text):
        return f"Dans le cas « {condition} », {text[0].lower()}{text[1:]}"
    return f"Dans le cas « {condition} » : {text}"


def _without_repeats(pieces: list[Piece]) -> list[Piece]:
    """A sentence already said by an earlier piece (merged chunks overlap) is not said again."""
    said: list[str] = []
    out = []
    for piece in pieces:
        units = []
        for u in piece.units:
            key = re.sub(r"\W+", " ", u.text.lower()).strip()
            if not any(key.startswith(k) or k.startswith(key) for k in said):
                units.append(u)
                said.append(key)
        if units and units[0].kind != "item":
            out.append(Piece(piece.passage, units, piece.score, piece.coverage, piece.terms))
    return out


def replace_condition(piece: Piece) -> Piece:
    """The piece without its condition (already stated by the piece before it)."""
    units = [replace(u, conditions=()) for u in piece.units]
    return Piece(piece.passage, units, piece.score, piece.coverage, piece.terms)


def _drop_leading_connective(text: str) -> str:
    """« Toutefois, dès que… » cannot open a reply: the sentence it qualifies is not there."""
    m = _LEADING_CONNECTIVE.match(text)
    return text[m.end()].upper() + text[m.end() + 1 :] if m and len(text) > m.end() else text


def _conditional_list(core: list[Piece]) -> str:
    lines = []
    for piece in core:
        cond = piece.units[0].conditions[0]
        body = _render_plain(piece)
        lines.append(
            f"- {cond.rstrip(' :')} : {body[0].lower() + body[1:] if _LOWERABLE.match(body) else body}"
        )
    return "La règle dépend de votre situation :\n" + "\n".join(lines)


def _render_plain(piece: Piece) -> str:
    text = " ".join(u.text.rstrip(" ,;") if u.kind == "item" else u.text for u in piece.units)
    return cite(text, piece.passage.n)


def _topic_key(title: str) -> str:
    """« Démission » and « La démission » are one topic."""
    key = re.sub(r"\W+", " ", _topic(title).lower()).strip()
    return re.sub(r"^(?:le|la|les|l|un|une|des)\s+", "", key)[:40]


def _topic(title: str) -> str:
    topic = title.split("?")[0].strip(" :")  # a topic, not a question quoted to the employee
    title = topic if len(topic.split()) >= 2 else title.strip()
    return title[0].upper() + title[1:] if title else title


def cite(sentence: str, n: int) -> str:
    """'… 30 jours ouvrables.' → '… 30 jours ouvrables [1].'"""
    sentence = sentence.rstrip()
    if sentence and sentence[-1] in ".!?…":
        return f"{sentence[:-1].rstrip()} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]."
