"""Feedback-derived datasets from a store filled through the real HTTP API (events carry no
agent: the token says who), exported as versioned JSONL and as a ragas EvaluationDataset."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from assistant.app import create_app
from assistant.cli import app
from assistant.release import release_settings_hash
from assistant.settings import Settings
from eval.feedback_datasets import build_samples, content_hash, export, load_jsonl, to_ragas
from tests.fixtures.app import agent_bearer

QUESTION = "Combien de jours de congés payés par mois ?"


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), headers=agent_bearer(2)) as c:
        yield c


def draft(client: TestClient, question: str = QUESTION) -> dict[str, Any]:
    res = client.post("/api/v1/drafts", json={"question": question, "topic": "congés"})
    assert res.status_code == 201, res.text
    return res.json()  # type: ignore[no-any-return]


def post(client: TestClient, d: dict[str, Any], kind: str, **fields: Any) -> None:
    body = {"event_id": str(uuid.uuid4()), "draft_id": d["draft_id"], "type": kind, **fields}
    res = client.post("/api/v1/feedback/events", json=body)
    assert res.status_code == 201, res.text


@pytest.fixture
def filled(client: TestClient) -> tuple[Engine, dict[str, dict[str, Any]]]:
    sent, down, dropped, shown_only = (draft(client) for _ in range(4))
    assert sent["text"], "the test corpus must give a draft"
    post(client, sent, "shown")
    post(client, sent, "sent", final_text=sent["text"] + "\nÉcrivez à jean.dupont@example.com")
    post(client, sent, "verdict", value="up")
    post(
        client,
        down,
        "verdict",
        value="down",
        reasons=["wrong", "outdated"],
        expected_answer="2,5 jours ouvrables par mois ; voir jean.dupont@example.com",
    )
    post(client, dropped, "discarded", reason="hors sujet")
    post(client, shown_only, "shown")
    drafts = {"sent": sent, "down": down, "dropped": dropped, "shown_only": shown_only}
    return client.app.state.store.engine, drafts  # type: ignore[attr-defined]


def test_samples_from_sent_discarded_and_thumbs_down(
    filled: tuple[Engine, dict[str, dict[str, Any]]], app_settings: Settings
) -> None:
    engine, drafts = filled
    samples = {s["kind"]: s for s in build_samples(engine)}
    assert set(samples) == {"sent", "discarded", "thumbs_down"}  # a draft only shown is no sample

    sent = samples["sent"]
    assert sent["draft_id"] == drafts["sent"]["draft_id"] and sent["verdict"] == "up"
    assert sent["user_input"] == QUESTION and sent["response"] == drafts["sent"]["text"]
    assert sent["outcome"] in {"accepted_as_is", "edited"}
    assert sent["retrieved_contexts"] and len(sent["retrieved_context_ids"]) >= 1
    assert sent["release"]["kb_version"] == drafts["sent"]["kb_version"]
    assert sent["release"]["drafter"] == "offline"
    assert sent["release"]["settings_hash"] == release_settings_hash(app_settings)  # recorded on the draft
    down = samples["thumbs_down"]
    assert down["reasons"] == ["wrong", "outdated"] and down["reference"].startswith("2,5 jours")
    assert samples["discarded"]["outcome"] == "discarded" and samples["discarded"]["reference"] is None
    text = repr(samples)
    assert "jean.dupont@example.com" not in text  # masked as stored, never the raw value


def test_export_is_versioned_by_date_and_content_and_loads_into_ragas(
    filled: tuple[Engine, dict[str, dict[str, Any]]], tmp_path: Path
) -> None:
    engine, _ = filled
    path = export(engine, tmp_path / "datasets", today=date(2026, 11, 28))
    samples = load_jsonl(path)
    assert path.name == f"feedback-2026-11-28-{content_hash(samples)[:8]}.jsonl"
    assert export(engine, tmp_path / "datasets", today=date(2026, 11, 28)) == path  # same content, same name
    dataset = to_ragas(samples)
    assert len(dataset) == 3
    assert {s.user_input for s in dataset.samples} == {QUESTION}


def test_hra_eval_run_on_the_feedback_set(
    filled: tuple[Engine, dict[str, dict[str, Any]]], app_settings: Settings, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)  # the versioned file goes to ./var/eval/datasets
    env = {"HRA_DATABASE_URL": app_settings.database_url, "MISTRAL_API_KEY": "", "COLUMNS": "200"}
    res = CliRunner().invoke(app, ["eval", "run", "--dataset", "feedback", "--no-llm"], env=env)
    assert res.exit_code == 0, res.output
    assert "rate_discarded" in res.output and "edit_distance_char" in res.output
    assert "recall@10" not in res.output  # no reference documents in feedback samples
    assert len(list((tmp_path / "var" / "eval" / "datasets").glob("feedback-*.jsonl"))) == 1


def test_the_settings_hash_changes_with_a_setting_that_changes_drafts(app_settings: Settings) -> None:
    stricter = app_settings.model_copy(
        update={"decision": app_settings.decision.model_copy(update={"min_confidence": 0.9})}
    )
    assert release_settings_hash(stricter) != release_settings_hash(app_settings)
    assert release_settings_hash(app_settings.model_copy()) == release_settings_hash(app_settings)
