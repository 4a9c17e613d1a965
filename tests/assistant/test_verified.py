"""Verified answers — the loop closes: a reply sent as-is is a candidate; a second agent's send on a
near-identical question makes it verified; a third question gets it as its draft, labelled, with its
sources — unless a source changed, a reuse got a thumbs-down, the question is routed or in the
control arm. Leads list, promote and retire; agents get 403 there and never see who sent what."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from knowledge_base.ingest import ingest
from tests.fixtures.app import agent_bearer, bearer
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl

Q1 = "Combien de jours de congés payés acquiert-on par mois ?"
Q2 = "Combien de jours de congés payés acquiert-on chaque mois ?"
Q3 = "combien de jour de congé payés acquiert-on par mois"  # the same question, typed differently
ONE_WORD_MORE = "Combien de jours de congés payés acquiert-on par mois de travail à temps partiel ?"
SENSITIVE = "Mon chef me harcèle tous les jours, je n'en peux plus."
LABEL = "Réponse déjà validée par l'équipe le "


def _settings(app_settings: Settings, control_share: float = 0.0) -> Settings:
    verified = app_settings.verified.model_copy(update={"group_similarity": 0.8, "reuse_similarity": 0.8})
    drafting = app_settings.drafting.model_copy(update={"control_share": control_share})
    return app_settings.model_copy(update={"verified": verified, "drafting": drafting})


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(app_settings))) as c:
        yield c


def ask(client: TestClient, question: str, agent: int = 1) -> dict[str, Any]:
    res = client.post("/api/v1/drafts", json={"question": question}, headers=agent_bearer(agent))
    assert res.status_code == 201, res.text
    body: dict[str, Any] = res.json()
    return body


def event(client: TestClient, draft_id: str, agent: int, **fields: Any) -> None:
    body = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, **fields}
    res = client.post("/api/v1/feedback/events", json=body, headers=agent_bearer(agent))
    assert res.status_code == 201, res.text


def send_as_is(client: TestClient, question: str, agent: int) -> dict[str, Any]:
    draft = ask(client, question, agent)
    assert draft["decision"]["kind"] == "drafted" and draft["text"], draft
    event(client, draft["draft_id"], agent, type="sent", final_text=draft["text"])
    return draft


def answers(client: TestClient, status: str | None = None) -> list[dict[str, Any]]:
    res = client.get(
        "/api/v1/verified-answers", params={"status": status} if status else {}, headers=bearer("lead")
    )
    assert res.status_code == 200, res.text
    found: list[dict[str, Any]] = res.json()
    return found


def verify(client: TestClient) -> dict[str, Any]:
    send_as_is(client, Q1, 1)
    send_as_is(client, Q2, 2)
    (answer,) = answers(client)
    return answer


def test_a_reply_sent_as_is_is_a_candidate(client: TestClient) -> None:
    send_as_is(client, Q1, 1)

    (answer,) = answers(client)
    assert answer["status"] == "candidate" and answer["agents"] == 1 and answer["sends"] == 1
    assert answer["citations"] and answer["sources_current"] is True
    assert "agent" not in json.dumps(answer).replace('"agents"', "")  # counts, never pseudonyms


def test_a_rewritten_reply_is_not_a_candidate(client: TestClient) -> None:
    draft = ask(client, Q1)
    event(client, draft["draft_id"], 1, type="sent", final_text="Bonjour, voyez la convention collective.")
    assert answers(client) == []


def test_a_second_agents_send_verifies_and_a_third_question_reuses_it(client: TestClient) -> None:
    answer = verify(client)
    assert answer["status"] == "verified" and answer["agents"] == 2 and answer["verified_by"] == "agents"

    third = ask(client, Q3, 3)

    assert third["drafter"] == "verified"
    assert third["model"].startswith(f"verified:{answer['id']}:")  # verified:<id>:<YYYY-MM-DD>
    assert third["decision"]["level_reason"].startswith(LABEL)
    assert {c["doc_id"] for c in third["citations"]} == {c["doc_id"] for c in answer["citations"]}
    assert third["text"] == answer["text"] or third["text"].startswith(answer["text"][:40])
    assert answers(client)[0]["reuses"] == 1


def test_a_question_with_other_content_words_is_not_reused(client: TestClient) -> None:
    """Close in vector space (the test embedder: bag of words) is not the same question: one more
    condition (« à temps partiel ») may change the answer."""
    verify(client)
    assert ask(client, ONE_WORD_MORE, 3)["drafter"] != "verified"
    assert ask(client, Q3, 3)["drafter"] == "verified"


def test_the_same_agent_twice_does_not_verify(client: TestClient) -> None:
    send_as_is(client, Q1, 1)
    send_as_is(client, Q2, 1)
    (answer,) = answers(client)
    assert answer["status"] == "candidate" and answer["agents"] == 1 and answer["sends"] == 2


def test_not_reused_after_a_source_changed(
    client: TestClient, app_settings: Settings, corpus_file: Path
) -> None:
    verify(client)
    changed = [
        {**d, "text": d["text"].replace("2,5 jours", "deux jours et demi")} if d["id"] == "t:conges" else d
        for d in SMALL_CORPUS
    ]
    write_jsonl(corpus_file, changed)
    ingest(app_settings.kb)

    again = ask(client, Q3, 3)

    assert again["drafter"] != "verified"
    (answer,) = answers(client)
    assert answer["status"] == "retired" and answer["retired_reason"] == "source_changed"
    promote = client.post(f"/api/v1/verified-answers/{answer['id']}/promote", headers=bearer("lead"))
    assert promote.status_code == 409


def test_a_thumbs_down_on_a_reuse_retires_it(client: TestClient) -> None:
    verify(client)
    reuse = ask(client, Q3, 3)
    assert reuse["drafter"] == "verified"

    event(client, reuse["draft_id"], 3, type="verdict", value="down", reasons=["wrong"])

    assert answers(client)[0]["retired_reason"] == "thumbs_down"
    assert ask(client, Q3, 4)["drafter"] != "verified"


def test_a_thumbs_down_before_the_send_keeps_it_out(client: TestClient) -> None:
    draft = ask(client, Q1)
    event(client, draft["draft_id"], 1, type="verdict", value="down", reasons=["tone"])
    event(client, draft["draft_id"], 1, type="sent", final_text=draft["text"])
    assert answers(client) == []


def test_a_lead_promotes_and_retires(client: TestClient) -> None:
    send_as_is(client, Q1, 1)
    (candidate,) = answers(client, "candidate")

    res = client.post(f"/api/v1/verified-answers/{candidate['id']}/promote", headers=bearer("lead"))
    assert (
        res.status_code == 200 and res.json()["status"] == "verified" and res.json()["verified_by"] == "lead"
    )
    assert ask(client, Q3, 2)["drafter"] == "verified"

    res = client.post(f"/api/v1/verified-answers/{candidate['id']}/retire", headers=bearer("lead"))
    assert res.status_code == 200 and res.json()["retired_reason"] == "lead"
    assert ask(client, Q3, 2)["drafter"] != "verified"
    assert client.post("/api/v1/verified-answers/nope/retire", headers=bearer("lead")).status_code == 404


@pytest.mark.parametrize("role", ["agent", "rep"])
def test_agents_and_reps_get_403_on_the_leads_api(client: TestClient, role: str) -> None:
    assert client.get("/api/v1/verified-answers", headers=bearer(role)).status_code == 403
    assert client.post("/api/v1/verified-answers/x/promote", headers=bearer(role)).status_code == 403


def test_never_reused_for_a_routed_question(client: TestClient) -> None:
    verify(client)
    routed = ask(client, SENSITIVE + " " + Q3, 3)
    assert routed["decision"]["kind"] == "routed_to_human"
    assert routed["drafter"] == "none"


def test_never_reused_in_the_control_arm(app_settings: Settings) -> None:
    with TestClient(create_app(_settings(app_settings))) as assisted:
        verify(assisted)
    with TestClient(create_app(_settings(app_settings, control_share=1.0))) as control:
        draft = ask(control, Q3, 3)
    assert draft["arm"] == "control" and draft["text"] is None and draft["drafter"] == "none"
