"""KB status for maintainers: documents by age, stale-lexicon hits per document, last sync; the
admin route and its access rules."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.services.kb_status import KbStatusService, age_buckets, age_years
from assistant.settings import Settings
from knowledge_base.ingest import ingest
from knowledge_base.settings import KnowledgeBaseSettings
from tests.fixtures.app import bearer, settings_for
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl

STALE_DOC = {
    "id": "t:inspection",
    "title": "Saisir l'inspection du travail",
    "source": "test-mt",
    "url": "https://example.test/inspection",
    "license": "Licence Ouverte 2.0",
    "meta": {"date": "2019-03-01"},
    "text": "Le salarié peut saisir la DIRECCTE. Le CHSCT est consulté sur les conditions de travail. "
    "Pendant la crise sanitaire, l'entretien peut se tenir à distance.",
}
FRESH_DOC = {
    "id": "t:cse",
    "title": "Le CSE",
    "source": "test-mt",
    "url": "https://example.test/cse",
    "license": "Licence Ouverte 2.0",
    "meta": {"date": "2026-05-02"},
    "text": "Le CSE, qui remplace le CHSCT, est consulté sur les conditions de travail.",
}


@pytest.fixture
def settings(kb_settings_factory: Callable[..., KnowledgeBaseSettings], tmp_path: Path) -> Settings:
    kb = write_jsonl(tmp_path / "sources" / "kb2.jsonl", [*SMALL_CORPUS, STALE_DOC, FRESH_DOC])
    s = settings_for(kb_settings_factory(sources=[kb]), tmp_path)
    s.drafting.reference_date = date(2026, 11, 28)
    return s


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers=bearer("admin")) as c:
        yield c


def test_age_of_a_date_and_bands() -> None:
    today = date(2026, 11, 28)
    assert age_years("2026-05-02", today) == 0.6
    assert age_years("2020", today) == 5.9  # a bare year counts as its last day: never fresher than it is
    assert age_years("", today) is None and age_years("n/a", today) is None


def test_status_lists_documents_by_age_and_stale_terms(settings: Settings) -> None:
    from knowledge_base.index import KnowledgeIndex

    ingest(settings.kb)
    index = KnowledgeIndex.open(settings.kb)
    status = KbStatusService(settings).status(index, limit=3)
    assert status["documents"] == 8 and status["reference_date"] == "2026-11-28"
    assert status["age_bands"] == {"moins_1_an": 1, "1_a_3_ans": 0, "plus_de_3_ans": 2, "sans_date": 5}
    assert [d["doc_id"] for d in status["oldest"]] == ["t:inspection", "t:conges", "t:cse"]
    stale = {d["doc_id"]: d for d in status["most_stale"]}
    # The fresh page says the CSE replaces the CHSCT: the lexicon's `unless` keeps it clean.
    assert list(stale) == ["t:inspection"]
    assert stale["t:inspection"]["stale_hits"] == 3
    assert set(stale["t:inspection"]["stale_terms"]) == {"direccte", "chsct", "covid"}
    assert status["last_ingest"]["status"] == "built"


def test_scan_is_reused_from_disk_by_another_process(settings: Settings) -> None:
    from knowledge_base.index import KnowledgeIndex

    ingest(settings.kb)
    index = KnowledgeIndex.open(settings.kb)
    first = KbStatusService(settings).documents(index)
    saved = list((settings.kb.index_dir / "builds" / index.build_id).glob("freshness-*.json"))
    assert len(saved) == 1 and len(json.loads(saved[0].read_text())) == 8
    saved[0].write_text(json.dumps([{**first[0].public(), "stale_hits": 99}]))  # proves it is read
    assert KbStatusService(settings).documents(index)[0].stale_hits == 99


def test_admin_route(client: TestClient) -> None:
    res = client.get("/api/v1/admin/kb/status", params={"limit": 1})
    assert res.status_code == 200, res.text
    body = res.json()
    assert (
        body["documents"] == 8
        and len(body["oldest"]) == 1
        and body["most_stale"][0]["doc_id"] == ("t:inspection")
    )
    assert body["lexicon_version"] and body["max_age_years"] == 3.0


@pytest.mark.parametrize("role", ["agent", "lead", "rep"])
def test_admin_route_refuses_other_roles(client: TestClient, role: str) -> None:
    res = client.get("/api/v1/admin/kb/status", headers=bearer(role))
    assert res.status_code == 403 and "admin" in res.json()["detail"]


def test_admin_route_rejects_a_bad_limit(client: TestClient) -> None:
    res = client.get("/api/v1/admin/kb/status", params={"limit": 0})
    assert res.status_code == 422 and "limit" in res.json()["detail"]


def test_bands_follow_the_setting() -> None:
    from assistant.services.kb_status import DocumentAge

    rows = [DocumentAge("a", "", "", "", age, 0, ()) for age in (0.5, 2.0, 4.0, None)]
    assert age_buckets(rows, 5.0) == {"moins_1_an": 1, "1_a_5_ans": 2, "plus_de_5_ans": 0, "sans_date": 1}
