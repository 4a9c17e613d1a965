"""The shared KB store (HRA_KB__STORE=database): two replicas with separate, empty working
directories, one real `chroma run` server and a real database (SQLite and PostgreSQL). Whatever one
ingests, the other follows from the database alone — no file is copied between them."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from feedback.db import make_engine, migrate
from knowledge_base.index import KnowledgeIndex
from knowledge_base.index_store import IndexLayout
from knowledge_base.ingest import ingest_shared
from knowledge_base.search import HybridSearcher
from knowledge_base.settings import ChromaSettings, KnowledgeBaseSettings, RetrievalSettings
from knowledge_base.shared_store import KEEP_BUILDS, SharedKb, SharedStoreError, kb_builds
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl

pytestmark = pytest.mark.chroma_server

NEW_DOC = {
    "id": "doc-new-teletravail-indemnite",
    "title": "Indemnité de télétravail forfaitaire",
    "text": "L'indemnité forfaitaire de télétravail est versée par jour de télétravail effectif, "
    "dans la limite fixée par l'accord collectif applicable au service.",
    "source": "test",
}


@pytest.fixture
def replicas(
    kb_settings_factory: Callable[..., KnowledgeBaseSettings],
    chroma_server_url: str,
    chroma_server_prefix: str,
    db_url: str,
    tmp_path: Path,
) -> Iterator[tuple[SharedKb, SharedKb]]:
    migrate(db_url)
    engine = make_engine(db_url)
    chroma = ChromaSettings(url=chroma_server_url, collection_prefix=chroma_server_prefix)
    a, b = (
        kb_settings_factory(index_dir=tmp_path / f"replica-{n}" / "kb", chroma=chroma, store="database")
        for n in "ab"
    )
    yield SharedKb(engine, a), SharedKb(engine, b)
    engine.dispose()  # before the database is dropped: no connection left for the GC to warn about


def _top_ids(shared: SharedKb, query: str) -> list[str]:
    index = KnowledgeIndex.open(shared.settings)
    return [h.chunk.id for h in HybridSearcher(index, RetrievalSettings()).search(query)]


def test_a_replica_with_an_empty_disk_serves_what_another_ingested(
    replicas: tuple[SharedKb, SharedKb],
) -> None:
    a, b = replicas
    assert b.follow() is False  # nothing published yet: nothing to follow, no error
    report = ingest_shared(a)

    assert report.status == "built"
    live = a.pointer()
    assert live is not None and (live.build_id, live.kb_version) == (report.build_id, report.kb_version)
    assert not b.layout.root.exists()
    assert b.follow() is True
    assert IndexLayout(b.settings.index_dir).current() == {
        "build_id": live.build_id,
        "kb_version": live.kb_version,
    }
    assert KnowledgeIndex.open(b.settings).kb_version == report.kb_version
    for query in ("congés payés", "période d'essai", "télétravail"):
        assert _top_ids(b, query) == _top_ids(a, query)  # BM25 rebuilt from the stored chunks
    assert b.follow() is False  # already on it


def test_a_change_ingested_through_one_replica_is_followed_by_the_other(
    replicas: tuple[SharedKb, SharedKb], corpus_file: Path
) -> None:
    a, b = replicas
    first = ingest_shared(a)
    b.follow()
    write_jsonl(corpus_file, [*SMALL_CORPUS, NEW_DOC])

    second = ingest_shared(b)  # through the other replica this time

    assert second.status == "built" and second.added == [NEW_DOC["id"]]
    assert second.previous_kb_version == first.kb_version  # b started from the live build
    assert a.follow() is True
    index = KnowledgeIndex.open(a.settings)
    assert index.kb_version == second.kb_version
    assert NEW_DOC["id"] in index.doc_ids
    assert _top_ids(a, "indemnité forfaitaire de télétravail")[0].startswith(NEW_DOC["id"])


def test_an_unchanged_kb_is_up_to_date_from_any_replica(replicas: tuple[SharedKb, SharedKb]) -> None:
    a, b = replicas
    first = ingest_shared(a)

    again = ingest_shared(b)  # b's disk is empty: it starts from the shared build, not from scratch

    assert again.status == "up-to-date" and again.build_id == first.build_id
    assert b.pointer() == a.pointer()


def test_a_lost_working_copy_is_rebuilt_from_the_stores(replicas: tuple[SharedKb, SharedKb]) -> None:
    a, b = replicas
    report = ingest_shared(a)
    b.follow()
    shutil.rmtree(b.layout.root)

    assert b.follow() is True
    assert KnowledgeIndex.open(b.settings).build_id == report.build_id


def test_only_the_last_builds_are_kept_and_a_corrupt_one_is_refused(
    replicas: tuple[SharedKb, SharedKb], corpus_file: Path
) -> None:
    a, b = replicas
    for n in range(KEEP_BUILDS + 1):
        write_jsonl(corpus_file, [*SMALL_CORPUS, {**NEW_DOC, "text": f"{NEW_DOC['text']} Version {n}."}])
        ingest_shared(a)
    with a.engine.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(kb_builds)).scalar() == KEEP_BUILDS
        live = a.pointer()
        assert live is not None
        conn.execute(
            kb_builds.update()
            .where(kb_builds.c.build_id == live.build_id)
            .values(chunks=b"\x1f\x8b tampered")
        )

    with pytest.raises(SharedStoreError, match="do not match their hash"):
        b.follow()
    assert IndexLayout(b.settings.index_dir).current() is None  # nothing half-written is served


def test_the_shared_store_needs_a_chroma_server(
    kb_settings_factory: Callable[..., KnowledgeBaseSettings],
) -> None:
    with pytest.raises(ValidationError, match="Chroma server"):
        kb_settings_factory(store="database")


def test_a_replica_never_invents_its_own_keys(
    kb_settings_factory: Callable[..., KnowledgeBaseSettings], chroma_server_url: str, tmp_path: Path
) -> None:
    """Each replica would invent a different pseudonym key: the same agent, one pseudonym per replica."""
    from assistant.app import create_app
    from feedback.keys import KeyMissingError
    from tests.fixtures.app import settings_for

    kb = kb_settings_factory(chroma=ChromaSettings(url=chroma_server_url), store="database")
    with pytest.raises(KeyMissingError, match="no key configured"):
        create_app(settings_for(kb, tmp_path))
    assert not (tmp_path / "pseudonym.key").exists()
