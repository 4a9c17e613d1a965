"""The leads' weekly dashboard, fed through the real HTTP API: one simulated week (≥ 500 drafts from
10 agents: sends as is and edited, rewrites, discards, regenerations, verdicts, a control arm), then
every number of the JSON recomputed here from what was posted; suppression below 5 agents; roles."""

from __future__ import annotations

import io
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from assistant.app import create_app
from assistant.pipeline.topics import taxonomy
from assistant.services.verified import reading
from eval.dashboard import service as dashboard_service
from eval.dashboard.export import headline
from eval.dashboard.time_saved import redact_hidden_topics, time_saved
from eval.dashboard.weeks import current_week, shift
from eval.demo import Posted, Simulation, agents_from, load_questions, mark_demo
from eval.kb_gaps import cluster
from eval.measures_store import week_measures
from feedback import reuse
from feedback.models import FeedbackEvent
from knowledge_base.embeddings import FakeEmbeddings
from knowledge_base.settings import EmbeddingSettings, KnowledgeBaseSettings
from tests.fixtures.app import agent_bearer, bearer, settings_for
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl

WEEK = shift(current_week(), -2)  # a past week: every draft is backdated into it
SMALL_WEEK = shift(current_week(), -1)  # 3 agents only: everything suppressed
API = "/api/v1/dashboard"


def corpus_questions() -> list[tuple[str, str | None]]:
    """Questions the small corpus answers, some it cannot (abstained), and sensitive ones (routed)."""
    covered = [
        ("Combien de jours de congés payés par mois ?", "conges"),
        ("Quelle est la durée du préavis de démission ?", "rupture-contrat"),
        ("Comment sont rémunérées les heures supplémentaires ?", None),  # inferred by the server
    ]
    return covered * 6 + load_questions(limit=40, seed=3)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Posted]]:
    root = tmp_path_factory.mktemp("dashboard")
    (root / "sources").mkdir()
    corpus = write_jsonl(root / "sources" / "kb.jsonl", cast(list[dict[str, object]], SMALL_CORPUS))
    kb = KnowledgeBaseSettings(
        sources=[corpus],
        index_dir=root / "index",
        embeddings=EmbeddingSettings(models=["fake"], shipped_vectors_dir=root / "no-vectors"),
    )
    settings = settings_for(kb, root)
    settings = settings.model_copy(
        update={"drafting": settings.drafting.model_copy(update={"control_share": 0.15})}
    )
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.store.engine  # type: ignore[attr-defined]
        sim = Simulation(client, engine, agents_from([agent_bearer(n) for n in range(1, 11)], seed=1), seed=2)
        sim.week(WEEK, 500, corpus_questions())
        week_posted = Posted(list(sim.posted.drafts), list(sim.posted.events))
        small = Simulation(client, engine, agents_from([agent_bearer(n) for n in (1, 2, 3)]), seed=4)
        small.week(SMALL_WEEK, 30, corpus_questions())
        yield client, week_posted


def test_the_simulated_week_is_big_and_varied(simulated: tuple[TestClient, Posted]) -> None:
    _, posted = simulated
    assert len(posted.drafts) >= 500  # 500 questions, plus regenerations
    assert len({d["agent"] for d in posted.drafts}) == 10
    kinds = Counter(e["type"] for e in posted.events)
    outcomes = Counter(e["outcome"] for e in posted.events if e["outcome"])
    assert min(kinds[k] for k in ("shown", "sent", "discarded", "verdict", "regenerated")) > 0
    assert {"accepted_as_is", "edited", "discarded", "unassisted"} <= set(outcomes)
    assert {d["decision"] for d in posted.drafts} == {"drafted", "abstained", "routed_to_human"}


def expected(posted: Posted) -> dict[str, Any]:
    """The dashboard's numbers, recomputed from what was posted (not from the store)."""
    drafts, events = posted.drafts, posted.events
    questions = [d for d in drafts if not d["regenerated_from"]]
    arm = {d["draft_id"]: d["arm"] for d in drafts}
    last_outcome: dict[str, str] = {}
    for e in sorted(events, key=lambda e: e["occurred_at"]):
        if e["outcome"]:
            last_outcome[e["draft_id"]] = e["outcome"]
    shown = {e["draft_id"] for e in events if e["type"] == "shown"}
    down = {e["draft_id"] for e in events if e["type"] == "verdict" and e["value"] == "down"}
    times = {
        a: [e["timings"]["ms_to_send"] for e in events if e["type"] == "sent" and arm[e["draft_id"]] == a]
        for a in ("assisted", "control")
    }
    reasons = Counter(
        r
        for d, r in {
            (e["draft_id"], r) for e in events if e["type"] == "verdict" for r in e.get("reasons", [])
        }
    )
    drafted = [d for d in drafts if d["decision"] == "drafted" and d["arm"] == "assisted"]
    return {
        "questions": len(questions),
        "decisions": dict(Counter(d["decision"] for d in questions)),
        "arms": dict(Counter(d["arm"] for d in questions)),
        "regenerations": sum(1 for d in drafts if d["regenerated_from"]),
        "outcomes": Counter(last_outcome.values()),
        "shown": len(shown),
        "down": len(down & shown),
        "reasons": dict(reasons),
        "median_s": {a: round(statistics.median(v) / 1000, 1) for a, v in times.items()},
        "median_whole_s": {a: round(statistics.median(v) / 1000) for a, v in times.items()},
        "sent_with_distance": sum(
            1
            for e in events
            if e["type"] == "sent" and e["outcome"] in ("accepted_as_is", "edited", "rewritten")
        ),
        "flags": Counter(k for d in drafted for k in d["flags"]),
    }


def test_week_numbers_match_what_was_posted(simulated: tuple[TestClient, Posted]) -> None:
    client, posted = simulated
    r = client.get(f"{API}/week", params={"week": WEEK}, headers=bearer("lead"))
    assert r.status_code == 200, r.text
    week, want = r.json(), expected(posted)
    assert week["agents"] == 10
    act = week["activity"]
    assert act["questions"] == want["questions"]
    assert {k: v for k, v in act["decisions"].items() if v} == want["decisions"]  # refused ones included
    assert act["decisions"]["routed_to_human"] > 0 and act["decisions"]["abstained"] > 0
    assert {k: v for k, v in act["arms"].items() if v} == want["arms"]
    assert act["regenerations"] == want["regenerations"]
    assert {k: v for k, v in week["outcomes"]["counts"].items() if v} == dict(want["outcomes"])
    ver = week["verdicts"]
    assert (ver["drafts_shown"], ver["drafts_down"]) == (want["shown"], want["down"])
    assert ver["down_share"] == round(want["down"] / want["shown"], 4)  # per draft, not per verdict
    assert ver["reasons"] == want["reasons"]
    edits = week["edit_distance"]
    assert edits["n"] == want["sent_with_distance"] == sum(b["count"] for b in edits["histogram"])
    assert edits["quartiles"][0] <= edits["quartiles"][1] <= edits["quartiles"][2]
    for arm in ("assisted", "control"):
        block = week["time_to_send"][arm]
        assert block["median_seconds"] == want["median_s"][arm]
        minutes, seconds = divmod(want["median_whole_s"][arm], 60)  # from the exact median
        assert block["median"] == (f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s")
    assert week["flags"]["by_kind"] == dict(want["flags"])
    assert week["demo"] is False and week["evals"]["message"] == "aucune évaluation enregistrée"
    assert week["time_saved"]["title"] == "Temps gagné et travail induit" and "reserved" not in week
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        pseudonyms = set(conn.execute(select(FeedbackEvent.agent_pseudonym)).scalars())
    assert len(pseudonyms) == 10 and not any(p in r.text for p in pseudonyms)  # nothing per agent


def test_kb_gaps_are_clusters_with_examples_only_from_5_agents(simulated: tuple[TestClient, Posted]) -> None:
    client, posted = simulated
    gaps = client.get(f"{API}/week", params={"week": WEEK}, headers=bearer("lead")).json()["kb_gaps"]
    discarded = {e["draft_id"] for e in posted.events if e["type"] == "discarded"}
    down = {
        e["draft_id"]
        for e in posted.events
        if e["type"] == "verdict"
        and e.get("value") == "down"
        and {"missing_information", "outdated"} & set(e.get("reasons") or [])
    }
    rows = [
        d
        for d in posted.drafts
        if (d["decision"] == "abstained" and not d["regenerated_from"]) or d["draft_id"] in discarded | down
    ]
    assert gaps["total"]["count"] == len(rows) and gaps["clusters"]
    assert sum(c["count"] for c in gaps["clusters"]) + gaps["hidden"]["count"] == len(rows)
    # membership recomputed with the same embedding (the fake one of this app) and the clustering
    # tested on its own in test_kb_gaps.py; agents and reasons counted here
    vectors = FakeEmbeddings().embed_passages([reading(d["question"]) for d in rows])
    groups = [[rows[i] for i in members] for members in cluster(vectors)]
    shown = [g for g in groups if len({d["agent"] for d in g}) >= 5]
    assert sorted(c["count"] for c in gaps["clusters"]) == sorted(len(g) for g in shown)
    counts = [c["count"] for c in gaps["clusters"]]
    assert counts == sorted(counts, reverse=True)  # by frequency
    for c in gaps["clusters"]:
        (group,) = [
            g for g in shown if len(g) == c["count"] and set(c["examples"]) <= {d["question"] for d in g}
        ]
        assert 0 < len(c["examples"]) <= 5 and sum(c["why"].values()) == c["count"]
        assert c["why"].get("abstained", 0) == sum(d["decision"] == "abstained" for d in group)
        assert c["topic_label"] in {t.label for t in taxonomy().topics}
    assert gaps["hidden"]["clusters"] == len(groups) - len(shown)
    assert "Bearer" not in json.dumps(gaps)


def test_verified_answers_are_made_reused_and_counted(simulated: tuple[TestClient, Posted]) -> None:
    """Questions sent as is by several agents became verified answers during the week; later asks of
    the same question got them as drafts; the page counts them and what agents then did."""
    client, posted = simulated
    week = client.get(f"{API}/week", params={"week": WEEK}, headers=bearer("lead")).json()
    drafted = [d for d in posted.drafts if d["decision"] == "drafted" and d["arm"] == "assisted"]
    reused = {d["draft_id"] for d in drafted if d["drafter"] == "verified"}
    assert reused, "the simulated week reuses no verified answer"
    down = {e["draft_id"] for e in posted.events if e["type"] == "verdict" and e.get("value") == "down"}
    outcome = {e["draft_id"]: e["outcome"] for e in posted.events if e["outcome"]}
    v = week["verified"]
    assert v["reused"] == len(reused) and v["drafts"] == len(drafted)
    assert v["down_share"] == round(len(reused & down) / len(reused), 4)
    assert v["sent_as_is"] == sum(1 for d in reused if outcome.get(d) == "accepted_as_is")
    assert v["discarded"] == sum(1 for d in reused if outcome.get(d) == "discarded")
    listing = client.get("/api/v1/verified-answers", headers=bearer("lead")).json()
    answers = listing["answers"] if isinstance(listing, dict) else listing
    by_status = Counter(a["status"] for a in answers)
    assert v["answers_now"]["verified"] == by_status["verified"] >= 1
    assert v["answers_now"]["candidate"] == by_status["candidate"]
    page = client.get(f"{API}/export", params={"week": WEEK}, headers=bearer("lead")).text
    assert "Réponses validées réutilisées" in page and f"{len(reused)} sur {len(drafted)}" in page


def test_a_week_of_3_agents_is_suppressed_with_the_reason(simulated: tuple[TestClient, Posted]) -> None:
    client, _ = simulated
    week = client.get(f"{API}/week", params={"week": SMALL_WEEK}, headers=bearer("lead")).json()
    assert week["agents"] == "< 5"
    for name in ("activity", "outcomes", "verdicts", "edit_distance", "flags"):
        assert week[name] == {"suppressed": True, "reason": "moins de 5 agents", "agents": "< 5"}, name
    assert week["time_to_send"]["assisted"]["reason"] == "moins de 5 agents"
    assert week["kb_gaps"]["total"]["suppressed"] and week["kb_gaps"]["clusters"] == []
    text = client.get(f"{API}/export", params={"week": SMALL_WEEK}, headers=bearer("lead")).text
    assert "moins de 5 agents" in text and "Questions reçues" not in text


def test_trend_over_weeks(simulated: tuple[TestClient, Posted]) -> None:
    client, posted = simulated
    r = client.get(f"{API}/trend", params={"until": SMALL_WEEK, "weeks": 4}, headers=bearer("admin"))
    points = {p["week"]: p for p in r.json()["weeks"]}
    assert list(points) == [shift(SMALL_WEEK, k) for k in (-3, -2, -1, 0)]
    assert points[WEEK]["questions"] == len([d for d in posted.drafts if not d["regenerated_from"]])
    assert points[SMALL_WEEK]["suppressed"] and points[SMALL_WEEK]["questions"] is None
    assert points[shift(WEEK, -1)]["questions"] is None  # an empty week is < 5 agents too


def test_export_is_one_self_contained_file(simulated: tuple[TestClient, Posted]) -> None:
    client, posted = simulated
    r = client.get(f"{API}/export", params={"week": WEEK}, headers=bearer("lead"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert f'filename="tableau-de-bord-{WEEK}.html"' in r.headers["content-disposition"]
    html = r.text
    assert (
        "<script" not in html
        and "<link" not in html
        and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    )
    assert html.count("<svg") >= 4 and "<style>" in html
    assert (
        f'Questions reçues</th><td class="n">{len([d for d in posted.drafts if not d["regenerated_from"]])}'
        in html
    )


def test_export_as_pdf_says_the_same(simulated: tuple[TestClient, Posted]) -> None:
    client, posted = simulated
    r = client.get(f"{API}/export", params={"week": WEEK, "format": "pdf"}, headers=bearer("lead"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert f'filename="tableau-de-bord-{WEEK}.pdf"' in r.headers["content-disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    questions = len([d for d in posted.drafts if not d["regenerated_from"]])
    assert "Questions reçues" in text and "Lacunes de la base de connaissances" in text
    assert re.search(rf"Questions reçues\s*{questions}\b", text), text[:400]
    bad = client.get(f"{API}/export", params={"week": WEEK, "format": "docx"}, headers=bearer("lead"))
    assert bad.status_code == 422 and "format" in bad.text


@pytest.mark.parametrize(("role", "status"), [("lead", 200), ("admin", 200), ("agent", 403), ("rep", 403)])
def test_roles(simulated: tuple[TestClient, Posted], role: str, status: int) -> None:
    client, _ = simulated
    for path in ("/week", "/trend", "/export"):
        assert client.get(API + path, headers=bearer(role)).status_code == status
    assert client.get(f"{API}/week").status_code == 401
    assert client.get("/api/v1/whoami", headers=bearer(role)).json() == {"role": role}


_SHIFTED = [0.0]  # how far earlier calls moved the clock: results stored then carry those times


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The reused aggregates' clock moved on by at least ``seconds`` past any time an earlier call
    set (only theirs: the app's own timers keep running)."""
    _SHIFTED[0] += seconds
    moved = time.monotonic() + _SHIFTED[0]
    monkeypatch.setattr(reuse, "time", SimpleNamespace(monotonic=lambda: moved))


def test_bad_week_and_demo_banner(
    simulated: tuple[TestClient, Posted], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = simulated
    assert client.get(f"{API}/week", params={"week": "2026-48"}, headers=bearer("lead")).status_code == 422
    assert client.get(f"{API}/week", params={"week": "2026-W60"}, headers=bearer("lead")).status_code == 400
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    mark_demo(engine)
    later(monkeypatch, 31)  # a week read by an earlier test may be reused for 30 s, not more
    try:
        assert client.get(f"{API}/week", headers=bearer("lead")).json()["demo"] is True
        assert "Données de démonstration" in client.get(f"{API}/export", headers=bearer("lead")).text
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE hra_demo")


def test_the_week_is_reused_for_up_to_its_max_age_after_new_data(
    simulated: tuple[TestClient, Posted], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read would otherwise recompute the week over all its rows (~80 ms of CPU at 6,000
    events): after new data it is served as computed for up to 30 s, and says when it was."""
    client, _ = simulated
    computed: list[str | None] = []
    real = dashboard_service.week_data

    def counted(engine: Any, week: str | None, *args: Any, **kwargs: Any) -> dict[str, Any]:
        computed.append(week)  # "was it called": the real computation still runs
        return real(engine, week, *args, **kwargs)

    monkeypatch.setattr(dashboard_service, "week_data", counted)
    read = lambda: client.get(f"{API}/week", params={"week": WEEK}, headers=bearer("lead"))  # noqa: E731
    question = {"question": "Combien de jours de congés payés ?"}
    assert client.post("/api/v1/drafts", json=question, headers=agent_bearer(1)).status_code == 201
    later(monkeypatch, 31)  # whatever an earlier test left is now over 30 s old, and the data moved
    first = read().json()
    assert first["max_age_s"] == 30 and first["computed_at"] and computed == [WEEK]
    assert read().json() == first and computed == [WEEK]  # nothing new: reused whatever its age
    assert client.post("/api/v1/drafts", json=question, headers=agent_bearer(1)).status_code == 201
    assert read().json() == first and computed == [WEEK]  # new data, but the week is 0 s old
    later(monkeypatch, 31)
    assert read().status_code == 200 and computed == [WEEK, WEEK]  # 31 s old and the data moved


def test_the_page_and_its_modules_are_served(simulated: tuple[TestClient, Posted]) -> None:
    client, _ = simulated
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    for name in (
        "dashboard.js",
        "week.js",
        "trend.js",
        "charts.js",
        "export.js",
        "format.js",
        "timesaved.js",
        "dashboard.css",
    ):
        assert client.get(f"/dashboard/static/{name}").status_code == 200, name
    assert client.get("/dashboard/static/..%2Fstore.py").status_code == 404


def test_time_saved_is_what_week_measures_returns(simulated: tuple[TestClient, Posted]) -> None:
    """The section is ``week_measures`` for the week and the 3 before it (cumulated), as is."""
    client, _ = simulated
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    section = client.get(f"{API}/week", params={"week": WEEK}, headers=bearer("lead")).json()["time_saved"]
    want = redact_hidden_topics(week_measures(engine, WEEK, min_agents=5, weeks=4))
    about = ("title", "method", "computed_at", "max_age_s")
    assert {k: v for k, v in section.items() if k not in about} == want
    assert section["computed_at"] and section["max_age_s"] == 60  # HRA_FEEDBACK__MEASURES_MAX_AGE_S
    hidden = [c for c in section["per_week"][-1]["per_topic"] if c["status"] != "ok"]
    assert hidden and {c["cell"] for c in hidden} == {"thème masqué"}  # hidden topics are not named
    assert section["method"] == "eval/MEASURES.md" and section["weeks"][-1] == WEEK
    this_week = section["per_week"][-1]
    assert this_week["week"] == WEEK
    alone = week_measures(engine, WEEK, min_agents=5)["per_week"][0]  # the week on its own: same cells
    assert this_week["overall"] == alone["overall"] and this_week["extra_work"] == alone["extra_work"]
    overall = this_week["overall"]
    assert overall["status"] == "ok" and overall["n_control"] >= 10 and overall["agents"] == 10
    assert this_week["net"]["status"] == "ok" and this_week["extra_work"]["status"] == "ok"
    assert (
        headline(overall) in client.get(f"{API}/export", params={"week": WEEK}, headers=bearer("lead")).text
    )
    assert time_saved(engine, WEEK, 5) is time_saved(engine, WEEK, 5)  # cached per data version


def test_a_thin_week_shows_why_the_time_saved_is_hidden(simulated: tuple[TestClient, Posted]) -> None:
    client, _ = simulated
    section = client.get(f"{API}/week", params={"week": SMALL_WEEK}, headers=bearer("lead")).json()[
        "time_saved"
    ]
    thin = section["per_week"][-1]
    reason = "moins de 5 agents distincts dans un des deux bras"
    assert thin["overall"] == {
        "cell": "(tous thèmes)",
        "questions": thin["overall"]["questions"],
        "status": "masqué",
        "reason": reason,
    }
    assert thin["overall"]["questions"] > 0 and "hodges_lehmann_s" not in thin["overall"]
    assert thin["extra_work"] == {"status": "masqué", "reason": "moins de 5 agents distincts"}
    assert thin["net"]["status"] == "pas assez de données"
    html = client.get(f"{API}/export", params={"week": SMALL_WEEK}, headers=bearer("lead")).text
    assert f"Temps gagné : non affiché — masqué : {reason}." in html
    assert "Effet net : non affiché" in html


def test_eval_runs_per_release_are_shown(
    simulated: tuple[TestClient, Posted], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Last in the module: it creates the eval tables in the shared store."""
    from eval.runs import Run, RunStore, release

    client, _ = simulated
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    RunStore(engine).add(
        Run("gold", "h" * 64, release(kb_version="kb-demo"), ["q1", "q2"], {"mrr@10": [1.0, 0.5]})
    )
    later(monkeypatch, 31)
    week = client.get(f"{API}/week", params={"week": WEEK}, headers=bearer("lead")).json()
    (run,) = week["evals"]["runs"]
    assert week["evals"]["message"] is None and run["release"]["kb_version"] == "kb-demo"
    assert run["scores"]["mrr@10"]["value"] == 0.75
    html = client.get(f"{API}/export", params={"week": WEEK}, headers=bearer("lead")).text
    assert "kb-demo" in html and "mrr@10 0,750 [" in html and "(n = 2)" in html  # with its interval
