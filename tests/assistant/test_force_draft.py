"""« Proposer quand même »: after an abstention the agent may ask for a draft anyway. It is drafted from
the best passages, marked forced, at the lowest confidence level, and linked to the abstention. Never
after a routing, a draft or a control question; every refusal comes before the stream starts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.app import create_app
from assistant.settings import Settings
from feedback.models import DraftRecord, FeedbackEvent
from tests.fixtures.app import agent_bearer, bearer

# Nothing in the small corpus answers it; with a high threshold every question abstains anyway.
UNCOVERED = "Quelle est la durée du préavis pour un salarié qui démissionne d'un CDI de cadre ?"
SENSITIVE = "Mon chef me harcèle tous les jours, je n'en peux plus."
COVERED = "Combien de jours de congés payés acquiert-on par mois ?"
FORCED_REASON = "Brouillon demandé malgré une couverture insuffisante"


def client_with(settings: Settings, *, min_confidence: float, control_share: float = 0.0) -> TestClient:
    decision = settings.decision.model_copy(update={"min_confidence": min_confidence})
    drafting = settings.drafting.model_copy(update={"control_share": control_share})
    app = create_app(settings.model_copy(update={"decision": decision, "drafting": drafting}))
    return TestClient(app, headers=bearer())


@pytest.fixture
def strict(app_settings: Settings) -> Iterator[TestClient]:
    """Every question the lexicon does not route abstains."""
    with client_with(app_settings, min_confidence=0.99) as c:
        yield c


@pytest.fixture
def lenient(app_settings: Settings) -> Iterator[TestClient]:
    """The same store, the usual threshold: the covered question is drafted."""
    with client_with(app_settings, min_confidence=0.3) as c:
        yield c


def ask(client: TestClient, question: str, **fields: Any) -> dict[str, Any]:
    res = client.post("/api/v1/drafts", json={"question": question, **fields})
    assert res.status_code == 201, res.text
    body: dict[str, Any] = res.json()
    return body


def stored(client: TestClient, draft_id: str) -> DraftRecord:
    with Session(client.app.state.store.engine) as s:  # type: ignore[attr-defined]
        record = s.get(DraftRecord, draft_id)
        assert record is not None
        return record


def sse(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_a_draft_is_proposed_anyway_after_an_abstention(strict: TestClient) -> None:
    abstained = ask(strict, UNCOVERED)
    assert abstained["decision"]["kind"] == "abstained" and abstained["text"] is None
    assert abstained["forced"] is False

    forced = ask(strict, UNCOVERED, force_draft_of=abstained["draft_id"])

    assert forced["decision"]["kind"] == "drafted"
    assert FORCED_REASON in forced["decision"]["reason"]
    assert forced["decision"]["level"] == "faible"
    assert "vérifiez chaque phrase" in forced["decision"]["level_reason"]
    assert forced["text"] and "[1]" in forced["text"] and forced["citations"]
    assert forced["forced"] is True and forced["arm"] == "assisted"
    assert forced["regenerated_from"] == abstained["draft_id"]
    record = stored(strict, forced["draft_id"])
    assert record.forced is True and record.confidence_level == "faible"
    assert record.regenerated_from == abstained["draft_id"]
    assert stored(strict, abstained["draft_id"]).forced is False
    assert strict.get(f"/api/v1/drafts/{forced['draft_id']}").json()["forced"] is True


def test_the_forced_draft_streams_like_any_draft(strict: TestClient) -> None:
    abstained = ask(strict, UNCOVERED)

    res = strict.post(
        "/api/v1/drafts/stream", json={"question": UNCOVERED, "force_draft_of": abstained["draft_id"]}
    )

    assert res.status_code == 200 and res.headers["content-type"].startswith("text/event-stream")
    events = sse(res.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "passages" and "token" in kinds and kinds[-1] == "final"
    assert events[0][1]["decision"] == "drafted" and FORCED_REASON in events[0][1]["reason"]
    final = events[-1][1]
    assert final["forced"] is True and final["decision"]["level"] == "faible"


def test_a_routed_question_gets_no_draft_even_on_request(strict: TestClient) -> None:
    routed = ask(strict, SENSITIVE)
    assert routed["decision"]["kind"] == "routed_to_human"

    for path in ("/api/v1/drafts", "/api/v1/drafts/stream"):
        res = strict.post(path, json={"question": SENSITIVE, "force_draft_of": routed["draft_id"]})
        assert res.status_code == 409, res.text
        assert res.headers["content-type"].startswith("application/json")  # refused before streaming
        assert "situation sensible : pas de brouillon automatique, même sur demande" in res.json()["detail"]


def test_a_question_that_is_now_routed_stays_routed(strict: TestClient) -> None:
    abstained = ask(strict, UNCOVERED)

    again = ask(strict, SENSITIVE, force_draft_of=abstained["draft_id"])

    assert again["decision"]["kind"] == "routed_to_human" and again["text"] is None
    assert again["forced"] is False and stored(strict, again["draft_id"]).forced is False


def test_a_drafted_question_is_regenerated_not_forced(lenient: TestClient) -> None:
    drafted = ask(lenient, COVERED)
    assert drafted["decision"]["kind"] == "drafted"

    for path in ("/api/v1/drafts", "/api/v1/drafts/stream"):
        res = lenient.post(path, json={"question": COVERED, "force_draft_of": drafted["draft_id"]})
        assert res.status_code == 409, res.text
        assert "Régénérer" in res.json()["detail"]


def test_a_control_question_cannot_be_forced(app_settings: Settings) -> None:
    with client_with(app_settings, min_confidence=0.99, control_share=1.0) as control:
        original = ask(control, UNCOVERED)
    assert original["arm"] == "control"
    with client_with(app_settings, min_confidence=0.99) as strict:
        for path in ("/api/v1/drafts", "/api/v1/drafts/stream"):
            res = strict.post(path, json={"question": UNCOVERED, "force_draft_of": original["draft_id"]})
            assert res.status_code == 409, res.text
            assert "tirée au sort" in res.json()["detail"]


def test_another_agents_abstention_or_an_unknown_draft_is_not_found(strict: TestClient) -> None:
    abstained = ask(strict, UNCOVERED)

    for draft_id in (abstained["draft_id"], str(uuid.uuid4())):
        for path in ("/api/v1/drafts", "/api/v1/drafts/stream"):
            res = strict.post(
                path, json={"question": UNCOVERED, "force_draft_of": draft_id}, headers=agent_bearer(2)
            )
            assert res.status_code == 404, res.text
    # The owner still can.
    assert ask(strict, UNCOVERED, force_draft_of=abstained["draft_id"])["forced"] is True


def test_force_and_regenerate_together_are_refused(strict: TestClient) -> None:
    abstained = ask(strict, UNCOVERED)
    body = {
        "question": UNCOVERED,
        "force_draft_of": abstained["draft_id"],
        "regenerate_of": abstained["draft_id"],
    }

    for path in ("/api/v1/drafts", "/api/v1/drafts/stream"):
        res = strict.post(path, json=body)
        assert res.status_code == 422, res.text
        assert "exclusive" in res.json()["detail"]


def test_a_reply_sent_after_an_abstention_is_no_draft_and_a_forced_one_is_compared(
    strict: TestClient,
) -> None:
    abstained = ask(strict, UNCOVERED)
    forced = ask(strict, UNCOVERED, force_draft_of=abstained["draft_id"])

    def sent(draft_id: str, text: str) -> dict[str, Any]:
        event = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "sent", "final_text": text}
        res = strict.post("/api/v1/feedback/events", json=event)
        assert res.status_code == 201, res.text
        body: dict[str, Any] = res.json()
        return body

    sent(abstained["draft_id"], "Bonjour, je me renseigne et reviens vers vous.")
    sent(forced["draft_id"], forced["text"])
    with Session(strict.app.state.store.engine) as s:  # type: ignore[attr-defined]
        outcomes = dict(s.execute(select(FeedbackEvent.draft_id, FeedbackEvent.outcome)).tuples().all())
    assert outcomes == {abstained["draft_id"]: "no_draft", forced["draft_id"]: "accepted_as_is"}
