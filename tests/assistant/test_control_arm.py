"""The randomised control arm and "Régénérer": drawn by the server, recorded on the draft, no way out
of the draw by asking again; the `sent` of a control question is the unassisted baseline."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.app import create_app
from assistant.services.drafting import DraftingService, DraftRequest
from assistant.settings import Settings
from feedback.models import DraftRecord, FeedbackEvent
from feedback.stats import weekly_stats
from tests.fixtures.app import agent_bearer, bearer

QUESTION = "Combien de jours de congés payés acquiert-on par mois ?"


def client_with(settings: Settings, share: float) -> TestClient:
    drafting = settings.drafting.model_copy(update={"control_share": share})
    return TestClient(create_app(settings.model_copy(update={"drafting": drafting})), headers=bearer())


@pytest.fixture
def control_client(app_settings: Settings) -> Iterator[TestClient]:
    with client_with(app_settings, 1.0) as c:
        yield c


@pytest.fixture
def assisted_client(app_settings: Settings) -> Iterator[TestClient]:
    with client_with(app_settings, 0.0) as c:
        yield c


def sse(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_a_control_question_gets_passages_and_no_draft(control_client: TestClient) -> None:
    res = control_client.post("/api/v1/drafts", json={"question": QUESTION})

    assert res.status_code == 201, res.text
    draft = res.json()
    assert draft["arm"] == "control"
    assert draft["text"] is None and draft["citations"] == [] and draft["drafter"] == "none"
    assert draft["passages"] and draft["passages"][0]["doc_id"] == "t:conges"
    # What the system would have done is still recorded, for the comparison between arms.
    assert draft["decision"]["kind"] == "drafted"
    stored = control_client.get(f"/api/v1/drafts/{draft['draft_id']}").json()
    assert stored["arm"] == "control"


def test_the_stream_of_a_control_question_has_no_token(control_client: TestClient) -> None:
    res = control_client.post("/api/v1/drafts/stream", json={"question": QUESTION})

    events = sse(res.text)
    assert [kind for kind, _ in events] == ["passages", "final"]
    assert events[0][1]["arm"] == "control" and events[0][1]["passages"]
    assert events[1][1]["arm"] == "control" and events[1][1]["text"] is None


def test_a_control_question_cannot_be_regenerated(control_client: TestClient) -> None:
    draft = control_client.post("/api/v1/drafts", json={"question": QUESTION}).json()

    for path in ("/api/v1/drafts", "/api/v1/drafts/stream"):
        res = control_client.post(path, json={"question": QUESTION, "regenerate_of": draft["draft_id"]})
        assert res.status_code == 409, res.text
        assert res.json()["code"] == "conflict" and "tirée au sort" in res.json()["detail"]


def test_a_regeneration_stays_assisted_and_points_to_the_draft_it_replaces(app_settings: Settings) -> None:
    with client_with(app_settings, 0.0) as c:
        first = c.post("/api/v1/drafts", json={"question": QUESTION}).json()
    with client_with(app_settings, 1.0) as c:  # every fresh question would now be a control one
        again = c.post("/api/v1/drafts", json={"question": QUESTION, "regenerate_of": first["draft_id"]})

    assert again.status_code == 201, again.text
    assert again.json()["arm"] == "assisted" and again.json()["text"]
    assert again.json()["regenerated_from"] == first["draft_id"]


def test_regenerating_an_unknown_draft_is_404(assisted_client: TestClient) -> None:
    res = assisted_client.post(
        "/api/v1/drafts/stream", json={"question": QUESTION, "regenerate_of": str(uuid.uuid4())}
    )
    assert res.status_code == 404 and "introuvable" in res.json()["detail"]


def test_the_draw_follows_the_configured_share(app_settings: Settings) -> None:
    client = TestClient(create_app(app_settings))
    with client:
        state = client.app.state  # type: ignore[attr-defined]
        drafting = state.drafting
        settings = app_settings.model_copy(
            update={"drafting": app_settings.drafting.model_copy(update={"control_share": 0.10})}
        )
        service = DraftingService(
            settings, drafting.knowledge, drafting.store, drafting.telemetry, rng=random.Random(7)
        )
        arms = [service.assign_arm(DraftRequest(QUESTION)) for _ in range(4000)]
        assert service.assign_arm(DraftRequest(QUESTION, arm="assisted")) == "assisted"
    share = arms.count("control") / len(arms)
    assert 0.085 < share < 0.115  # 10 % ± 3.2 standard deviations


def test_sent_on_a_control_question_is_the_unassisted_baseline(app_settings: Settings) -> None:
    body = {"question": QUESTION, "topic": "congés"}
    agents = range(1, 6)  # five agents, each answering their own two questions (one per arm)
    with client_with(app_settings, 1.0) as c:
        controls = [c.post("/api/v1/drafts", json=body, headers=agent_bearer(n)).json() for n in agents]
    with client_with(app_settings, 0.0) as c:
        for i, n in enumerate(agents):
            assisted = c.post("/api/v1/drafts", json=body, headers=agent_bearer(n)).json()
            for draft, ms in ((controls[i], 90_000 + i), (assisted, 40_000 + i)):
                res = c.post(
                    "/api/v1/feedback/events",
                    json={
                        "event_id": str(uuid.uuid4()),
                        "draft_id": draft["draft_id"],
                        "type": "sent",
                        "final_text": "Bonjour, vous acquérez 2,5 jours ouvrables par mois.",
                        "timings": {"ms_to_send": ms, "active_edit_ms": 20_000},
                    },
                    headers=agent_bearer(n),
                )
                assert res.status_code == 201, res.text
        engine = c.app.state.store.engine  # type: ignore[attr-defined]

    with Session(engine) as s:
        outcomes = dict(
            s.execute(
                select(DraftRecord.arm, FeedbackEvent.outcome)
                .join(DraftRecord, DraftRecord.id == FeedbackEvent.draft_id)
                .group_by(DraftRecord.arm, FeedbackEvent.outcome)
            ).all()
        )
        distances = s.scalar(
            select(func.count())
            .select_from(FeedbackEvent)
            .where(FeedbackEvent.draft_id.in_([d["draft_id"] for d in controls]))
            .where(FeedbackEvent.edit_distance_char.is_not(None))
        )
    assert outcomes["control"] == "unassisted" and outcomes["assisted"] != "unassisted"
    assert distances == 0  # no draft, so no edit distance
    (row,) = weekly_stats(engine)
    assert row["unassisted"] == 5
    assert row["median_ms_to_send_control"] == 90_002 and row["median_ms_to_send"] == 40_002
