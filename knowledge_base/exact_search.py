"""Exact nearest neighbours, in memory, for the dense collections small enough to scan.

Chroma stays the store of record (ingest writes there; replicas read from there), but for the
shipped KB (4,156 passages and 1,336 document-level entries per embedder) its approximate HNSW
search is neither needed nor free:
- two builds of the same KB gave different drafts for ~90 of 3,487 dev questions: each build's
  HNSW graph missed different neighbours (RELIABILITY.md, "reproducibility"). A scan finds the
  same neighbours on every build and every replica, ties broken by position;
- a Chroma query cost ~1.5–1.9 ms of CPU (four per draft); a scan of 4,156 × 384 floats ~0.1 ms.
The vectors are read back from the collection when a searcher opens a build (not from the
ingest's local files: a replica of a shared store has none), L2-normalised as Chroma's cosine
space does, so a score is the same cosine similarity Chroma reports. Larger collections
(``RetrievalSettings.exact_search_max``) keep Chroma's index: a scan grows with the KB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

GET_BATCH = 2000


class MissingVectors(LookupError):
    """The collection lacks entries of the build (an ingest still writing, a wiped server)."""


@dataclass(frozen=True)
class ExactVectors:
    """Row i is the vector of position i (a passage, or a document)."""

    matrix: np.ndarray  # float32, rows L2-normalised

    @classmethod
    def from_rows(cls, rows: np.ndarray) -> ExactVectors:
        rows = np.asarray(rows, dtype=np.float32)
        return cls(rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12))

    def top(self, vector: np.ndarray, n: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n best (position, cosine) — best first, ties by position — among ``mask``'s positions."""
        query = np.asarray(vector, dtype=np.float32)
        scores = self.matrix @ (query / max(float(np.linalg.norm(query)), 1e-12))
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
            n = min(n, int(np.count_nonzero(mask)))
        n = min(n, len(scores))
        if n <= 0:
            return []
        best = np.argpartition(-scores, n - 1)[:n]
        order = np.lexsort((best, -scores[best]))  # by score, then by position
        return [(int(best[i]), float(scores[best[i]])) for i in order]


def read_vectors(collection: Any, ids: Sequence[str]) -> np.ndarray:
    """The stored vectors of ``ids``, in that order; raises ``MissingVectors`` if any is absent."""
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), GET_BATCH):
        got = collection.get(ids=list(ids[start : start + GET_BATCH]), include=["embeddings"])
        found.update(zip(got["ids"], got["embeddings"], strict=True))
    missing = len(ids) - sum(1 for i in ids if i in found)
    if missing:
        raise MissingVectors(f"{missing} of {len(ids)} entries are not in collection {collection.name}")
    return np.stack([np.asarray(found[i], dtype=np.float32) for i in ids])
