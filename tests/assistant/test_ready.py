"""Readiness says why the server cannot be trusted to serve: index files changed under it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from knowledge_base.index_store import IndexLayout


def test_index_files_changed_on_disk_make_the_server_not_ready(app_settings: Settings) -> None:
    with TestClient(create_app(app_settings)) as client:
        assert client.get("/api/v1/ready").status_code == 200
        current = IndexLayout(app_settings.kb.index_dir).current()
        assert current is not None
        build = IndexLayout(app_settings.kb.index_dir).build_dir(current["build_id"])
        chunks = build / "chunks.jsonl"
        chunks.write_bytes(chunks.read_bytes()[:-40])  # torn by a disk error or a stray script
        res = client.get("/api/v1/ready")
        assert res.status_code == 503 and res.json()["code"] == "index_unavailable"
        assert "chunks.jsonl" in res.json()["detail"] and "hra kb ingest" in res.json()["detail"]
        assert client.get("/api/v1/health").status_code == 200  # alive, just not to be trusted


def test_a_missing_index_file_is_named(app_settings: Settings) -> None:
    with TestClient(create_app(app_settings)) as client:
        current = IndexLayout(app_settings.kb.index_dir).current()
        assert current is not None
        build = Path(IndexLayout(app_settings.kb.index_dir).build_dir(current["build_id"]))
        victim = next(p for p in sorted(build.rglob("*")) if p.is_file() and p.name != "chunks.jsonl")
        victim.unlink()
        res = client.get("/api/v1/ready")
        assert res.status_code == 503 and victim.name in res.json()["detail"]
