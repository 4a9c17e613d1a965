"""The live index, opened read-only: chunks, BM25, one Chroma collection per embedder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base import vector_store
from knowledge_base.bm25_index import Bm25Index
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
    collection: Any
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
    bm25: Bm25Index
    dense: list[DenseIndex]

    @property
    def kb_version(self) -> str:
        return self.manifest.kb_version

    def metadata_array(self, key: str) -> np.ndarray:
        return np.array([str(c.metadata.get(key, "")) for c in self.chunks], dtype=object)

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
        doc_ids: list[str] = []
        doc_pos: dict[str, int] = {}
        for c in chunks:
            if c.doc_id not in doc_pos:
                doc_pos[c.doc_id] = len(doc_ids)
                doc_ids.append(c.doc_id)
        dense = []
        try:
            client = vector_store.connect(settings.chroma, layout.chroma_dir)
            for name in manifest.config.get("embedders", []):
                embedder = (embedders or {}).get(name) or make_embedder(name, settings.embeddings)
                col = client.get_collection(vector_store.collection_name(settings.chroma, embedder.model_id))
                dense.append(DenseIndex(name, embedder, col, build / f"vectors-{name}.npy"))
        except Exception as exc:  # unreachable server (ValueError) or missing collection (NotFoundError)
            raise IndexNotReadyError(
                f"vector store not usable ({settings.chroma.url or layout.chroma_dir}): "
                f"{exc} — run `hra kb ingest`"
            ) from exc
        return cls(
            build_id=current["build_id"],
            manifest=manifest,
            chunks=chunks,
            chunk_pos={c.id: i for i, c in enumerate(chunks)},
            doc_ids=doc_ids,
            chunk_doc=np.array([doc_pos[c.doc_id] for c in chunks], dtype=np.int64),
            bm25=Bm25Index.load(build / "bm25"),
            dense=dense,
        )
