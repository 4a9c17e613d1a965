"""The server's clock decides: occurred_at only within a window around it; retention counts from
received_at, so a backdated event is neither purged at once nor kept forever."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistant.app import create_app
from assistant.settings import Settings
from feedback.audit import purge, verify
from feedback.models import FeedbackEvent
from tests.fixtures.app import bearer


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    defaults = app_settings.feedback.model_copy(
        update={"occurred_at_past_days": 30, "occurred_at_future_s": 300}
    )
    with TestClient(
        create_app(app_settings.model_copy(update={"feedback": defaults})), headers=bearer()
    ) as c:
        yield c


@pytest.fixture
def draft_id(client: TestClient) -> str:
    return str(
        client.post("/api/v1/drafts", json={"question": "Combien de jours de congés ?"}).json()["draft_id"]
    )


def shown(draft_id: str, when: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "shown", "occurred_at": when}


@pytest.mark.parametrize(
    "when",
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1970-01-01T00:00:00+00:00"],
)
def test_absurd_dates_are_422_and_store_nothing(client: TestClient, draft_id: str, when: str) -> None:
    res = client.post("/api/v1/feedback/events", json=shown(draft_id, when))
    assert res.status_code == 422, res.text
    assert res.json()["code"] == "invalid_request" and "fenêtre" in res.json()["detail"]
    with client.app.state.store.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(select(FeedbackEvent.event_id)).first() is None


def test_window_edges(client: TestClient, draft_id: str) -> None:
    now = datetime.now(UTC)
    ok = [now - timedelta(days=29), now + timedelta(seconds=200), now.replace(tzinfo=None)]
    refused = [now - timedelta(days=31), now + timedelta(seconds=600)]
    for when in ok:
        assert (
            client.post("/api/v1/feedback/events", json=shown(draft_id, when.isoformat())).status_code == 201
        )
    for when in refused:
        assert (
            client.post("/api/v1/feedback/events", json=shown(draft_id, when.isoformat())).status_code == 422
        )


def test_batch_refuses_only_the_out_of_window_event(client: TestClient, draft_id: str) -> None:
    good, bad = shown(draft_id, None), shown(draft_id, "9999-01-01T00:00:00Z")
    acks = client.post("/api/v1/feedback/events/batch", json={"events": [good, bad]}).json()
    assert [a["status"] for a in acks] == [201, 422]


def test_timings_must_be_numbers(client: TestClient, draft_id: str) -> None:
    body = {**shown(draft_id, None), "timings": {"ms_to_first_edit": "1200"}}
    assert client.post("/api/v1/feedback/events", json=body).status_code == 422


def test_purge_counts_from_reception_not_from_the_clients_date(client: TestClient, draft_id: str) -> None:
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    backdated = shown(draft_id, (datetime.now(UTC) - timedelta(days=29)).isoformat())
    assert client.post("/api/v1/feedback/events", json=backdated).status_code == 201
    # A purge of what is older than a week: the event says 29 days ago but arrived now → kept.
    assert purge(engine, datetime.now(UTC) - timedelta(days=7)) == 0
    assert purge(engine, datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert verify(engine).ok


def test_an_event_reusing_a_draft_id_is_a_conflict_not_a_503(client: TestClient, draft_id: str) -> None:
    body = {**shown(draft_id, None), "event_id": draft_id}  # the draft's own entry holds this id
    res = client.post("/api/v1/feedback/events", json=body)
    assert res.status_code == 409 and "identifiant" in res.json()["detail"]
