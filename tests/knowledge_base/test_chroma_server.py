"""The knowledge base against a real `chroma run` server (HttpClient path), not the embedded store.

Each test ingests the small corpus under its own collection prefix on the shared session server,
and checks the server's side with a raw chromadb client rather than trusting our own wrappers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import pytest
from chromadb.config import Settings as ChromaClientSettings

from knowledge_base import vector_store
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.index import IndexNotReadyError, KnowledgeIndex
from knowledge_base.index_store import IndexLayout
from knowledge_base.ingest import IngestError, IngestReport, ingest
from knowledge_base.search import HybridSearcher, SearchFilters
from knowledge_base.settings import ChromaSettings, KnowledgeBaseSettings, RetrievalSettings
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl
from tests.fixtures.server import free_port

pytestmark = pytest.mark.chroma_server

SettingsFactory = Callable[..., KnowledgeBaseSettings]
Ingested = tuple[KnowledgeBaseSettings, IngestReport]


def _client(url: str) -> Any:
    """A client of our own (not knowledge_base.vector_store), to read the server back."""
    parsed = urlparse(url)
    return chromadb.HttpClient(
        host=parsed.hostname, port=parsed.port, settings=ChromaClientSettings(anonymized_telemetry=False)
    )


def _raw_collection(settings: KnowledgeBaseSettings) -> Any:
    assert settings.chroma.url
    return _client(settings.chroma.url).get_collection(
        vector_store.collection_name(settings.chroma, FakeEmbeddings().model_id)
    )


def _server_ids(settings: KnowledgeBaseSettings) -> set[str]:
    return set(_raw_collection(settings).get(include=[])["ids"])


@pytest.fixture
def server_settings(
    kb_settings_factory: SettingsFactory, chroma_server_url: str, chroma_server_prefix: str
) -> KnowledgeBaseSettings:
    return kb_settings_factory(
        chroma=ChromaSettings(url=chroma_server_url, collection_prefix=chroma_server_prefix)
    )


@pytest.fixture
def ingested(server_settings: KnowledgeBaseSettings) -> Ingested:
    return server_settings, ingest(server_settings)


def test_ingest_writes_vectors_to_the_server_only(ingested: Ingested) -> None:
    settings, report = ingested
    assert report.status == "built"
    assert report.documents == 6
    collection = _raw_collection(settings)
    assert collection.count() == report.chunks
    assert len(_server_ids(settings)) == report.chunks
    # Server mode must never fall back to (or also write) the embedded store.
    assert not (settings.index_dir / "chroma").exists()


def test_search_takes_its_dense_list_from_the_server(ingested: Ingested) -> None:
    settings, _ = ingested
    searcher = HybridSearcher(KnowledgeIndex.open(settings), RetrievalSettings())
    hits = searcher.search("rupture conventionnelle indemnité")
    top = hits[0]
    assert top.chunk.doc_id == "t:rupture"
    assert "fake" in top.scores
    assert "fake" in top.ranks
    assert "rupture" in top.matched_terms


def test_audience_filter_is_applied_by_the_server(ingested: Ingested) -> None:
    settings, _ = ingested
    searcher = HybridSearcher(KnowledgeIndex.open(settings), RetrievalSettings())
    query = "congés payés du salarié et titularisation du stagiaire"
    unfiltered = {h.chunk.metadata["audience"] for h in searcher.search(query)}
    assert "private-sector" in unfiltered  # otherwise the filter below would prove nothing

    civil = SearchFilters(audience="civil-service")
    hits = searcher.search(query, civil)
    assert hits
    assert {h.chunk.metadata["audience"] for h in hits} <= {"civil-service", "all"}
    assert {h.chunk.doc_id for h in hits} == {"faq-barri:t1"}
    # The dense list alone (no local mask on it) must already be filtered by the server's `where`.
    dense = next(lst for lst in searcher.ranked_lists(query, civil) if lst.name == "fake")
    assert dense.scores
    assert all(searcher.index.chunks[p].doc_id.startswith("faq-barri:") for p in dense.scores)


def test_reingest_replaces_only_the_changed_document_on_the_server(ingested: Ingested) -> None:
    settings, _ = ingested
    before = _server_ids(settings)
    changed_id = "t:teletravail"
    old_doc = {i for i in before if i.startswith(f"{changed_id}#")}
    others = before - old_doc
    assert old_doc

    records = [dict(r) for r in SMALL_CORPUS]
    for r in records:
        if r["id"] == changed_id:
            r["text"] = str(r["text"]) + " L'employeur prend en charge les frais liés au télétravail."
    write_jsonl(settings.sources[0], records)

    report = ingest(settings)
    assert report.status == "built"
    assert report.changed == [changed_id]
    assert report.added == [] and report.removed == []

    after = _server_ids(settings)
    new_doc = {i for i in after if i.startswith(f"{changed_id}#")}
    assert new_doc
    assert not new_doc & old_doc
    assert after - new_doc == others
    # And the server holds exactly the live build's chunks: the old ones were cleaned up.
    assert after == {c.id for c in KnowledgeIndex.open(settings).chunks}


def test_server_down_fails_fast_and_keeps_the_live_pointer(
    ingested: Ingested, kb_settings_factory: SettingsFactory
) -> None:
    settings, _ = ingested
    layout = IndexLayout(settings.index_dir)
    pointer_before = layout.pointer.read_bytes()
    builds_before = sorted(p.name for p in layout.builds.iterdir())
    # Nothing listens there; the shared server keeps running for the other tests.
    down = kb_settings_factory(
        chroma=ChromaSettings(
            url=f"http://127.0.0.1:{free_port()}", collection_prefix=settings.chroma.collection_prefix
        )
    )

    started = time.monotonic()
    # chromadb.HttpClient() checks the server at construction (ValueError); the index turns it into
    # its own "not ready" error so the app answers 503 with the reason.
    with pytest.raises(IndexNotReadyError, match="Could not connect to a Chroma server"):
        KnowledgeIndex.open(down)

    # An ingest that has something to write fails the same way, after the build was started.
    records = [dict(r) for r in SMALL_CORPUS]
    records[0]["text"] = str(records[0]["text"]) + " Texte modifié."
    write_jsonl(Path(down.sources[0]), records)
    with pytest.raises(IngestError, match="vector store unreachable"):
        ingest(down)
    assert time.monotonic() - started < 15  # refused at once, no hang on retries

    assert layout.pointer.read_bytes() == pointer_before
    assert sorted(p.name for p in layout.builds.iterdir()) == builds_before  # the half build was removed
    assert not (settings.index_dir / "chroma").exists()
    # The live build still opens once the server is reachable again.
    assert KnowledgeIndex.open(settings).build_id == layout.current()["build_id"]  # type: ignore[index]


def test_reingest_restores_vectors_a_server_lost(ingested: Ingested, chroma_server_url: str) -> None:
    settings, report = ingested
    name = vector_store.collection_name(settings.chroma, FakeEmbeddings().model_id)
    _client(chroma_server_url).delete_collection(name)  # e.g. the server restarted on an empty volume
    again = ingest(settings)
    assert again.status == "built" and again.kb_version == report.kb_version
    assert _client(chroma_server_url).get_collection(name).count() == report.chunks
    assert KnowledgeIndex.open(settings).kb_version == report.kb_version
