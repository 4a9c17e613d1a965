"""A simulated week replayed through the REAL app (drafts by the drafting service with a fixed arm,
panel events over HTTP with per-agent tokens), read back by eval/measures_store.py: the same
sessions, the same estimates; feedback metrics carry no pseudonym and no text."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from assistant.app import create_app
from assistant.services.drafting import DraftRequest
from assistant.settings import Settings
from assistant.telemetry import TelemetrySettings, _label, setup_telemetry
from eval.measures import Rules, Session, time_saved_cell
from eval.measures_store import load_sessions, week_bounds, week_measures
from eval.simulate_sessions import SimConfig, SimQuestion, make_agents, panel_plan, simulate_week
from tests.fixtures.app import agent_bearer

WEEK = "2026-W48"
AGENTS = 8
CONFIG = SimConfig(
    agents=AGENTS,
    questions_per_agent=9,
    control_share=0.35,
    retype_share=0.4,
    control_abandon_share=0.05,
    regenerate_share=0.3,
    discard_share=0.1,
    thumbs_down_share=0.3,
    invented_share=0.5,
)


@pytest.fixture(scope="module")
def questions() -> list[SimQuestion]:
    return simulate_week(WEEK, CONFIG, seed=21, agents=make_agents(CONFIG, 21, "agent"))


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def client(app_settings: Settings, reader: InMemoryMetricReader) -> Iterator[TestClient]:
    telemetry = setup_telemetry(TelemetrySettings(), metric_reader=reader)
    with TestClient(create_app(app_settings, telemetry=telemetry)) as c:
        yield c


def replay(client: TestClient, questions: list[SimQuestion]) -> dict[str, str]:
    """Returns {simulated agent → pseudonym}."""
    app = client.app
    pseudonyms: dict[str, str] = {}
    for q in questions:
        n = int(q.session.agent.split("-")[-1])
        subject = f"agent-{n}"
        pseudonym = pseudonyms.setdefault(q.session.agent, app.state.events.pseudonym(subject))  # type: ignore[attr-defined]
        previous: str | None = None
        for planned in panel_plan(q):
            request = DraftRequest(
                planned.question,
                "private-sector",
                q.session.topic,
                regenerate_of=previous if planned.regenerates_previous else None,
                arm=None if planned.regenerates_previous else planned.arm,  # type: ignore[arg-type]
                agent=pseudonym,
            )
            draft_id = app.state.drafting.create(request)["draft_id"]  # type: ignore[attr-defined]
            for event in planned.events:
                body: dict[str, Any] = {
                    "event_id": str(uuid.uuid4()),
                    "draft_id": draft_id,
                    "type": event.type,
                    "occurred_at": (q.start + timedelta(milliseconds=event.offset_ms)).isoformat(),
                    **event.body,
                }
                res = client.post("/api/v1/feedback/events", json=body, headers=agent_bearer(n))
                assert res.status_code == 201, res.text
            previous = draft_id
    return pseudonyms


def _key(s: Session) -> tuple[Any, ...]:
    return (
        s.agent,
        s.arm,
        s.topic,
        s.week,
        s.ms_to_send,
        s.sources_open_ms,
        s.active_edit_ms,
        s.discarded,
        s.discarded_ms,
        s.regenerations,
        s.feedback_ms,
        s.thumbs_down,
        s.invented,
        s.retyped,
        s.drafts,
    )


def test_the_http_replay_gives_back_the_simulated_sessions(
    client: TestClient, questions: list[SimQuestion], reader: InMemoryMetricReader
) -> None:
    assert any(q.session.retyped for q in questions) and any(q.session.regenerations for q in questions)
    pseudonyms = replay(client, questions)
    engine = client.app.state.events.engine  # type: ignore[attr-defined]
    stored, counts = load_sessions(engine, *week_bounds(WEEK))
    expected = [Session(**{**q.session.__dict__, "agent": pseudonyms[q.session.agent]}) for q in questions]
    assert sorted(map(_key, stored), key=repr) == sorted(map(_key, expected), key=repr)
    assert counts["retyped_questions"] == sum(q.session.retyped for q in questions)
    # …hence the same estimate
    rules = Rules(min_agents=5, min_per_arm=5, replicates=300)
    a, b = time_saved_cell(stored, rules), time_saved_cell(expected, rules)
    assert a["status"] == "ok" and a["hodges_lehmann_s"] == b["hodges_lehmann_s"]
    assert a["median_difference_ci95_s"] == b["median_difference_ci95_s"]
    # the dashboard's entry point: JSON-ready, no pseudonym
    result = week_measures(engine, WEEK, replicates=200)
    assert result["per_week"][0]["retypes"]["control_retyped"] == counts["retyped_questions"]
    assert not any(p in repr(result) for p in pseudonyms.values())
    _check_metrics(reader, questions, pseudonyms)


def _check_metrics(
    reader: InMemoryMetricReader, questions: list[SimQuestion], pseudonyms: dict[str, str]
) -> None:
    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, list[Any]] = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    feedback = {name: pts for name, pts in points.items() if name.startswith("hra.feedback.")}
    sent = sum(1 for q in questions if q.session.ms_to_send is not None)
    assert sum(p.count for p in feedback["hra.feedback.time_to_send"]) == sent
    assert sum(p.count for p in feedback["hra.feedback.discard_time"]) == sum(
        q.session.discarded for q in questions
    )
    assert sum(p.value for p in feedback["hra.feedback.regenerations"]) == sum(
        q.session.regenerations for q in questions
    )
    allowed = {"arm", "topic", "drafter", "release", "outcome", "kind", "reason"}
    forbidden = set(pseudonyms) | set(pseudonyms.values()) | {f"agent-{n}" for n in range(1, AGENTS + 1)}
    for name, pts in feedback.items():
        for p in pts:
            attrs = dict(p.attributes)
            assert set(attrs) <= allowed, (name, attrs)
            for value in attrs.values():
                assert value not in forbidden and " " not in str(value), (name, attrs)
                assert not any(str(value) in q.text for q in questions if len(str(value)) > 12)
    arms = {p.attributes["arm"] for p in feedback["hra.feedback.time_to_send"]}
    assert arms == {"assisted", "control"}


def test_metric_labels_are_categories_never_text() -> None:
    assert _label("conges") == "conges"
    assert _label("Congés payés de Jean Dupont") == "other"
    assert _label("a" * 64) == "other"  # a pseudonym-like hash is not a category
    assert _label(None) == "none"
