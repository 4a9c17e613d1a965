"""*Le journal* (GET /api/v1/audit/journal and .csv): the feedback log as representatives see it —
no pseudonym, no free text, the hour only; filters; French CSV; roles; clear errors."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from assistant.app import create_app
from assistant.settings import Settings
from feedback.audit import verify
from feedback.models import AccessEvent, FeedbackEvent
from tests.fixtures.app import agent_bearer, bearer

WHEN = "2026-03-03T10:47:31.123456+00:00"  # ISO week 2026-W10
FREE_TEXT = "Réponse de Mme Lefèvre au sujet de son dossier"


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


def post(client: TestClient, agent: int, draft_id: str, **fields: Any) -> None:
    body = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "occurred_at": WHEN, **fields}
    assert client.post("/api/v1/feedback/events", json=body, headers=agent_bearer(agent)).status_code == 201


@pytest.fixture
def logged(client: TestClient) -> list[str]:
    drafts = []
    for agent in (1, 2):
        draft = client.post(
            "/api/v1/drafts",
            json={"question": "Combien de jours de congés payés par mois ?"},
            headers=agent_bearer(agent),
        ).json()
        drafts.append(draft["draft_id"])
    post(client, 1, drafts[0], type="shown")
    post(client, 1, drafts[0], type="sent", final_text=FREE_TEXT)
    post(client, 1, drafts[0], type="verdict", value="down", reasons=["outdated"], comment=FREE_TEXT)
    post(client, 2, drafts[1], type="discarded", reason=FREE_TEXT)
    return drafts


def test_rows_hide_agents_and_free_text_and_keep_the_hour(client: TestClient, logged: list[str]) -> None:
    r = client.get("/api/v1/audit/journal", params={"week": "2026-W10"}, headers=bearer("rep"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 4 and {row["type"] for row in page["rows"]} == {
        "shown",
        "sent",
        "verdict",
        "discarded",
    }
    assert {row["hour"] for row in page["rows"]} == {"2026-03-03 10 h"}
    verdict = next(row for row in page["rows"] if row["type"] == "verdict")
    assert verdict["reasons"] == ["outdated"] and verdict["value"] == "down"
    assert verdict["free_text"] == "texte libre masqué" and verdict["topic_label"]
    discarded = next(row for row in page["rows"] if row["type"] == "discarded")
    assert discarded["outcome"] == "discarded" and discarded["free_text"] == "texte libre masqué"

    with Session(client.app.state.store.engine) as s:  # type: ignore[attr-defined]
        pseudonyms = set(s.scalars(select(FeedbackEvent.agent_pseudonym)))
    csv = client.get("/api/v1/audit/journal.csv", params={"week": "2026-W10"}, headers=bearer("rep")).text
    for text in (r.text, csv):
        assert "Lefèvre" not in text and ":47" not in text and "10:47" not in text
        assert not any(p in text for p in pseudonyms) and not any(d in text for d in logged)
    assert csv.startswith("heure,type,thème,décision,issue,raisons,distance d'édition,texte libre")


def test_filters(client: TestClient, logged: list[str]) -> None:
    def total(**params: str) -> int:
        r = client.get("/api/v1/audit/journal", params={"week": "2026-W10", **params}, headers=bearer("rep"))
        assert r.status_code == 200, r.text
        return int(r.json()["total"])

    assert total(type="verdict") == 1 and total(outcome="discarded") == 1
    assert total(topic="conges") + total(topic="autre") <= 4
    assert total() == 4
    other = client.get("/api/v1/audit/journal", params={"week": "2026-W11"}, headers=bearer("rep")).json()
    assert other["total"] == 0 and other["rows"] == []
    two = client.get("/api/v1/audit/journal", params={"week": "2026-W10", "limit": 2}, headers=bearer("rep"))
    assert two.json()["total"] == 4 and len(two.json()["rows"]) == 2


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"week": "2026-48"}, 422, "week"),
        ({"type": "deleted"}, 422, "type"),
        ({"topic": "pas-un-theme"}, 400, "thème inconnu"),
        ({"limit": "100000"}, 422, "limit"),
    ],
)
def test_bad_filters_are_clear_errors(
    client: TestClient, params: dict[str, str], status: int, says: str
) -> None:
    r = client.get("/api/v1/audit/journal", params=params, headers=bearer("rep"))
    assert r.status_code == status and says in r.text


@pytest.mark.parametrize(("role", "status"), [("rep", 200), ("lead", 200), ("admin", 200), ("agent", 403)])
def test_roles(client: TestClient, role: str, status: int) -> None:
    assert client.get("/api/v1/audit/journal", headers=bearer(role)).status_code == status
    assert client.get("/api/v1/audit/journal").status_code == 401


def test_the_page_is_served_with_its_modules(client: TestClient) -> None:
    page = client.get("/reps/")
    assert page.status_code == 200 and "espace des représentants" in page.text
    assert "Content-Security-Policy" in page.headers
    for name in (
        "reps.js",
        "journal.js",
        "recorded.js",
        "aggregates.js",
        "changes.js",
        "checks.js",
        "reps.css",
    ):
        assert client.get(f"/reps/{name}").status_code == 200, name


def test_reads_by_leads_and_reps_are_in_the_chain_and_the_journal(
    client: TestClient, logged: list[str]
) -> None:
    client.get("/api/v1/audit/stats", headers=bearer("lead"))
    client.get("/api/v1/audit/stats.csv", headers=bearer("rep"))
    client.get("/api/v1/dashboard/week", headers=bearer("lead"))
    page = client.get("/api/v1/audit/journal", headers=bearer("rep")).json()  # this week: the reads
    reads = {(a["role"], a["what"]) for a in page["accesses"]}
    assert {("lead", "stats"), ("rep", "stats.csv"), ("lead", "dashboard.week"), ("rep", "journal")} <= reads
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2} h", a["hour"]) for a in page["accesses"])
    assert client.get("/api/v1/audit/journal", headers=bearer("agent")).status_code == 403  # not logged

    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    report = verify(engine)
    assert report.ok, report.reason
    with engine.begin() as conn:  # a read relabelled after the fact: the chain names it
        conn.execute(update(AccessEvent).where(AccessEvent.role == "lead").values(role="admin"))
    broken = verify(engine)
    assert not broken.ok and "consultation" in broken.reason and "role" in broken.reason
    with engine.begin() as conn:  # a read deleted with its entry: the chain no longer links
        first = conn.execute(select(AccessEvent.event_id).limit(1)).scalar_one()
        conn.execute(delete(AccessEvent).where(AccessEvent.event_id == first))
    assert not verify(engine).ok
