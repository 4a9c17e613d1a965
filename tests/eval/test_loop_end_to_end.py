"""The evaluation loop end to end, as a lead lives it: a week of work under release A, a week under
release B (one decision setting changed), both through the real HTTP API into one store; the
feedback becomes a dataset per release; both are scored and stored; B is compared with A; a lead
promotes a candidate answer, a colleague's next question reuses it; the dashboard shows the runs of
both releases and the reuse."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.release import release_settings_hash
from assistant.settings import Settings
from eval.compare import compare_runs
from eval.dashboard.weeks import current_week, shift
from eval.demo import Simulation, agents_from
from eval.feedback_datasets import build_samples
from eval.runs import RunStore, majority_release
from eval.scoring import applicable, offline_metrics, run_of
from tests.eval.test_dashboard_browser import app_settings
from tests.fixtures.app import agent_bearer, bearer

WEEK_A, WEEK_B = shift(current_week(), -3), shift(current_week(), -2)
QUESTIONS: list[tuple[str, str | None]] = [
    ("Combien de jours de congés payés par mois ?", "conges"),
    ("Quelle est la durée du préavis de démission ?", "rupture-contrat"),
    ("Comment sont rémunérées les heures supplémentaires ?", None),
    ("Quel est le délai de carence en cas d'arrêt maladie ?", None),
]


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Settings]]:
    a = app_settings(tmp_path_factory.mktemp("loop"))  # the small corpus, fake embedder
    a = a.model_copy(update={"drafting": a.drafting.model_copy(update={"control_share": 0.1})})
    b = a.model_copy(update={"decision": a.decision.model_copy(update={"min_confidence": 0.35})})
    agents = agents_from([agent_bearer(n) for n in range(1, 9)], seed=7)
    for settings, week, seed in ((a, WEEK_A, 1), (b, WEEK_B, 2)):
        with TestClient(create_app(settings)) as client:
            engine = client.app.state.store.engine  # type: ignore[attr-defined]
            Simulation(client, engine, agents, seed=seed).week(week, 120, QUESTIONS)
    yield a, b


def test_feedback_of_two_releases_is_scored_compared_and_shown(
    releases: tuple[Settings, Settings], tmp_path: Path
) -> None:
    a, b = releases
    hash_a, hash_b = release_settings_hash(a), release_settings_hash(b)
    assert hash_a != hash_b
    with TestClient(create_app(b)) as client:
        engine = client.app.state.store.engine  # type: ignore[attr-defined]
        samples = build_samples(engine)
        by_release = {h: [s for s in samples if s["release"]["settings_hash"] == h] for h in (hash_a, hash_b)}
        assert all(len(v) >= 20 for v in by_release.values()), {h: len(v) for h, v in by_release.items()}
        assert len(samples) == sum(len(v) for v in by_release.values())  # every sample names its release

        store = RunStore(engine)
        ids = {}
        for h, rows in by_release.items():
            release = {k: v for k, v in majority_release(rows).items() if k != "mixed"}
            assert release["settings_hash"] == h
            ids[h] = store.add(run_of(f"feedback-{h}", rows, applicable(offline_metrics(), rows), release))
        deltas = compare_runs(store.get(ids[hash_a]), store.get(ids[hash_b]))
        metrics = {d["metric"] for d in deltas}
        assert {"rate_accepted_as_is", "edit_distance_char"} <= metrics, metrics
        for d in deltas:  # unpaired (different drafts): a delta with its interval around it
            if d["delta"] == d["delta"]:  # not NaN
                assert d["ci_low"] <= d["delta"] <= d["ci_high"], d

        # A lead promotes a candidate; a colleague's next identical question gets it as its draft.
        candidates = client.get(
            "/api/v1/verified-answers", params={"status": "candidate"}, headers=bearer("lead")
        ).json()
        verified = client.get(
            "/api/v1/verified-answers", params={"status": "verified"}, headers=bearer("lead")
        ).json()
        answer = (candidates or verified)[0]
        if candidates:
            promoted = client.post(f"/api/v1/verified-answers/{answer['id']}/promote", headers=bearer("lead"))
            assert promoted.status_code == 200 and promoted.json()["status"] == "verified"
        reused = None
        for _ in range(10):  # the control arm (10 %) gets no draft at all: ask until assisted
            draft = client.post(
                "/api/v1/drafts", json={"question": answer["question_masked"]}, headers=agent_bearer(3)
            ).json()
            if draft["arm"] == "assisted":
                reused = draft
                break
        assert reused is not None and reused["drafter"] == "verified", reused
        assert reused["model"].startswith(f"verified:{answer['id']}:")  # the panel's « Réponse déjà validée »
        event = {"event_id": str(uuid.uuid4()), "draft_id": reused["draft_id"], "type": "shown"}
        assert client.post("/api/v1/feedback/events", json=event, headers=agent_bearer(3)).status_code == 201

        week = client.get("/api/v1/dashboard/week", params={"week": WEEK_B}, headers=bearer("lead")).json()
        shown = {run["release"]["settings_hash"] for run in week["evals"]["runs"]}
        assert shown == {hash_a, hash_b}
        assert week["verified"]["answers_now"]["verified"] >= 1
        html = client.get("/api/v1/dashboard/export", params={"week": WEEK_B}, headers=bearer("lead")).text
        assert hash_a in html and hash_b in html and "Réponses validées réutilisées" in html
