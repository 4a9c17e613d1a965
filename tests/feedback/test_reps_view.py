"""The representatives' view (SQLite and PostgreSQL): aggregates per week and topic, k-anonymity,
no pseudonyms anywhere."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from feedback import reuse
from tests.fixtures.app import agent_bearer, bearer

WEEK_A, WEEK_B = "2026-03-02T10:00:00+00:00", "2026-03-10T10:00:00+00:00"  # ISO weeks 10 and 11


@pytest.fixture
def client(app_settings: Settings, db_url: str) -> Iterator[TestClient]:
    settings = app_settings.model_copy(update={"database_url": db_url})
    with TestClient(create_app(settings), headers=bearer()) as c:
        yield c


def post(client: TestClient, draft_id: str, agent: int, kind: str, when: str, **fields: Any) -> None:
    """An event by agent ``agent`` (1…6): the agent is the token's subject, never a body field."""
    body = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": kind, "occurred_at": when, **fields}
    assert client.post("/api/v1/feedback/events", json=body, headers=agent_bearer(agent)).status_code == 201


@pytest.fixture
def populated(client: TestClient) -> dict[str, str]:
    drafts = {  # each agent asks and answers on their own draft
        agent: client.post(
            "/api/v1/drafts",
            # a loose spelling of the taxonomy id: stored as « conges »
            json={"question": "Combien de jours de congés payés par mois ?", "topic": "congés"},
            headers=agent_bearer(agent),
        ).json()["draft_id"]
        for agent in range(1, 7)
    }
    text = client.get(f"/api/v1/drafts/{drafts[1]}").json()["text"]
    for i in range(6):  # week A: six distinct agents → shown
        agent, draft_id = i + 1, drafts[i + 1]
        post(client, draft_id, agent, "shown", WEEK_A)
        post(
            client,
            draft_id,
            agent,
            "sent",
            WEEK_A,
            final_text=text if i < 3 else "Réponse réécrite.",
            timings={"ms_to_send": 30_000 + i * 1000},
        )
        post(
            client,
            draft_id,
            agent,
            "verdict",
            WEEK_A,
            value="down" if i == 0 else "up",
            reasons=["too_long"] if i == 0 else [],
        )
    for agent in (1, 2):  # week B: two agents only → suppressed
        post(client, drafts[agent], agent, "discarded", WEEK_B, reason="hors sujet")
    return {"draft_id": drafts[1], **{f"agent-{agent}": draft_id for agent, draft_id in drafts.items()}}


def test_aggregates_per_week_and_topic(client: TestClient, populated: dict[str, str]) -> None:
    rows = client.get("/api/v1/audit/stats", headers=bearer("rep")).json()
    week_a = next(r for r in rows if r["week"] == "2026-W10")
    assert week_a == {
        "week": "2026-W10",
        "topic": "conges",
        "topic_label": "Congés et absences",
        "suppressed": False,
        "agents": 6,
        "drafts_shown": 6,
        "accepted_as_is": 3,
        "edited": 0,
        "rewritten": 3,
        "discarded": 0,
        "no_draft": 0,
        "unassisted": 0,
        "thumbs_down_rate": round(1 / 6, 4),
        "down_reasons": {"too_long": 1},
        "median_edit_distance": week_a["median_edit_distance"],
        "median_ms_to_send": 32_500,
        "median_ms_to_send_control": None,
    }
    assert 0 < week_a["median_edit_distance"] < 1


def test_cells_under_five_agents_are_suppressed(client: TestClient, populated: dict[str, str]) -> None:
    rows = client.get("/api/v1/audit/stats", headers=bearer("lead")).json()
    week_b = next(r for r in rows if r["week"] == "2026-W11")
    assert week_b == {
        "week": "2026-W11",
        "topic": "conges",
        "topic_label": "Congés et absences",
        "suppressed": True,
        "agents": "< 5",
    }
    csv = client.get("/api/v1/audit/stats.csv", headers=bearer("rep")).text
    assert "2026-W11,conges,< 5,< 5" in csv and csv.startswith("semaine,thème,agents,brouillons affichés")


def test_no_endpoint_returns_a_pseudonym(client: TestClient, populated: dict[str, str]) -> None:
    pseudonyms = {client.app.state.events.pseudonym(f"agent-{n}") for n in range(1, 7)}  # type: ignore[attr-defined]
    bodies = [
        client.get(path, headers=bearer(role)).text
        for role in ("rep", "lead")
        for path in ("/api/v1/audit/stats", "/api/v1/audit/stats.csv")
    ]
    bodies.append(client.get(f"/api/v1/drafts/{populated['draft_id']}").text)
    for body in bodies:
        assert not any(p in body for p in pseudonyms) and "agent-" not in body


def test_statistics_are_reused_for_up_to_their_max_age_and_say_when_computed(
    client: TestClient, populated: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recomputed over every event at each read, they took a core from the drafts under load: after
    new events they are served as computed for up to 30 s (HRA_FEEDBACK__AGGREGATES_MAX_AGE_S)."""
    first = client.get("/api/v1/audit/stats", headers=bearer("rep"))
    computed_at = datetime.fromisoformat(first.headers["X-Computed-At"])
    assert abs((datetime.now(UTC) - computed_at).total_seconds()) < 60
    for agent in (3, 4, 5):  # three more agents in week B: it would now show 5
        post(client, populated[f"agent-{agent}"], agent, "shown", WEEK_B)
    again = client.get("/api/v1/audit/stats", headers=bearer("rep"))
    assert again.json() == first.json() and again.headers["X-Computed-At"] == first.headers["X-Computed-At"]
    moved = time.monotonic() + 31
    monkeypatch.setattr(reuse, "time", SimpleNamespace(monotonic=lambda: moved))
    rows = client.get("/api/v1/audit/stats", headers=bearer("rep")).json()
    week_b = next(r for r in rows if r["week"] == "2026-W11")
    assert week_b["suppressed"] is False and week_b["agents"] == 5
