"""Chroma access: embedded ``PersistentClient`` by default, ``HttpClient`` for a ``chroma run`` server.

Vectors are always passed explicitly (``embeddings=``/``query_embeddings=``): any Chroma call
that has to embed text itself falls back to its default model, which downloads weights.
One collection per embedder, updated without ever breaking the live build: chunk ids carry
a content hash, so an ingest first *adds* the new chunks, then moves the build pointer, then
deletes the chunks no build refers to any more (see ``knowledge_base.ingest``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from knowledge_base.documents import Chunk
from knowledge_base.settings import ChromaSettings

ADD_BATCH = 2000


def connect(config: ChromaSettings, persist_dir: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False, allow_reset=False)
    if config.url:
        parsed = urlparse(config.url)
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 8000,
            ssl=parsed.scheme == "https",
            settings=client_settings,
        )
    persist_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(persist_dir), settings=client_settings)


def collection_name(config: ChromaSettings, model_id: str, level: str = "chunks") -> str:
    """One collection of passages and one of document-level vectors (means and titles) per embedder."""
    short = "".join(c if c.isalnum() or c in "._" else "-" for c in model_id)[:60].strip("-")
    return f"{config.collection_prefix}-{short}" + ("" if level == "chunks" else f"-{level}")


def open_collection(client: Any, name: str, config: ChromaSettings) -> Any:
    collection = client.get_or_create_collection(
        name,
        embedding_function=None,
        configuration={
            "hnsw": {
                "space": "cosine",
                "ef_search": config.hnsw_search_ef,
                "ef_construction": config.hnsw_construction_ef,
            }
        },
    )
    # get_or_create keeps an existing collection's configuration: apply a changed ef_search
    # (ef_construction only takes effect on a new collection).
    if (collection.configuration.get("hnsw") or {}).get("ef_search") != config.hnsw_search_ef:
        collection.modify(configuration={"hnsw": {"ef_search": config.hnsw_search_ef}})
    return collection


def _chroma_metadata(chunk: Chunk) -> dict[str, str | int | float | bool]:
    meta = {k: v for k, v in chunk.metadata.items() if isinstance(v, str | int | float | bool)}
    return {**meta, "chunk_index": chunk.index}


def stored_ids(collection: Any) -> set[str]:
    ids: set[str] = set()
    offset, page = 0, 5000
    while True:
        got = collection.get(include=[], limit=page, offset=offset)["ids"]
        ids.update(got)
        if len(got) < page:
            return ids
        offset += page


def add_chunks(
    collection: Any,
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Add chunks whose ids are new. Ids embed a content hash, so an id never changes meaning."""
    add(
        collection,
        [c.id for c in chunks],
        vectors,
        [c.text for c in chunks],
        [_chroma_metadata(c) for c in chunks],
        on_batch,
    )


def add(
    collection: Any,
    ids: Sequence[str],
    vectors: np.ndarray,
    documents: Sequence[str],
    metadatas: Sequence[dict[str, Any]],
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """In batches of ADD_BATCH, each one stored for good: an ingest killed mid-way resumes where it
    stopped (callers add only the ids the collection lacks). ``on_batch(n)`` after each batch."""
    for start in range(0, len(ids), ADD_BATCH):
        end = start + ADD_BATCH
        collection.add(
            ids=list(ids[start:end]),
            embeddings=vectors[start:end],
            documents=list(documents[start:end]),
            metadatas=list(metadatas[start:end]),
        )
        if on_batch is not None:
            on_batch(len(ids[start:end]))


def delete_ids(collection: Any, ids: Sequence[str]) -> None:
    ids = list(ids)
    for start in range(0, len(ids), ADD_BATCH):
        collection.delete(ids=ids[start : start + ADD_BATCH])


def drop_collections(client: Any, prefix: str, keep: set[str]) -> None:
    """Drop this app's collections (by prefix) that are not in ``keep``."""
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        if name.startswith(f"{prefix}-") and name not in keep:
            client.delete_collection(name)


def where_clause(filters: dict[str, list[str]]) -> dict[str, Any] | None:
    """``sources`` matches a source key (id prefix) or a source name; ``audience`` matches exactly."""
    clauses: list[dict[str, Any]] = []
    if filters.get("sources"):
        wanted = filters["sources"]
        clauses.append({"$or": [{"source_key": {"$in": wanted}}, {"source": {"$in": wanted}}]})
    if filters.get("audience"):
        clauses.append({"audience": {"$in": filters["audience"]}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def query(
    collection: Any, vector: np.ndarray, n: int, filters: dict[str, list[str]]
) -> list[tuple[str, float]]:
    """Top-n (entry id, cosine similarity) for one query vector."""
    res = collection.query(
        query_embeddings=[vector.tolist()], n_results=n, where=where_clause(filters), include=["distances"]
    )
    return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]
