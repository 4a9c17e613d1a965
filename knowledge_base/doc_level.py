"""Document-level views of a build, for the lists ranked per document rather than per passage.

On this corpus many questions name a topic ("rupture conventionnelle") that a whole page covers:
a document's mean passage vector, its title vector and a whole-document BM25 catch that better
than its single best passage, and fusing both levels beats either (see bench/results).
Entry ids carry a hash of what they are computed from, like chunk ids, so the vector store can
be updated without breaking the live build.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge_base.documents import Chunk

DOC_META_KEYS = ("doc_id", "title", "url", "source", "source_key", "audience", "updated")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class DocUnit:
    doc_id: str
    title: str
    metadata: dict[str, Any]
    positions: tuple[int, ...]  # positions of its chunks in the build

    @property
    def centroid_id(self) -> str:
        return f"{self.doc_id}@mean-{_short_hash(self.metadata['_chunk_ids'])}"

    @property
    def title_id(self) -> str:
        return f"{self.doc_id}@title-{_short_hash(self.title)}"

    def store_metadata(self, kind: str) -> dict[str, str]:
        return {**{k: str(self.metadata.get(k, "")) for k in DOC_META_KEYS}, "kind": kind}


def doc_units(chunks: Sequence[Chunk]) -> list[DocUnit]:
    """Documents in first-chunk order (the order of ``KnowledgeIndex.doc_ids``)."""
    positions: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        positions.setdefault(c.doc_id, []).append(i)
    units = []
    for doc_id, pos in positions.items():
        first = chunks[pos[0]]
        meta = {**first.metadata, "doc_id": doc_id, "_chunk_ids": "|".join(chunks[p].id for p in pos)}
        units.append(DocUnit(doc_id, str(first.metadata.get("title", "")), meta, tuple(pos)))
    return units


def centroids(units: Sequence[DocUnit], chunk_vectors: np.ndarray) -> np.ndarray:
    """Mean of each document's passage vectors, L2-normalised."""
    out = np.stack([chunk_vectors[list(u.positions)].mean(axis=0) for u in units]).astype(np.float32)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
