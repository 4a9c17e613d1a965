"""The live index, opened read-only: chunks, BM25, one Chroma collection per embedder."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base import vector_store
from knowledge_base.bm25_index import Bm25Index
from knowledge_base.doc_level import doc_units
from knowledge_base.documents import Chunk
from knowledge_base.embedders import make_embedder
from knowledge_base.embeddings import OfflineEmbeddings
from knowledge_base.index_store import IndexLayout, read_chunks
from knowledge_base.manifest import Manifest
from knowledge_base.settings import EmbedderName, KnowledgeBaseSettings


class IndexNotReadyError(Exception):
    """No complete index build exists yet (run ``hra kb ingest``)."""


@dataclass
class DenseIndex:
    name: EmbedderName
    embedder: OfflineEmbeddings
    collection: Any  # passages
    doc_collection: Any  # per document: mean passage vector (kind=mean) and title vector (kind=title)
    vectors_path: Path

    def vectors(self) -> np.ndarray:
        """The build's vectors in chunk order, for exact search (bench) — not used per query."""
        return np.load(self.vectors_path)


@dataclass
class KnowledgeIndex:
    build_id: str
    manifest: Manifest
    chunks: list[Chunk]
    chunk_pos: dict[str, int]
    doc_ids: list[str]  # distinct documents, in first-chunk order
    chunk_doc: np.ndarray  # chunk position → position in doc_ids
    doc_chunks: list[tuple[int, ...]]  # position in doc_ids → its chunk positions
    doc_entry_pos: dict[str, int]  # document-level vector id → position in doc_ids
    bm25: Bm25Index
    bm25_doc: Bm25Index
    dense: list[DenseIndex]
    # Per embedder, its vectors held in memory for exact search (knowledge_base.search): read from
    # Chroma once per opened build, whatever number of searchers (benches build several) use it.
    exact_vectors: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def kb_version(self) -> str:
        # An opened build never changes (a re-ingest opens a new one): hash its manifest once, not
        # on every draft (633 documents: ~2 ms each time).
        return self.manifest.kb_version

    def metadata_array(self, key: str) -> np.ndarray:
        return np.array([str(c.metadata.get(key, "")) for c in self.chunks], dtype=object)

    def doc_metadata_array(self, key: str) -> np.ndarray:
        return np.array(
            [str(self.chunks[pos[0]].metadata.get(key, "")) for pos in self.doc_chunks], dtype=object
        )

    @classmethod
    def open(
        cls,
        settings: KnowledgeBaseSettings,
        embedders: dict[str, OfflineEmbeddings] | None = None,
    ) -> KnowledgeIndex:
        """``embedders`` lets a caller share already-loaded models between reloads."""
        layout = IndexLayout(settings.index_dir)
        current = layout.current()
        if current is None:
            raise IndexNotReadyError(f"no index in {layout.root} — run `hra kb ingest` first")
        build = layout.build_dir(current["build_id"])
        manifest = Manifest.load(build / "manifest.json")
        chunks = list(read_chunks(build / "chunks.jsonl"))
        units = doc_units(chunks)
        dense = []
        try:
            client = vector_store.connect(settings.chroma, layout.chroma_dir)
            for name in manifest.config.get("embedders", []):
                embedder = (embedders or {}).get(name) or make_embedder(name, settings.embeddings)
                chunk_col, doc_col = (
                    client.get_collection(
                        vector_store.collection_name(settings.chroma, embedder.model_id, level)
                    )
                    for level in ("chunks", "docs")
                )
                dense.append(DenseIndex(name, embedder, chunk_col, doc_col, build / f"vectors-{name}.npy"))
        except Exception as exc:  # unreachable server (ValueError) or missing collection (NotFoundError)
            raise IndexNotReadyError(
                f"vector store not usable ({settings.chroma.url or layout.chroma_dir}): "
                f"{exc} — run `hra kb ingest`"
            ) from exc
        chunk_doc = np.empty(len(chunks), dtype=np.int64)
        for i, unit in enumerate(units):
            chunk_doc[list(unit.positions)] = i
        return cls(
            build_id=current["build_id"],
            manifest=manifest,
            chunks=chunks,
            chunk_pos={c.id: i for i, c in enumerate(chunks)},
            doc_ids=[u.doc_id for u in units],
            chunk_doc=chunk_doc,
            doc_chunks=[u.positions for u in units],
            doc_entry_pos={e: i for i, u in enumerate(units) for e in (u.centroid_id, u.title_id)},
            bm25=Bm25Index.load(build / "bm25"),
            bm25_doc=Bm25Index.load(build / "bm25_doc"),
            dense=dense,
        )
