"""Topics: inferred server side from the taxonomy (lexicon/topics_fr.yaml), corrected by the
client only with a taxonomy id, listed for the panel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.app import create_app
from assistant.pipeline.topics import Taxonomy, infer_topic, taxonomy
from assistant.settings import Settings
from feedback.models import DraftRecord
from tests.fixtures.app import bearer


@dataclass(frozen=True)
class P:
    title: str
    heading_path: tuple[str, ...] = ()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Combien de jours de congés payés par mois ?", "conges"),
        ("Mon employeur peut-il me licencier pendant mon arrêt maladie ?", "maladie-accidents"),
        ("Quelle est la durée du préavis en cas de démission ?", "rupture-contrat"),
        ("Comment sont payées les heures supplémentaires le dimanche ?", "temps-de-travail"),
        ("Puis-je demander une mutation après mon détachement ?", "carriere-fonction-publique"),
        ("A quel âge puis-je partir à la retraite ?", "retraite"),
        ("Combien d'heures de délégation pour un élu du CSE ?", "representation-personnel"),
        ("Quelle durée pour le congé de paternité ?", "famille"),
        ("Bonjour, j'ai une question.", "autre"),
    ],
)
def test_inference_on_kb_like_questions(question: str, expected: str) -> None:
    assert infer_topic(question) == expected


def test_passages_vote_for_their_document_topic() -> None:
    question = "Que faire dans ma situation ?"  # no term of its own
    passages = [P("Le télétravail", ("Mise en place",)), P("Le télétravail : questions-réponses")]
    assert infer_topic(question, passages) == "teletravail"
    # the question's own terms outweigh one passage
    assert infer_topic("Mon salaire de base", [P("Le télétravail")]) == "paie"


def test_taxonomy_file_is_well_formed() -> None:
    tax = Taxonomy.load()
    assert 15 <= len(tax.topics) <= 25 and tax.fallback in tax.by_id
    assert all(t.id == t.id.lower() and " " not in t.id and t.label for t in tax.topics)
    assert tax.canonical("congés") == "conges" and tax.canonical("Temps de travail") == "temps-de-travail"
    assert tax.canonical("n'importe quoi") is None


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), headers=bearer()) as c:
        yield c


def stored_topic(client: TestClient, draft_id: str) -> str | None:
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        return session.execute(select(DraftRecord.topic).where(DraftRecord.id == draft_id)).scalar_one()


def test_topic_inferred_when_the_client_sends_none(client: TestClient) -> None:
    res = client.post("/api/v1/drafts", json={"question": "Combien de jours de congés payés par mois ?"})
    assert res.status_code == 201, res.text
    assert res.json()["topic"] == "conges" == stored_topic(client, res.json()["draft_id"])


def test_client_corrects_with_a_taxonomy_id(client: TestClient) -> None:
    body = {"question": "Combien de jours de congés payés ?", "topic": "paie"}
    res = client.post("/api/v1/drafts", json=body)
    assert res.status_code == 201, res.text
    assert stored_topic(client, res.json()["draft_id"]) == "paie"


def test_unknown_topic_is_refused(client: TestClient) -> None:
    secret = "dossier de M. Dupont"
    res = client.post("/api/v1/drafts", json={"question": "Mes congés ?", "topic": secret})
    assert res.status_code == 422
    detail = res.json()["detail"]
    assert "thème inconnu" in detail and "unknown topic" in detail and secret not in detail
    assert "conges" not in detail  # the list is served by GET /topics, not echoed


def test_topics_listed_for_agents_only(client: TestClient) -> None:
    res = client.get("/api/v1/topics")
    assert res.status_code == 200
    body = res.json()
    assert [t["id"] for t in body["topics"]] == taxonomy().ids() and body["fallback"] == "autre"
    assert {"id": "conges", "label": "Congés et absences"} in body["topics"]
    assert client.get("/api/v1/topics", headers=bearer("lead")).status_code == 403
