"""The leads' dashboard in Debian's Chromium: the shared login sends a lead to the dashboard, week
navigation, the trend, « Exporter la semaine », axe-core on each state, screenshots in
docs/dashboard/. The store is filled through the HTTP API by the demo simulation (so the page shows
the « Données de démonstration » banner, as after `hra demo simulate`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from assistant.app import create_app
from eval.dashboard.weeks import current_week, shift
from eval.demo import Simulation, agents_from, mark_demo
from eval.simulate_sessions import SimConfig, make_agents, simulate_week
from knowledge_base.settings import EmbeddingSettings, KnowledgeBaseSettings
from tests.eval.test_dashboard import corpus_questions
from tests.eval.test_measures_replay import replay
from tests.fixtures.app import TOKENS, agent_bearer, settings_for
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl
from tests.fixtures.server import serving
from tests.panel.conftest import CHROMIUM_ARGS

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "dashboard"
WEEKS = [shift(current_week(), -k) for k in (3, 2, 1)]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def app_settings(root: Path) -> Any:
    (root / "sources").mkdir()
    corpus = write_jsonl(root / "sources" / "kb.jsonl", cast(list[dict[str, object]], SMALL_CORPUS))
    kb = KnowledgeBaseSettings(
        sources=[corpus],
        index_dir=root / "index",
        embeddings=EmbeddingSettings(models=["fake"], shipped_vectors_dir=root / "no-vectors"),
    )
    settings = settings_for(kb, root)
    return settings.model_copy(
        update={"drafting": settings.drafting.model_copy(update={"control_share": 0.2})}
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Three past weeks of 8 agents (25 questions each), the current week empty."""
    app = create_app(app_settings(tmp_path_factory.mktemp("dashboard-browser")))
    with TestClient(app) as client:
        sim = Simulation(client, app.state.store.engine, agents_from([agent_bearer(n) for n in range(1, 9)]))
        for week in WEEKS:
            sim.week(week, 25, corpus_questions())
        mark_demo(app.state.store.engine)
        with serving(app, lifespan="off") as base:  # started (and migrated) by the TestClient
            yield base


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A week from eval/simulate_sessions.py (10 agents, 20 % control arm, known effects per topic:
    verification, corrections, discarded drafts, regenerations, verdicts, retyped control questions)
    replayed through the real app, as in tests/eval/test_measures_replay.py."""
    app = create_app(app_settings(tmp_path_factory.mktemp("dashboard-measured")))
    config = SimConfig(agents=10, questions_per_agent=45, control_share=0.2, retype_share=0.15)
    with TestClient(app) as client:
        replay(client, simulate_week(WEEKS[-1], config, seed=5, agents=make_agents(config, 5, "agent")))
        with serving(app, lifespan="off") as base:
            yield base


@pytest.fixture
def wide(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, locale="fr-FR", accept_downloads=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def accessible(page: Page, state: str) -> None:
    violations = Axe().run(page, options={"resultTypes": ["violations"]}).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == [], state


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base: str, role: str) -> None:
    page.goto(f"{base}/")  # the panel's login: the one login of every page
    page.get_by_label("Jeton agent").fill(TOKENS[role])
    page.get_by_role("button", name="Se connecter").click()


def test_a_lead_lands_on_the_dashboard_and_walks_the_weeks(wide: Page, live: str, tmp_path: Path) -> None:
    sign_in(wide, live, "lead")
    expect(wide).to_have_url(f"{live}/dashboard/?week={current_week()}")
    expect(wide.locator("#demo-banner")).to_be_visible()
    expect(wide.locator("#week-view")).to_contain_text("Non affiché : moins de 5 agents")
    expect(wide.locator("#next-week")).to_be_disabled()
    expect(wide.locator("section.time-saved")).to_contain_text(
        "Temps gagné : non affiché — masqué : moins de 5 agents distincts dans un des deux bras."
    )
    expect(wide.locator("#nav")).to_be_hidden()  # a lead may see one page: no navigation to show
    accessible(wide, "empty-week")
    shot(wide, "2-semaine-sans-donnees")

    wide.get_by_role("button", name="Semaine précédente").click()
    expect(wide.locator("#week-title")).to_contain_text(f"Semaine {int(WEEKS[-1][-2:])} de")
    expect(wide.locator("#week-view")).to_contain_text("Questions reçues")
    expect(wide.locator("#week-view")).to_contain_text(" min ")  # times in minutes and seconds
    expect(wide.locator("#week-view svg").first).to_be_visible()
    accessible(wide, "week")
    shot(wide, "1-semaine")

    wide.get_by_role("button", name="Tendance").click()
    expect(wide.locator("#trend-charts svg")).to_have_count(6)
    accessible(wide, "trend")
    shot(wide, "3-tendance")

    with wide.expect_download() as download:
        wide.get_by_role("button", name="Exporter la semaine").click()
    saved = tmp_path / "export.html"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"tableau-de-bord-{WEEKS[-1]}.html"
    html = saved.read_text(encoding="utf-8")
    assert "<script" not in html and "Données de démonstration" in html and "<svg" in html
    with wide.expect_download() as pdf:
        wide.get_by_role("button", name="Exporter en PDF").click()
    assert pdf.value.suggested_filename == f"tableau-de-bord-{WEEKS[-1]}.pdf"
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
    wide.goto(saved.as_uri())  # opens on its own: inline CSS and SVG
    expect(wide.get_by_role("heading", name="Activité")).to_be_visible()
    shot(wide, "4-export")


def test_each_role_lands_on_its_page(wide: Page, live: str) -> None:
    sign_in(wide, live, "agent")
    expect(wide.get_by_label("Question reçue")).to_be_visible()  # the panel, unchanged
    wide.goto(f"{live}/dashboard/")  # an agent sent to the dashboard goes back to the panel
    expect(wide).to_have_url(f"{live}/panel/")
    wide.evaluate("sessionStorage.clear()")
    sign_in(wide, live, "admin")  # the admin sees every page in the navigation
    expect(wide.locator("#nav a")).to_have_count(3)
    wide.get_by_role("link", name="Tableau de bord").click()
    expect(wide.locator("#nav a[aria-current=page]")).to_have_text("Tableau de bord")
    expect(wide.locator("#week-title")).to_contain_text("Semaine")


def test_the_time_saved_section_is_filled(wide: Page, measured: str) -> None:
    sign_in(wide, measured, "lead")
    expect(wide).to_have_url(f"{measured}/dashboard/?week={current_week()}")
    wide.get_by_role("button", name="Semaine précédente").click()  # WEEKS[-1], the simulated week
    expect(wide).to_have_url(f"{measured}/dashboard/?week={WEEKS[-1]}")
    card = wide.locator("section.time-saved")
    expect(card.get_by_role("heading", name="Temps gagné et travail induit")).to_be_visible()
    expect(card.locator(".headline").first).to_have_text(
        re.compile(
            r"^\S+( min \S+)? s (gagnées|perdues) par question \[.+ ; .+\], "
            r"\d+ questions assistées / \d+ témoins\."
        )
    )
    expect(card.get_by_role("columnheader", name="Hodges–Lehmann [IC 95 %]").first).to_be_visible()
    expect(card.get_by_role("rowheader", name="Congés et absences").first).to_be_visible()  # the label
    expect(card.locator("svg title").first).to_have_text(re.compile("^Travail induit par question assistée"))
    expect(card.get_by_role("rowheader", name="Vérification des sources").first).to_be_visible()
    expect(card.locator(".net").first).to_contain_text("Effet net :")
    expect(card).to_contain_text("Questions témoin reposées")
    expect(card.locator("details").first).to_contain_text("Puissance")
    expect(card.locator(".computed-at")).to_have_text(  # how old the figures may be, in its own words
        re.compile(
            r"^Calculé à \d\d:\d\d ; quand de nouvelles données arrivent, "
            r"ce calcul est refait au plus toutes les 60 s\.$"
        )
    )
    expect(wide.locator(".week-computed-at")).to_have_text(  # the week as a whole: reused up to 30 s
        re.compile(
            r"^Chiffres de la semaine calculés à \d\d:\d\d ; quand de nouvelles données arrivent, "
            r"ils sont recalculés au plus toutes les 30 s\.$"
        )
    )
    accessible(wide, "time-saved")
    SHOTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(SHOTS / "5-temps-gagne.png"))
