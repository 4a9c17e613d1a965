"""Ingestion: load → diff against the live manifest → chunk what changed → embed what is new →
write a new build (BM25, Chroma collections, manifest) → swap the pointer → drop the old build.

Only new or changed chunks are embedded (the cache keeps every vector by content hash), and a
bad file or record is skipped with a line in the report instead of failing the whole run.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base import vector_store
from knowledge_base.bm25_index import Bm25Index, chunk_text, document_text
from knowledge_base.chunking import split_document
from knowledge_base.doc_level import DocUnit, centroids, doc_units
from knowledge_base.documents import Chunk, Document
from knowledge_base.embedders import make_embedder, seed_cache_from_shipped
from knowledge_base.embeddings import CachedEmbeddings, EmbeddingCache
from knowledge_base.index_store import IndexLayout, read_chunks, write_chunks
from knowledge_base.loaders import load_paths
from knowledge_base.loaders.base import LoadIssue
from knowledge_base.manifest import DocEntry, Manifest
from knowledge_base.settings import Bm25Settings, EmbedderName, KnowledgeBaseSettings
from knowledge_base.shared_store import SharedKb

# (stage, done, total) — the CLI turns it into progress bars; tests and the app pass nothing.
Progress = Callable[[str, int, int], None]


class IngestError(Exception):
    """The ingest could not produce an index; the previous one (if any) is still live."""


@dataclass
class IngestReport:
    kb_version: str
    previous_kb_version: str | None
    build_id: str | None
    status: str  # "built" | "up-to-date"
    documents: int
    chunks: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    embedded: dict[str, int]  # model id → passages actually embedded (cache misses)
    issues: list[LoadIssue] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    finished_at: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)


def _chunks_for(
    docs: list[Document],
    manifest: Manifest,
    previous: Manifest | None,
    previous_chunks: dict[str, list[Chunk]],
    settings: KnowledgeBaseSettings,
) -> list[Chunk]:
    reuse = previous is not None and previous.config == manifest.config
    chunks: list[Chunk] = []
    for doc in docs:
        old = previous.documents.get(doc.id) if previous else None
        if reuse and old is not None and old.content_hash == doc.content_hash and doc.id in previous_chunks:
            chunks.extend(previous_chunks[doc.id])
        else:
            chunks.extend(split_document(doc, settings.chunking))
    return chunks


def _load_previous(layout: IndexLayout) -> tuple[Manifest | None, dict[str, list[Chunk]]]:
    current = layout.current()
    if current is None:
        return None, {}
    build = layout.build_dir(current["build_id"])
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in read_chunks(build / "chunks.jsonl"):
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    return Manifest.load(build / "manifest.json"), by_doc


def ingest(
    settings: KnowledgeBaseSettings,
    paths: Iterable[Path] | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> IngestReport:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    layout = IndexLayout(settings.index_dir)
    layout.root.mkdir(parents=True, exist_ok=True)
    loaded = load_paths(list(paths) if paths else settings.sources)
    timings["load"] = time.perf_counter() - started
    if not loaded.documents:
        raise IngestError(
            "no readable document in the given sources; the current index is kept "
            f"({len(loaded.issues)} problem(s): {loaded.issues[:3]})"
        )

    previous, previous_chunks = _load_previous(layout)
    manifest = Manifest(config=settings.index_config())
    chunks = _chunks_for(loaded.documents, manifest, previous, previous_chunks, settings)
    by_doc: dict[str, list[str]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c.id)
    for doc in loaded.documents:
        manifest.documents[doc.id] = DocEntry(
            doc.content_hash, by_doc.get(doc.id, []), doc.title, doc.origin_file
        )
    diff = manifest.diff(previous)
    timings["chunk"] = time.perf_counter() - started - timings["load"]

    def report(status: str, build_id: str | None, embedded: dict[str, int]) -> IngestReport:
        timings["total"] = time.perf_counter() - started
        rep = IngestReport(
            kb_version=manifest.kb_version,
            previous_kb_version=previous.kb_version if previous else None,
            build_id=build_id,
            status=status,
            documents=len(manifest.documents),
            chunks=len(chunks),
            added=diff.added,
            changed=diff.changed,
            removed=diff.removed,
            embedded=embedded,
            issues=loaded.issues,
            seconds={k: round(v, 3) for k, v in timings.items()},
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        (layout.last_report).write_text(rep.to_json(), encoding="utf-8")
        return rep

    if (
        previous is not None
        and previous.kb_version == manifest.kb_version
        and not force
        and _vector_store_complete(settings, layout, len(chunks))
    ):
        return report("up-to-date", layout.current()["build_id"], {})  # type: ignore[index]

    build_id = f"{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
    embedded = _build(settings, layout, build_id, manifest, chunks, progress, timings)
    layout.swap(build_id, manifest.kb_version)
    _cleanup(settings, layout, build_id, chunks)
    rep = report("built", build_id, embedded)
    (layout.build_dir(build_id) / "report.json").write_text(rep.to_json(), encoding="utf-8")
    return rep


def _collections(settings: KnowledgeBaseSettings, name: EmbedderName) -> tuple[str, str]:
    model_id = make_embedder(name, settings.embeddings).model_id
    return (
        vector_store.collection_name(settings.chroma, model_id),
        vector_store.collection_name(settings.chroma, model_id, "docs"),
    )


def _vector_store_complete(settings: KnowledgeBaseSettings, layout: IndexLayout, chunks: int) -> bool:
    """The files say "up to date"; check the vectors too (a Chroma server can lose its data)."""
    client = _connect(settings, layout)
    for name in settings.embeddings.models:
        for col, minimum in zip(_collections(settings, name), (chunks, 1), strict=True):
            try:
                if client.get_collection(col).count() < minimum:
                    return False
            except Exception:
                return False
    return True


def _connect(settings: KnowledgeBaseSettings, layout: IndexLayout) -> Any:
    try:
        return vector_store.connect(settings.chroma, layout.chroma_dir)
    except ValueError as exc:  # chromadb's "Could not connect to a Chroma server"
        raise IngestError(f"vector store unreachable ({settings.chroma.url}): {exc}") from exc


def _build(
    settings: KnowledgeBaseSettings,
    layout: IndexLayout,
    build_id: str,
    manifest: Manifest,
    chunks: list[Chunk],
    progress: Progress | None,
    timings: dict[str, float],
) -> dict[str, int]:
    """Write the build folder and add new chunks to the vector store. Nothing live changes here."""
    build = layout.build_dir(build_id)
    build.mkdir(parents=True)
    try:
        t = time.perf_counter()
        write_chunks(build / "chunks.jsonl", chunks)
        write_bm25(build, chunks, settings.bm25)
        timings["bm25"] = time.perf_counter() - t
        embedded: dict[str, int] = {}
        cache = EmbeddingCache(layout.cache_path)
        client = _connect(settings, layout)
        try:
            for name in settings.embeddings.models:
                embedded.update(
                    _embed_into_store(name, settings, cache, client, build, chunks, progress, timings)
                )
        finally:
            cache.close()
        (build / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")  # last: marks it complete
        return embedded
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)  # extra vectors already added are harmless, see below
        raise


def write_bm25(build: Path, chunks: list[Chunk], bm25: Bm25Settings) -> None:
    """The passage and whole-document BM25 indexes of a build (also rebuilt by a replica that
    follows a build published in the shared store: they are derived, never shipped)."""
    Bm25Index.build([chunk_text(c, bm25.title_repeat) for c in chunks], bm25).save(build / "bm25")
    units = doc_units(chunks)
    doc_texts = [document_text([chunks[p] for p in u.positions], bm25.title_repeat) for u in units]
    Bm25Index.build(doc_texts, bm25, k1=bm25.doc_k1).save(build / "bm25_doc")


def ingest_shared(
    shared: SharedKb,
    paths: Iterable[Path] | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> IngestReport:
    """An ingest whose result every replica follows: one at a time (a lock in the database), from
    the live build (so an unchanged KB stays « up-to-date » and only what changed is embedded),
    published to the shared store when a new build was made or the store had none."""
    with shared.ingest_lock():
        shared.follow()
        report = ingest(shared.settings, paths, progress=progress, force=force)
        live = shared.pointer()
        if report.build_id and (live is None or live.build_id != report.build_id):
            shared.publish(report.build_id)
        return report


def _embed_into_store(
    name: EmbedderName,
    settings: KnowledgeBaseSettings,
    cache: EmbeddingCache,
    client: Any,
    build: Path,
    chunks: list[Chunk],
    progress: Progress | None,
    timings: dict[str, float],
) -> dict[str, int]:
    t = time.perf_counter()
    inner = make_embedder(name, settings.embeddings)
    seed_cache_from_shipped(cache, settings.embeddings.shipped_vectors_dir, inner.model_id)
    embedder = CachedEmbeddings(inner, cache, settings.embeddings.batch_size)
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        if progress:
            progress(f"embed {name}", done[0], len(chunks))

    vectors = embedder.embed_passages([c.embed_text for c in chunks], progress=tick)
    units = doc_units(chunks)
    titles = embedder.embed_passages([u.title for u in units])
    timings[f"embed_{name}"] = time.perf_counter() - t
    t = time.perf_counter()
    np.save(build / f"vectors-{name}.npy", vectors.astype(np.float32))
    chunk_col, doc_col = (
        vector_store.open_collection(client, n, settings.chroma) for n in _collections(settings, name)
    )
    present = vector_store.stored_ids(chunk_col)
    new = [i for i, c in enumerate(chunks) if c.id not in present]
    stored = [len(chunks) - len(new)]  # already in the store: an earlier, interrupted run put them there

    def stored_tick(n: int) -> None:
        stored[0] += n
        if progress:
            progress(f"store {name}", stored[0], len(chunks))

    vector_store.add_chunks(chunk_col, [chunks[i] for i in new], vectors[new], stored_tick)
    _add_doc_vectors(doc_col, units, centroids(units, vectors), titles)
    timings[f"chroma_{name}"] = time.perf_counter() - t
    return {inner.model_id: embedder.computed}


def _add_doc_vectors(collection: Any, units: list[DocUnit], means: np.ndarray, titles: np.ndarray) -> None:
    present = vector_store.stored_ids(collection)
    ids, rows, texts, metas = [], [], [], []
    for i, unit in enumerate(units):
        for entry_id, vector, kind in (
            (unit.centroid_id, means[i], "mean"),
            (unit.title_id, titles[i], "title"),
        ):
            if entry_id not in present:
                ids.append(entry_id)
                rows.append(vector)
                texts.append(unit.title)
                metas.append(unit.store_metadata(kind))
    if ids:
        vector_store.add(collection, ids, np.stack(rows), texts, metas)


def _cleanup(
    settings: KnowledgeBaseSettings, layout: IndexLayout, build_id: str, chunks: list[Chunk]
) -> None:
    """After the swap: delete vectors and folders that no live build refers to.

    Runs after the pointer moved, so a crash here only leaves unreferenced vectors behind; the
    next ingest removes them. Collections of embedders no longer configured are dropped too.
    """
    client = _connect(settings, layout)
    live_chunks = {c.id for c in chunks}
    live_docs = {entry for u in doc_units(chunks) for entry in (u.centroid_id, u.title_id)}
    keep = set()
    for name in settings.embeddings.models:
        for col_name, live in zip(_collections(settings, name), (live_chunks, live_docs), strict=True):
            keep.add(col_name)
            collection = vector_store.open_collection(client, col_name, settings.chroma)
            vector_store.delete_ids(collection, sorted(vector_store.stored_ids(collection) - live))
    vector_store.drop_collections(client, settings.chroma.collection_prefix, keep)
    layout.prune({build_id})
