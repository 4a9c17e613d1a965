"""Identity from the credential, never from the client (issue 12, part 4).

The agent of a draft and of an event is the token's subject: a body naming an agent is refused,
another agent's draft is 404 whatever the route, tokens of one subject share one pseudonym, and one
token can no longer pose as five agents to lift the "< 5 agents" suppression."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select, update

from assistant.app import create_app
from assistant.auth import AuthSettings, TokenBook, derived_subject
from assistant.settings import Settings
from feedback.models import DraftRecord, FeedbackEvent
from feedback.stats import weekly_stats
from tests.fixtures.app import AGENT_1_SECOND_TOKEN, agent_bearer, bearer

QUESTION = "Combien de jours de congés payés par mois ?"
EVENTS, BATCH = "/api/v1/feedback/events", "/api/v1/feedback/events/batch"
REFUSED = "vient de votre jeton"
SECOND_TOKEN = {"Authorization": f"Bearer {AGENT_1_SECOND_TOKEN}"}


@pytest.fixture
def client(app_settings: Settings, db_url: str) -> Iterator[TestClient]:
    settings = app_settings.model_copy(update={"database_url": db_url})
    with TestClient(create_app(settings), headers=bearer()) as c:  # agent 1 unless told otherwise
        yield c


def new_draft(client: TestClient, headers: dict[str, str] | None = None) -> str:
    res = client.post("/api/v1/drafts", json={"question": QUESTION, "topic": "congés"}, headers=headers)
    assert res.status_code == 201, res.text
    return str(res.json()["draft_id"])


def event(draft_id: str, kind: str = "shown", **fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": kind, **fields}


def stored_pseudonyms(client: TestClient) -> list[str]:
    with client.app.state.store.engine.connect() as c:  # type: ignore[attr-defined]
        return list(c.execute(select(FeedbackEvent.agent_pseudonym)).scalars())


# -- the client cannot name an agent -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["shown", "sent", "verdict", "discarded", "sources_opened"])
def test_every_event_route_refuses_a_client_agent_id(client: TestClient, kind: str) -> None:
    draft_id = new_draft(client)
    extra: dict[str, dict[str, Any]] = {
        "sent": {"final_text": "Bonjour."},
        "verdict": {"value": "up"},
        "discarded": {"reason": "hors sujet"},
        "sources_opened": {"duration_ms": 10},
    }
    fields = extra.get(kind, {})
    body = event(draft_id, kind, agent_id="agent-1", **fields)  # even one's own subject

    single = client.post(EVENTS, json=body)
    assert single.status_code == 422 and REFUSED in single.json()["detail"]
    assert "agent_id is taken from your credential" in single.json()["detail"]
    batch = client.post(BATCH, json={"events": [body, event(draft_id, kind, **fields)]})
    assert batch.status_code == 200
    refused, accepted = batch.json()
    assert refused["status"] == 422 and REFUSED in refused["detail"]
    assert accepted["status"] == 201  # the same event without the field is fine
    assert len(stored_pseudonyms(client)) == 1


# -- drafts are owned ---------------------------------------------------------------------------------


def test_a_second_agent_cannot_read_regenerate_or_write_into_the_first_agents_draft(
    client: TestClient,
) -> None:
    mine = new_draft(client)
    other = agent_bearer(2)

    read = client.get(f"/api/v1/drafts/{mine}", headers=other)
    assert read.status_code == 404 and "brouillon introuvable" in read.json()["detail"]
    for path in ("/api/v1/drafts", "/api/v1/drafts/stream"):
        res = client.post(path, json={"question": QUESTION, "regenerate_of": mine}, headers=other)
        assert res.status_code == 404 and "brouillon introuvable" in res.json()["detail"], path
    single = client.post(EVENTS, json=event(mine), headers=other)
    assert single.status_code == 404 and "brouillon introuvable" in single.json()["detail"]
    batch = client.post(BATCH, json={"events": [event(mine, "discarded", reason="x")]}, headers=other)
    assert [a["status"] for a in batch.json()] == [404]
    # Indistinguishable from an id that does not exist: nothing says the draft is there.
    unknown = client.get(f"/api/v1/drafts/{uuid.uuid4()}", headers=other).json()["detail"]
    assert read.json()["detail"].split(" / ")[1] == unknown.split(" / ")[1]
    assert stored_pseudonyms(client) == []

    # The owner still can do all of it.
    assert client.get(f"/api/v1/drafts/{mine}").status_code == 200
    assert client.post(EVENTS, json=event(mine)).status_code == 201
    again = client.post("/api/v1/drafts", json={"question": QUESTION, "regenerate_of": mine})
    assert again.status_code == 201 and again.json()["regenerated_from"] == mine


def test_an_event_id_replayed_by_another_agent_is_404_not_a_conflict(client: TestClient) -> None:
    mine = new_draft(client)
    body = event(mine)
    assert client.post(EVENTS, json=body).status_code == 201
    assert client.post(EVENTS, json=body, headers=agent_bearer(2)).status_code == 404


def test_two_tokens_of_one_agent_share_one_pseudonym_and_the_drafts(client: TestClient) -> None:
    draft_id = new_draft(client)
    assert client.get(f"/api/v1/drafts/{draft_id}", headers=SECOND_TOKEN).status_code == 200
    assert client.post(EVENTS, json=event(draft_id)).status_code == 201
    assert client.post(EVENTS, json=event(draft_id, "edit_started"), headers=SECOND_TOKEN).status_code == 201
    (pseudonym,) = set(stored_pseudonyms(client))
    assert pseudonym == client.app.state.events.pseudonym("agent-1")  # type: ignore[attr-defined]
    with client.app.state.store.engine.connect() as c:  # type: ignore[attr-defined]
        owner = c.execute(select(DraftRecord.agent_pseudonym).where(DraftRecord.id == draft_id)).scalar_one()
    assert owner == pseudonym and "agent-1" not in owner


def test_admin_reads_any_draft_but_writes_only_into_their_own(client: TestClient) -> None:
    mine = new_draft(client)
    admin = bearer("admin")
    assert client.get(f"/api/v1/drafts/{mine}", headers=admin).status_code == 200
    assert client.post(EVENTS, json=event(mine), headers=admin).status_code == 404
    regenerate = {"question": QUESTION, "regenerate_of": mine}
    assert client.post("/api/v1/drafts", json=regenerate, headers=admin).status_code == 404
    own = new_draft(client, admin)
    assert client.post(EVENTS, json=event(own), headers=admin).status_code == 201
    assert client.get(f"/api/v1/drafts/{own}").status_code == 404  # and agents cannot read the admin's


def test_drafts_written_before_owners_existed_are_admin_only(client: TestClient) -> None:
    legacy = new_draft(client)
    with client.app.state.store.engine.begin() as c:  # type: ignore[attr-defined]
        c.execute(update(DraftRecord).where(DraftRecord.id == legacy).values(agent_pseudonym=None))
    assert client.get(f"/api/v1/drafts/{legacy}").status_code == 404
    assert client.get(f"/api/v1/drafts/{legacy}", headers=bearer("admin")).status_code == 200
    for headers in (bearer(), bearer("admin")):
        assert client.post(EVENTS, json=event(legacy), headers=headers).status_code == 404


# -- k-anonymity -----------------------------------------------------------------------------------


def test_five_invented_ids_from_one_token_cannot_lift_the_suppression(client: TestClient) -> None:
    drafts = [new_draft(client) for _ in range(5)]
    for n, draft_id in enumerate(drafts):  # the old attack: one token, five invented agent ids
        res = client.post(EVENTS, json=event(draft_id, agent_id=f"invented-{n}"))
        assert res.status_code == 422 and REFUSED in res.json()["detail"]
        forged = client.post(BATCH, json={"events": [event(draft_id, agent_id=f"x{n}")]})
        assert forged.json()[0]["status"] == 422
        assert client.post(EVENTS, json=event(draft_id)).status_code == 201
    assert len(set(stored_pseudonyms(client))) == 1  # one token → one pseudonym, whatever was sent

    rows = client.get("/api/v1/audit/stats", headers=bearer("rep")).json()
    assert rows and all(r["suppressed"] and r["agents"] == "< 5" for r in rows)
    (row,) = weekly_stats(client.app.state.store.engine)  # type: ignore[attr-defined]
    assert row["suppressed"]


def test_five_real_agents_do_lift_it(client: TestClient) -> None:
    for n in range(1, 6):
        draft_id = new_draft(client, agent_bearer(n))
        assert client.post(EVENTS, json=event(draft_id), headers=agent_bearer(n)).status_code == 201
    (row,) = client.get("/api/v1/audit/stats", headers=bearer("rep")).json()
    assert row["suppressed"] is False and row["agents"] == 5
    with client.app.state.store.engine.connect() as c:  # type: ignore[attr-defined]
        owners = c.execute(select(func.count(func.distinct(DraftRecord.agent_pseudonym)))).scalar_one()
    assert owners == 5


# -- credentials -----------------------------------------------------------------------------------


def test_a_token_nobody_named_is_its_own_subject() -> None:
    book = TokenBook.from_settings(
        AuthSettings(tokens={"agent": ["tok-a", "tok-b", "tok-c"]}, subjects={"m.martin": ["tok-c"]}),  # type: ignore[list-item]
        "test",
    )
    a, b, c = (book.identify(t) for t in ("tok-a", "tok-b", "tok-c"))
    assert a is not None and b is not None and c is not None
    assert a.subject == derived_subject("tok-a") != b.subject
    assert a.subject.startswith("token:") and "tok-a" not in a.subject
    assert book.identify("tok-a") == a  # stable
    assert c.subject == "m.martin" and c.role == "agent"
    assert book.identify("tok-z") is None


def test_subjects_must_name_known_tokens_and_one_subject_per_token() -> None:
    with pytest.raises(ValidationError, match="has no role"):
        AuthSettings(tokens={"agent": ["tok-a"]}, subjects={"x": ["tok-b"]})  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="named for"):
        AuthSettings(tokens={"agent": ["tok-a"]}, subjects={"x": ["tok-a"], "y": ["tok-a"]})  # type: ignore[list-item]


def test_prod_still_refuses_short_tokens_with_subjects() -> None:
    strong = {role: ["s" * 40] for role in ("lead", "rep", "admin")}
    with pytest.raises(ValueError, match="role 'agent'"):
        Settings(env="prod", auth={"tokens": {**strong, "agent": ["short"]}, "subjects": {"a": ["short"]}})  # type: ignore[arg-type]
    ok = Settings(env="prod", auth={"tokens": {**strong, "agent": ["a" * 40]}, "subjects": {"a": ["a" * 40]}})  # type: ignore[arg-type]
    assert ok.env == "prod"


def test_dev_tokens_come_with_one_subject_per_agent_token(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "dev-tokens.json"
    book = TokenBook.from_settings(AuthSettings(dev_token_file=path), "dev")
    stored = json.loads(path.read_text())
    agent_tokens = stored["agent"]  # role keys at the top, as the README's first commands read them
    assert len(agent_tokens) == 2 and stored["subjects"] == {
        f"dev-agent-{i}": [t] for i, t in enumerate(agent_tokens, start=1)
    }
    assert [book.identify(t).subject for t in agent_tokens] == ["dev-agent-1", "dev-agent-2"]  # type: ignore[union-attr]
    assert "dev-agent-2" in capsys.readouterr().out
    # A file from before subjects existed (role → tokens only) still loads, with dev subjects.
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"agent": ["dev-agent-old"], "admin": ["dev-admin-old"]}))
    legacy = TokenBook.from_settings(AuthSettings(dev_token_file=old), "dev")
    assert legacy.identify("dev-agent-old").subject == "dev-agent-1"  # type: ignore[union-attr]
    assert legacy.identify("dev-admin-old").role == "admin"  # type: ignore[union-attr]
