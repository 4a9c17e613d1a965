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


def test_knowledge_base_text_is_printed_as_text(env: KnowledgeBaseSettings, tmp_path: Path) -> None:
    """A title or a passage with « [/i] » or « [b] » (any source may carry one) is shown as written,
    not read as console styles — an unmatched closing tag used to stop the command."""
    odd = tmp_path / "odd.jsonl"
    record = {
        "id": "sp:F9999",
        "title": "Télétravail [/i] mode [b]d'emploi[/b]",
        "url": "https://www.service-public.fr/F9999",
        "text": "Le télétravail [/i] s'organise par accord [1] ou charte.",
    }
    odd.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["kb", "ingest", str(env.sources[0]), str(odd)]).exit_code == 0

    table = runner.invoke(app, ["kb", "search", "télétravail charte accord", "--top-k", "10"])

    assert table.exit_code == 0, table.output  # the table wraps cells: its words are looked for one by one
    assert "F9999" in table.output and "[b]d'emploi[/b]" in table.output and "[/i]" in table.output
