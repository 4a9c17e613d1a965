"""An ingest into a Chroma server killed mid-way (SIGKILL, as an OOM kill or a lost node) and run
again completes without duplicates and without embedding anything twice: vectors go to the store in
batches that each stay stored, the embedding cache keeps every computed vector, and a rerun adds only
the ids the collection lacks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge_base import vector_store
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.ingest import ingest
from knowledge_base.settings import ChromaSettings, KnowledgeBaseSettings
from tests.fixtures.corpus import write_jsonl

pytestmark = pytest.mark.chroma_server

ROOT = Path(__file__).resolve().parents[2]
DOCS = 240
BATCH = 50  # small batches in the child, so that several are stored before it is killed

CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    from knowledge_base import vector_store
    from knowledge_base.ingest import ingest
    from knowledge_base.settings import KnowledgeBaseSettings

    vector_store.ADD_BATCH = {batch}
    settings = KnowledgeBaseSettings.model_validate_json(sys.argv[1])

    def progress(stage, done, total):
        print(stage, done, total, flush=True)
        if stage.startswith("store") and done >= 2 * {batch}:  # two batches stored: die, no cleanup
            os.kill(os.getpid(), signal.SIGKILL)

    ingest(settings, progress=progress)
    """
)


def _corpus(path: Path) -> Path:
    topics = ["congés payés", "période d'essai", "télétravail", "heures supplémentaires", "arrêt maladie"]
    return write_jsonl(
        path,
        [
            {
                "id": f"doc-{i:04d}",
                "title": f"Fiche {i} : {topics[i % len(topics)]}",
                "text": f"Règle numéro {i} sur {topics[i % len(topics)]}. " * 12,
                "source": "test",
            }
            for i in range(DOCS)
        ],
    )


def test_an_ingest_killed_mid_way_resumes_to_a_complete_index(
    kb_settings_factory: Callable[..., KnowledgeBaseSettings],
    chroma_server_url: str,
    chroma_server_prefix: str,
    tmp_path: Path,
) -> None:
    settings = kb_settings_factory(
        sources=[_corpus(tmp_path / "big.jsonl")],
        chroma=ChromaSettings(url=chroma_server_url, collection_prefix=chroma_server_prefix),
    )
    child = subprocess.run(
        [sys.executable, "-c", CHILD.format(batch=BATCH), settings.model_dump_json()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -9, child.stdout[-2000:] + child.stderr[-2000:]  # killed, as planned
    stored_before = [line for line in child.stdout.splitlines() if line.startswith("store")]
    assert stored_before[-1].split()[2] == str(2 * BATCH)
    client = vector_store.connect(settings.chroma, settings.index_dir / "chroma")
    name = vector_store.collection_name(settings.chroma, FakeEmbeddings().model_id)
    assert client.get_collection(name).count() == 2 * BATCH  # the batches stored before the kill stay
    assert not (settings.index_dir / "CURRENT").exists()  # and nothing half-built went live

    seen: list[tuple[str, int, int]] = []
    report = ingest(settings, progress=lambda stage, done, total: seen.append((stage, done, total)))

    assert report.status == "built" and report.documents == DOCS
    assert report.embedded == {FakeEmbeddings().model_id: 0}  # every vector came from the cache
    collection = client.get_collection(name)
    ids = collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids)) == report.chunks  # complete, no duplicate
    store = [s for s in seen if s[0].startswith("store")]
    assert store[0][1] > 2 * BATCH  # the rerun started after what was already stored
    assert store[-1][1:] == (report.chunks, report.chunks)
    assert json.loads((settings.index_dir / "CURRENT").read_text())["build_id"] == report.build_id
