"""Ingestion: first build, no-op re-ingest, incremental change/add/remove, bad inputs, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge_base import ingest as ingest_module
from knowledge_base.index import KnowledgeIndex
from knowledge_base.index_store import IndexLayout
from knowledge_base.ingest import IngestError, ingest
from knowledge_base.settings import KnowledgeBaseSettings
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl


def chunk_ids_by_doc(settings: KnowledgeBaseSettings) -> dict[str, list[str]]:
    index = KnowledgeIndex.open(settings)
    return {doc_id: entry.chunk_ids for doc_id, entry in index.manifest.documents.items()}


def test_first_ingest_builds_a_complete_index(kb_settings: KnowledgeBaseSettings) -> None:
    report = ingest(kb_settings)
    assert report.status == "built"
    assert report.documents == len(SMALL_CORPUS)
    assert sorted(report.added) == sorted(r["id"] for r in SMALL_CORPUS)
    assert report.embedded == {"fake-hashed-bow": report.chunks + report.documents}  # passages + titles
    index = KnowledgeIndex.open(kb_settings)
    assert index.kb_version == report.kb_version
    assert len(index.chunks) == report.chunks
    assert index.dense[0].collection.count() == report.chunks
    chunk = next(c for c in index.chunks if c.doc_id == "t:conges")
    assert chunk.metadata["url"] == "https://example.test/conges"
    assert chunk.metadata["updated"] == "2021-02-01"
    assert chunk.metadata["license"] == "Etalab 2.0"


def test_reingest_without_change_is_a_no_op(kb_settings: KnowledgeBaseSettings) -> None:
    first = ingest(kb_settings)
    second = ingest(kb_settings)
    assert second.status == "up-to-date"
    assert second.kb_version == first.kb_version
    assert second.build_id == first.build_id
    assert second.embedded == {}


def test_change_add_remove_touch_only_those_documents(
    kb_settings: KnowledgeBaseSettings, corpus_file: Path
) -> None:
    first = ingest(kb_settings)
    before = chunk_ids_by_doc(kb_settings)
    records = [dict(r) for r in SMALL_CORPUS if r["id"] != "t:teletravail"]  # remove one
    changed = next(r for r in records if r["id"] == "t:cdd")
    changed["text"] = str(changed["text"]) + " Le délai de carence s'applique entre deux CDD."
    records.append(
        {
            "id": "t:demission",
            "title": "La démission",
            "source": "test-sp",
            "text": "Le salarié qui démissionne respecte un préavis.",
        }
    )
    write_jsonl(corpus_file, records)

    report = ingest(kb_settings)
    assert (report.added, report.changed, report.removed) == (["t:demission"], ["t:cdd"], ["t:teletravail"])
    assert report.kb_version != first.kb_version
    after = chunk_ids_by_doc(kb_settings)
    untouched = set(before) - {"t:cdd", "t:teletravail"}
    assert all(after[d] == before[d] for d in untouched)
    assert set(after["t:cdd"]).isdisjoint(before["t:cdd"])
    # Only the changed and the added documents' chunks were embedded, plus the one new title.
    assert report.embedded["fake-hashed-bow"] == len(after["t:cdd"]) + len(after["t:demission"]) + 1
    index = KnowledgeIndex.open(kb_settings)
    stored = set(index.dense[0].collection.get(include=[])["ids"])
    assert stored == {c.id for c in index.chunks}, "stale vectors must be deleted after the swap"


def test_bad_records_are_reported_and_skipped(kb_settings_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x:1", "title": "Sans texte"}\nnot json\n' + json.dumps(SMALL_CORPUS[0]) + "\n")
    settings = kb_settings_factory(sources=[bad, tmp_path / "missing.jsonl"])
    report = ingest(settings)
    assert report.documents == 1
    reasons = {(Path(i.file).name, i.record): i.reason for i in report.issues}
    assert ("bad.jsonl", "line 1") in reasons and "text" in reasons[("bad.jsonl", "line 1")]
    assert ("bad.jsonl", "line 2") in reasons
    assert any(name == "missing.jsonl" for name, _ in reasons)
    saved = json.loads(IndexLayout(settings.index_dir).last_report.read_text())
    assert len(saved["issues"]) == len(report.issues)


def test_no_readable_document_keeps_the_current_index(
    kb_settings: KnowledgeBaseSettings, tmp_path: Path
) -> None:
    first = ingest(kb_settings)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("garbage\n")
    with pytest.raises(IngestError, match="no readable document"):
        ingest(kb_settings, [empty])
    assert KnowledgeIndex.open(kb_settings).kb_version == first.kb_version


def test_a_crash_during_the_build_leaves_the_live_index_intact(
    kb_settings: KnowledgeBaseSettings, corpus_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ingest(kb_settings)
    write_jsonl(
        corpus_file, [*SMALL_CORPUS, {"id": "t:new", "title": "Nouveau", "text": "Un texte nouveau."}]
    )

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_module.vector_store, "add_chunks", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(kb_settings)
    layout = IndexLayout(kb_settings.index_dir)
    assert layout.current() == {"build_id": first.build_id, "kb_version": first.kb_version}
    assert [p.name for p in layout.builds.iterdir()] == [first.build_id], "the half-built folder is removed"
    index = KnowledgeIndex.open(kb_settings)
    assert index.kb_version == first.kb_version and "t:new" not in index.manifest.documents
    monkeypatch.undo()
    assert ingest(kb_settings).added == ["t:new"]


def test_changing_the_chunking_changes_kb_version_and_rechunks(kb_settings_factory) -> None:  # type: ignore[no-untyped-def]
    from knowledge_base.settings import ChunkingSettings

    first = ingest(kb_settings_factory())
    second = ingest(
        kb_settings_factory(chunking=ChunkingSettings(min_words=20, max_words=60, overlap_words=5))
    )
    assert second.status == "built" and second.kb_version != first.kb_version
    assert second.chunks > first.chunks


def test_a_changed_hnsw_search_ef_is_applied_to_existing_collections(kb_settings_factory) -> None:  # type: ignore[no-untyped-def]
    from knowledge_base.settings import ChromaSettings

    ingest(kb_settings_factory(chroma=ChromaSettings(hnsw_search_ef=50)))
    settings = kb_settings_factory(chroma=ChromaSettings(hnsw_search_ef=150))
    ingest(settings, force=True)
    collection = KnowledgeIndex.open(settings).dense[0].collection
    assert collection.configuration["hnsw"]["ef_search"] == 150
