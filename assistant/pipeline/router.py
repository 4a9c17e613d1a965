"""Reads a question by its meaning: is it a sensitive situation told as a story, or something an
HR knowledge base cannot answer (IT, facilities, one's own balances, pay dates, tax…)?

The keyword lexicon (``sensitive.py``) misses situations told without its words (« depuis mon retour
de congé maternité on ne me met plus en copie »). This stage is a multinomial logistic model over
the bundled sentence embeddings (the same vectors retrieval computes for the question): one class
per sensitive category, one per out-of-scope topic, and ``rh`` for ordinary HR questions. The
probabilities of a group are summed and compared with thresholds calibrated on the tune split of
the labelled sets (``eval/train_router.py`` writes ``models/router.npz`` + ``router.json``; the
untuned split is only ever scored, by ``bench/safety.py``).

Nothing is downloaded: the weights are a few hundred kilobytes of numpy arrays in the package.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.pipeline.sentences import split_sentences
from knowledge_base.analysis import fold

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).parent / "models"
ORDINARY = "rh"
OOS_PREFIX = "hors_rh:"


@dataclass(frozen=True)
class RouterVerdict:
    """What the model reads in a question. Probabilities only: no question text, safe to log."""

    sensitive: float  # P(any sensitive category)
    category: str | None  # the most likely sensitive category
    out_of_scope: float  # P(any out-of-scope topic)
    topic: str | None  # the most likely out-of-scope topic

    def is_sensitive(self, threshold: float) -> bool:
        return self.sensitive >= threshold

    def is_out_of_scope(self, threshold: float) -> bool:
        return self.out_of_scope >= threshold and self.out_of_scope > self.sensitive


@dataclass(frozen=True)
class RouterThresholds:
    sensitive: float  # route to a human at or above
    sensitive_low: float  # route when retrieval confidence is also low (« sensible et mal couvert »)
    out_of_scope: float  # abstain with a redirection at or above


@dataclass(frozen=True)
class SemanticRouter:
    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, dim)
    intercept: np.ndarray  # (classes,)
    embedders: tuple[str, ...]  # embedder names whose query vectors are concatenated, in order
    thresholds: RouterThresholds
    version: str

    @classmethod
    def load(cls, directory: Path = MODEL_DIR) -> SemanticRouter:
        meta = json.loads((directory / "router.json").read_text(encoding="utf-8"))
        weights = np.load(directory / "router.npz")
        return cls(
            classes=tuple(meta["classes"]),
            coef=weights["coef"].astype(np.float32),
            intercept=weights["intercept"].astype(np.float32),
            embedders=tuple(meta["embedders"]),
            thresholds=RouterThresholds(**meta["thresholds"]),
            version=str(meta["version"]),
        )

    @property
    def dim(self) -> int:
        return int(self.coef.shape[1])

    def features(self, vectors: Sequence[np.ndarray]) -> np.ndarray:
        """The model's input: each embedder's unit vector, concatenated in the trained order."""
        parts = [np.asarray(v, dtype=np.float32).ravel() for v in vectors]
        parts = [p / (np.linalg.norm(p) or 1.0) for p in parts]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = features @ self.coef.T + self.intercept
        logits = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]

    def verdict_from_probabilities(self, probs: np.ndarray) -> RouterVerdict:
        sensitive = [(p, c) for p, c in zip(probs, self.classes, strict=True) if _is_sensitive(c)]
        oos = [(p, c) for p, c in zip(probs, self.classes, strict=True) if c.startswith(OOS_PREFIX)]
        best_s = max(sensitive, default=(0.0, None))
        best_o = max(oos, default=(0.0, None))
        return RouterVerdict(
            sensitive=round(float(sum(p for p, _ in sensitive)), 4),
            category=best_s[1],
            out_of_scope=round(float(sum(p for p, _ in oos)), 4),
            topic=best_o[1][len(OOS_PREFIX) :] if best_o[1] else None,
        )

    def read(self, vectors: Sequence[np.ndarray]) -> RouterVerdict:
        features = self.features(vectors)
        if features.shape[0] != self.dim:
            raise ValueError(f"router expects {self.dim} features, got {features.shape[0]}")
        return self.verdict_from_probabilities(self.probabilities(features))


def _is_sensitive(label: str) -> bool:
    return label != ORDINARY and not label.startswith(OOS_PREFIX)


_SALUTATION = re.compile(
    r"\b(?:bonjour|bonsoir|salut|hello|madame|monsieur|mesdames|messieurs|cher|chere|cordialement"
    r"|salutations|respectueusement|amicalement|merci|remerciements|bonne journee|bonne soiree"
    r"|bien a vous|a bientot)\b"
)
_WORD = re.compile(r"\w+")


def router_text(text: str) -> str:
    """What the router reads: the message without its greeting and sign-off sentences (« Bonjour, »,
    « Cordialement, », « Merci d'avance. »). An e-mail's politeness says nothing of its topic, and
    left in, it pulled ordinary HR e-mails towards the out-of-scope topics, whose examples are often
    written as e-mails. A sentence is dropped when it has a salutation and at most 3 other words."""
    kept = []
    for sentence in split_sentences(text):
        folded = fold(sentence)
        if _SALUTATION.search(folded) and len(_WORD.findall(_SALUTATION.sub(" ", folded))) <= 3:
            continue
        kept.append(sentence)
    return " ".join(kept) or text


@lru_cache(maxsize=1)
def default_router() -> SemanticRouter | None:
    """The shipped model, or None (lexicon only) when it is missing — said once in the log."""
    try:
        return SemanticRouter.load()
    except (OSError, KeyError, ValueError) as exc:
        log.warning("semantic router unavailable (%s): sensitive routing uses the lexicon only", exc)
        return None
