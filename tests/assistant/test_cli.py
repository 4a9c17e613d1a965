"""The `hra kb …` commands, run through Typer's runner on the small corpus (fake embedder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from knowledge_base.settings import KnowledgeBaseSettings

runner = CliRunner()


@pytest.fixture
def env(kb_settings: KnowledgeBaseSettings, monkeypatch: pytest.MonkeyPatch) -> KnowledgeBaseSettings:
    monkeypatch.setenv("HRA_KB__INDEX_DIR", str(kb_settings.index_dir))
    monkeypatch.setenv("HRA_KB__SOURCES", json.dumps([str(p) for p in kb_settings.sources]))
    monkeypatch.setenv("HRA_KB__EMBEDDINGS__MODELS", '["fake"]')
    monkeypatch.setenv(
        "HRA_KB__EMBEDDINGS__SHIPPED_VECTORS_DIR", str(kb_settings.embeddings.shipped_vectors_dir)
    )
    return kb_settings


def test_ingest_status_search(env: KnowledgeBaseSettings, tmp_path: Path) -> None:
    bad = tmp_path / "notes.docx"
    bad.write_text("pas un format connu")
    result = runner.invoke(app, ["kb", "ingest", str(env.sources[0]), str(bad)])
    assert result.exit_code == 0, result.output
    assert "built" in result.output and "6 documents" in result.output
    flat = " ".join(result.output.split())
    assert "skipped" in flat and "notes.docx" in flat

    status = runner.invoke(app, ["kb", "status"])
    assert status.exit_code == 0 and "kb_version" in status.output and "6 documents" in status.output

    search = runner.invoke(app, ["kb", "search", "rupture conventionnelle", "--json", "--top-k", "2"])
    hits = json.loads(search.output)
    assert hits[0]["title"] == "La rupture conventionnelle" and "rupture" in hits[0]["matched_terms"]
    assert set(hits[0]) >= {"scores", "ranks", "fused", "url"}

    table = runner.invoke(app, ["kb", "search", "télétravail"])
    assert table.exit_code == 0 and "Le télétravail" in table.output and "terms:" in table.output


def test_status_and_search_without_index_say_what_to_do(env: KnowledgeBaseSettings) -> None:
    for args in (["kb", "status"], ["kb", "search", "congés"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and "hra kb ingest" in " ".join(result.output.split())


def test_ingest_of_nothing_readable_fails_cleanly(env: KnowledgeBaseSettings, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("{broken\n")
    result = runner.invoke(app, ["kb", "ingest", str(empty)])
    assert result.exit_code == 1 and "Ingest failed" in result.output
