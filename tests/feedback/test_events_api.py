"""Feedback events through the API, on SQLite and on a real PostgreSQL (``db_url``)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from assistant.app import create_app
from assistant.settings import Settings
from feedback.audit import verify
from feedback.models import AuditEntry, FeedbackEvent
from tests.fixtures.app import TOKENS, bearer


@pytest.fixture
def client(app_settings: Settings, db_url: str) -> Iterator[TestClient]:
    settings = app_settings.model_copy(update={"database_url": db_url})
    with TestClient(create_app(settings), headers=bearer()) as c:
        yield c


@pytest.fixture
def draft(client: TestClient) -> dict[str, Any]:
    res = client.post(
        "/api/v1/drafts", json={"question": "Combien de jours de congés payés par mois ?", "topic": "congés"}
    )
    assert res.status_code == 201
    return res.json()  # type: ignore[no-any-return]


def event(draft: dict[str, Any], kind: str = "shown", **fields: Any) -> dict[str, Any]:
    """No agent in the body: the agent is the credential's subject."""
    return {
        "event_id": str(uuid.uuid4()),
        "draft_id": draft["draft_id"],
        "type": kind,
        **fields,
    }


def engine_of(client: TestClient) -> Any:
    return client.app.state.store.engine  # type: ignore[attr-defined]


def count(client: TestClient, model: Any) -> int:
    with engine_of(client).connect() as c:
        return int(c.execute(select(func.count()).select_from(model)).scalar_one())


def test_same_event_three_times_is_one_row_and_one_chain_entry(
    client: TestClient, draft: dict[str, Any]
) -> None:
    e = event(draft, "shown", timings={"ms_to_first_edit": 1200})
    statuses = [client.post("/api/v1/feedback/events", json=e).status_code for _ in range(3)]
    assert statuses == [201, 200, 200]
    # the draft's entry, then the event's
    assert count(client, FeedbackEvent) == 1 and count(client, AuditEntry) == 2


def test_same_id_with_other_content_is_a_conflict(client: TestClient, draft: dict[str, Any]) -> None:
    e = event(draft, "discarded", reason="hors sujet")
    assert client.post("/api/v1/feedback/events", json=e).status_code == 201
    res = client.post("/api/v1/feedback/events", json={**e, "reason": "trop long"})
    assert res.status_code == 409 and "event" in res.json()["detail"]
    assert count(client, FeedbackEvent) == 1


@pytest.mark.parametrize(
    ("patch", "fragment"),
    [
        ({"agent_id": "agent-1"}, "vient de votre jeton"),
        ({"type": "clicked"}, "type"),
        ({"event_id": "nope"}, "event_id"),
        ({"surprise": 1}, "surprise"),
        ({"type": "verdict", "value": "down"}, "raison"),
        ({"type": "sent"}, "final_text"),
        ({"timings": {"ms_to_send": -5}}, "ms_to_send"),
    ],
)
def test_malformed_events_are_422_and_store_nothing(
    client: TestClient, draft: dict[str, Any], patch: dict[str, Any], fragment: str
) -> None:
    res = client.post("/api/v1/feedback/events", json={**event(draft), **patch})
    assert res.status_code == 422 and fragment in res.json()["detail"]
    assert count(client, FeedbackEvent) == 0


def test_unknown_draft_is_404(client: TestClient, draft: dict[str, Any]) -> None:
    e = event(draft) | {"draft_id": str(uuid.uuid4())}
    assert client.post("/api/v1/feedback/events", json=e).status_code == 404
    assert count(client, FeedbackEvent) == 0


def test_sent_derives_distance_and_outcome_and_masks_text(client: TestClient, draft: dict[str, Any]) -> None:
    stored = client.get(f"/api/v1/drafts/{draft['draft_id']}").json()["text"]
    same = client.post("/api/v1/feedback/events", json=event(draft, "sent", final_text=stored)).json()
    assert same["outcome"] == "accepted_as_is"
    edited = client.post(
        "/api/v1/feedback/events",
        json=event(
            draft,
            "sent",
            final_text=stored + "\n\nJe reste à votre disposition pour en parler "
            "lors d'un rendez-vous cette semaine.",
        ),
    ).json()
    assert edited["outcome"] == "edited"
    rewritten = client.post(
        "/api/v1/feedback/events",
        json=event(
            draft, "sent", final_text="Voir avec M. Dupont au 06 12 34 56 78, jean.dupont@exemple.fr."
        ),
    ).json()
    assert rewritten["outcome"] == "rewritten"
    with engine_of(client).connect() as c:
        dump = " ".join(str(r) for r in c.execute(text("SELECT * FROM feedback_events")))
        dump += " ".join(str(r) for r in c.execute(text("SELECT * FROM audit_log")))
    assert "Dupont" not in dump and "06 12 34 56 78" not in dump and "jean.dupont" not in dump
    assert "agent-1" not in dump and TOKENS["agent"] not in dump  # only the pseudonym is stored


def test_batch_reports_a_status_per_event(client: TestClient, draft: dict[str, Any]) -> None:
    ok, dup = event(draft, "shown"), event(draft, "edit_started")
    client.post("/api/v1/feedback/events", json=dup)
    res = client.post(
        "/api/v1/feedback/events/batch",
        json={
            "events": [
                ok,
                dup,
                {**event(draft), "type": "clicked"},
                event(draft) | {"draft_id": str(uuid.uuid4())},
            ]
        },
    )
    assert [a["status"] for a in res.json()] == [201, 200, 422, 404]
    assert count(client, FeedbackEvent) == 2
    too_many = client.post("/api/v1/feedback/events/batch", json={"events": [event(draft)] * 101})
    assert too_many.status_code == 422 and count(client, FeedbackEvent) == 2
    assert too_many.json()["code"] == "invalid_request" and "100" in too_many.json()["detail"]


def test_fifty_concurrent_posters_store_every_event_once(client: TestClient, draft: dict[str, Any]) -> None:
    events = [event(draft, "sources_opened", duration_ms=i * 10) for i in range(50)]
    statuses: list[int] = []

    def post(e: dict[str, Any]) -> None:
        for _ in range(2):  # every poster also retries once: duplicates must not double-store
            statuses.append(client.post("/api/v1/feedback/events", json=e).status_code)

    threads = [threading.Thread(target=post, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 50 + [201] * 50
    assert count(client, FeedbackEvent) == 50 == count(client, AuditEntry) - 1  # and the draft's entry
    assert verify(engine_of(client)).ok


def test_roles(client: TestClient, draft: dict[str, Any]) -> None:
    assert client.post("/api/v1/feedback/events", json=event(draft), headers=bearer("rep")).status_code == 403
    assert client.get("/api/v1/audit/stats", headers=bearer("agent")).status_code == 403
    assert client.get("/api/v1/audit/stats", headers=bearer("rep")).status_code == 200


def test_a_writer_descheduled_after_its_commit_does_not_fork_the_chain(
    client: TestClient, draft: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cached chain head is updated before the process's writer lock is released: a thread
    paused between its commit and that update (a busy machine) must not let the next writers start
    from an old head — before the fix, 40 posters got one 503 (three collisions in a row) here, and
    the load bench one 503 in 1,466 events on a loaded machine."""
    from feedback import chain

    real = chain.ChainHead.committed

    def late(self: chain.ChainHead, head: tuple[int, str]) -> None:
        time.sleep(0.02)  # the pause a loaded 2-core machine gives a thread, made certain
        real(self, head)

    monkeypatch.setattr(chain.ChainHead, "committed", late)
    statuses: list[int] = []

    def post(e: dict[str, Any]) -> None:
        statuses.append(client.post("/api/v1/feedback/events", json=e).status_code)

    threads = [threading.Thread(target=post, args=(event(draft, "shown"),)) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] * 40, Counter(statuses)
    assert count(client, FeedbackEvent) == 40 == count(client, AuditEntry) - 1
    assert verify(engine_of(client)).ok
