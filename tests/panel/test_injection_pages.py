"""Injected markup stays text in every page (issue 16), and the keyword-only banner.

- The side panel, on the LLM path: the question, a source and the model's answer all carry
  ``<script>`` / ``<img onerror>`` / ``javascript:`` payloads (the fake chat model answers what an
  obedient model would). No script runs, no dialog opens, the checks strip the markup from the
  draft and the flag shows the removed tag as text.
- The leads' dashboard and the reps' journal: their only text derived from questions (the KB-gap
  examples; the journal's topic and free-text cells, masked by the server today) replayed with the
  same payloads through a routed API response of the server's own shape.
- The Chroma server killed under the panel: « Recherche sémantique indisponible » appears on the
  next draft and goes away once the server is back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, Route, expect

from assistant.app import create_app
from assistant.settings import Settings
from knowledge_base.settings import ChromaSettings
from tests.fixtures.app import TOKENS
from tests.fixtures.chroma_server import ChromaProcess
from tests.fixtures.server import serving
from tests.panel.conftest import login
from tests.panel.test_panel_e2e import ask

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=\"window.__xss='{where}'\">"
SCRIPT = "<script>window.__xss='{where}'</script>"
HOSTILE_ANSWER = (
    "Bonjour,\n\n"
    + IMG.format(where="draft")
    + "Vous acquérez 2,5 jours ouvrables par mois [1]. "
    + SCRIPT.format(where="draft-script")
    + " Confirmez sur [le portail](javascript:alert(document.domain)) [1].\n\nCordialement,"
)
QUESTION = "Combien de jours de congés payés par mois ? " + IMG.format(where="question")


@pytest.fixture(scope="module")
def hostile_llm_server(panel_settings: Settings) -> Iterator[tuple[str, FastAPI]]:
    llm = panel_settings.llm.model_copy(update={"provider": "fake", "fake_response": HOSTILE_ANSWER})
    app = create_app(panel_settings.model_copy(update={"llm": llm}))
    with serving(app) as base:
        yield base, app


def watch(page: Page) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def assert_inert(page: Page, dialogs: list[str]) -> None:
    page.wait_for_timeout(300)  # time for an injected handler to have fired
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []


def test_the_panel_shows_an_obeying_models_markup_as_text(
    page: Page, hostile_llm_server: tuple[str, FastAPI]
) -> None:
    base, _ = hostile_llm_server
    dialogs = watch(page)
    panel = login(page, base)
    ask(panel, QUESTION)
    expect(panel.locator("#status")).to_contain_text("Brouillon prêt")

    draft = panel.locator("#draft").input_value()
    assert "Vous acquérez 2,5 jours ouvrables par mois" in draft
    assert "<img" not in draft and "<script" not in draft and "__xss='draft" not in draft  # stripped
    flags = panel.locator("#flags")
    expect(flags).to_contain_text("Balisage HTML retiré")
    expect(flags).to_contain_text("<img src=x onerror=\"window.__xss='draft'\">")  # shown as text
    # The script link is reduced to its text in the draft and named in a flag, never clickable.
    assert "javascript:" not in draft and "Confirmez sur le portail [1]" in draft
    expect(flags).to_contain_text("« [le portail](javascript:alert(document.domain)) »")
    for toggle in panel.locator("#citations button.toggle").all():
        toggle.click()
    expect(panel.get_by_label("Question reçue")).to_have_value(QUESTION)
    assert panel.locator("#result img, #result script, #result a[href^='javascript']").count() == 0
    assert_inert(panel, dialogs)


def routed_json(page: Page, pattern: str, edit: object) -> None:
    def handle(route: Route) -> None:
        response = route.fetch()
        data = response.json()
        edit(data)  # type: ignore[operator]
        route.fulfill(response=response, body=json.dumps(data), content_type="application/json")

    page.route(pattern, handle)


def test_the_leads_dashboard_shows_question_examples_as_text(
    page: Page, hostile_llm_server: tuple[str, FastAPI]
) -> None:
    base, _ = hostile_llm_server
    example = "Mes congés ? " + IMG.format(where="dashboard") + SCRIPT.format(where="dashboard-script")

    def gaps(data: dict[str, object]) -> None:
        data["kb_gaps"] = {
            "total": {"count": 6, "suppressed": False},
            "clusters": [
                {
                    "topic_label": IMG.format(where="topic"),
                    "count": 6,
                    "why": {"discarded": 6},
                    "examples": [example],
                }
            ],
            "hidden": {"count": 0, "clusters": 0},
        }

    routed_json(page, "**/api/v1/dashboard/week*", gaps)
    dialogs = watch(page)
    page.goto(f"{base}/")
    page.get_by_label("Jeton agent").fill(TOKENS["lead"])
    page.get_by_role("button", name="Se connecter").click()
    card = page.locator("details", has_text="Sans thème").or_(page.locator("details", has_text="<img"))
    expect(card.first).to_be_visible()
    card.first.locator("summary").click()
    expect(page.get_by_text(example)).to_be_visible()  # the question, tags and all, as text
    assert page.locator("main img, main script").count() == 0
    assert_inert(page, dialogs)


def test_the_reps_journal_shows_cells_as_text(page: Page, hostile_llm_server: tuple[str, FastAPI]) -> None:
    base, _ = hostile_llm_server

    def journal(data: dict[str, object]) -> None:
        row = {
            "hour": "2026-01-05 10:00",
            "type": "verdict",
            "value": "down",
            "topic_label": IMG.format(where="journal-topic"),
            "decision": "drafted",
            "outcome": None,
            "reasons": ["other"],
            "edit_distance": None,
            "purged": False,
            "free_text": SCRIPT.format(where="journal-text") + IMG.format(where="journal-text"),
        }
        data.update({"rows": [row], "total": 1, "offset": 0})

    routed_json(page, "**/api/v1/audit/journal?*", journal)
    dialogs = watch(page)
    page.goto(f"{base}/")
    page.get_by_label("Jeton agent").fill(TOKENS["rep"])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Le journal").click()
    table = page.locator("#journal-table")
    expect(table).to_contain_text(IMG.format(where="journal-topic"))
    expect(table).to_contain_text(SCRIPT.format(where="journal-text"))
    assert table.locator("img, script").count() == 0
    assert_inert(page, dialogs)


@pytest.fixture
def chroma_panel(
    panel_settings: Settings, chroma_process: ChromaProcess, tmp_path: Path
) -> Iterator[tuple[str, ChromaProcess]]:
    kb = panel_settings.kb.model_copy(
        update={"chroma": ChromaSettings(url=chroma_process.url), "index_dir": tmp_path / "index"}
    )
    # Searched through Chroma's index, as a KB over 20,000 passages is: the default, exact search in
    # memory, keeps its dense results with the server down (tests/assistant/test_chroma_faults.py).
    retrieval = panel_settings.retrieval.model_copy(update={"exact_search_max": 0})
    settings = panel_settings.model_copy(update={"kb": kb, "retrieval": retrieval})
    with serving(create_app(settings)) as base:
        yield base, chroma_process


@pytest.mark.chroma_server
def test_the_panel_says_when_search_is_keywords_only_and_recovers(
    page: Page, chroma_panel: tuple[str, ChromaProcess]
) -> None:
    base, chroma = chroma_panel
    panel = login(page, base)
    banner = panel.locator("#retrieval-note")
    question = "Combien de jours de congés payés acquiert-on par mois ?"

    ask(panel, question)
    expect(banner).to_be_hidden()

    chroma.kill()
    ask(panel, question)
    expect(banner).to_be_visible()
    expect(banner).to_have_text(
        "Recherche sémantique indisponible : résultats par mots-clés seulement.", use_inner_text=True
    )
    expect(panel.locator("#draft")).not_to_have_value("")  # a draft all the same

    chroma.start()
    ask(panel, question)
    expect(banner).to_be_hidden()
