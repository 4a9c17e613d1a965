"""The representatives' space in Debian's Chromium: a rep signs in with the one login and lands on
/reps/; each rubric in turn, with axe-core and a screenshot in docs/reps/; the journal filtered and
exported; the aggregates; the release notes; a receipt downloaded and the log verified in the page.
Nothing a rep sees or downloads holds a pseudonym or a draft id."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.app import create_app
from eval.dashboard.weeks import current_week, shift
from eval.demo import Simulation, agents_from
from feedback.models import FeedbackEvent
from tests.eval import test_dashboard_browser as dashboard
from tests.eval.test_dashboard import corpus_questions
from tests.eval.test_dashboard_browser import accessible, app_settings, sign_in
from tests.fixtures.app import agent_bearer
from tests.fixtures.server import serving
from tests.panel.conftest import CHROMIUM_ARGS

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "reps"
WEEK = shift(current_week(), -1)
wide = dashboard.wide  # the same 1280-px page, failing on any script error


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, set[str]]]:
    """Last week: 6 agents, 40 questions; yields the base URL and every secret a rep must not see."""
    app = create_app(app_settings(tmp_path_factory.mktemp("reps-browser")))
    with TestClient(app) as client:
        sim = Simulation(client, app.state.store.engine, agents_from([agent_bearer(n) for n in range(1, 7)]))
        sim.week(WEEK, 40, corpus_questions())
        with Session(app.state.store.engine) as s:
            secrets = set(s.scalars(select(FeedbackEvent.agent_pseudonym)))
        secrets |= {d["draft_id"] for d in sim.posted.drafts}
        with serving(app, lifespan="off") as base:
            yield base, secrets


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def clean(text: str, secrets: set[str]) -> None:
    leaked = [s for s in secrets if s in text]
    assert leaked == [], leaked[:3]


def test_a_rep_walks_the_space(wide: Page, live: tuple[str, set[str]], tmp_path: Path) -> None:
    base, secrets = live
    sign_in(wide, base, "rep")
    expect(wide).to_have_url(re.compile(r"/reps/#recorded$"))
    doc = wide.locator("#recorded-doc")
    expect(doc.get_by_role("heading", name=re.compile("Ce qui est enregistré"))).to_be_visible()
    expect(doc.get_by_role("heading", name=re.compile("Schéma de la base"))).to_be_visible()
    expect(doc.locator("table").first).to_be_visible()
    accessible(wide, "recorded")
    shot(wide, "1-ce-qui-est-enregistre")
    clean(wide.content(), secrets)

    wide.get_by_role("button", name="Le journal").click()
    wide.get_by_label("Semaine", exact=True).fill(WEEK)
    wide.get_by_role("button", name="Filtrer").click()
    expect(wide.locator("#journal-count")).to_contain_text("sur ")
    expect(wide.locator("#journal-table tr").nth(1)).to_contain_text(" h")
    wide.get_by_label("Type").select_option("verdict")
    wide.get_by_role("button", name="Filtrer").click()
    expect(wide.locator("#journal-table")).to_contain_text("Avis utile / pas utile")
    expect(wide.locator("#journal-table")).not_to_contain_text("Envoyé tel quel")
    wide.get_by_label("Semaine", exact=True).fill(current_week())  # this week: the reads just made
    wide.get_by_role("button", name="Filtrer").click()
    expect(wide.locator("#accesses-table")).to_contain_text("représentant·e")
    expect(wide.locator("#accesses-table")).to_contain_text("le journal")
    wide.get_by_label("Semaine", exact=True).fill(WEEK)
    wide.get_by_role("button", name="Filtrer").click()
    accessible(wide, "journal")
    shot(wide, "2-journal")
    clean(wide.content(), secrets)
    with wide.expect_download() as download:
        wide.get_by_role("button", name="Exporter en CSV").click()
    saved = tmp_path / "journal.csv"
    download.value.save_as(saved)
    csv = saved.read_text(encoding="utf-8")
    assert csv.startswith("heure,type,thème") and "verdict" in csv
    clean(csv, secrets)

    wide.get_by_role("button", name="Les agrégats").click()
    expect(wide.locator("#aggregates-table")).to_contain_text(WEEK)
    accessible(wide, "aggregates")
    shot(wide, "3-agregats")
    clean(wide.content(), secrets)

    wide.get_by_role("button", name="Les changements").click()
    expect(wide.locator("#changes-list article").first).to_be_visible()
    accessible(wide, "changes")
    shot(wide, "4-changements")

    wide.get_by_role("button", name="Vérifier").click()
    expect(wide.locator("#key-fingerprint")).to_have_text(re.compile(r"^[0-9a-f]{4}( [0-9a-f]{4})+$"))
    with wide.expect_download() as receipt:
        wide.get_by_role("button", name="Créer et télécharger un reçu").click()
    kept = tmp_path / "recu.json"
    receipt.value.save_as(kept)
    assert '"signature' in kept.read_text(encoding="utf-8")
    wide.get_by_label("Reçu à vérifier (facultatif)").set_input_files(str(kept))
    wide.get_by_role("button", name="Lancer la vérification").click()
    expect(wide.locator("#verdict")).to_have_class("verdict-ok")
    accessible(wide, "verify")
    shot(wide, "5-verifier")
    clean(wide.content(), secrets)
