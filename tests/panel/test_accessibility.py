"""Accessibility of each state of the panel, checked with axe-core (bundled, run in Debian's Chromium),
plus what axe cannot see: the keyboard path through the page and the shortcuts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from tests.panel.conftest import login
from tests.panel.test_checking import ask_served, grouped_final
from tests.panel.test_no_draft_reply import UNCOVERED, out_of_scope
from tests.panel.test_panel_e2e import ARTIFACTS, ask, ask_drafted, center, shot

pytestmark = pytest.mark.browser

# WCAG 2.1 A/AA and axe's best practices; nothing is switched off.
AXE_OPTIONS: dict[str, Any] = {"resultTypes": ["violations"]}


def assert_accessible(page: Page, state: str) -> None:
    results = Axe().run(page, options=AXE_OPTIONS)
    violations = [
        {"rule": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results.response["violations"]
    ]
    if violations:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"axe-{state}.json").write_text(json.dumps(results.response["violations"], indent=1))
    assert violations == [], f"{state}: {violations}"


def test_login_page(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    expect(page.get_by_label("Jeton agent")).to_be_visible()
    assert_accessible(page, "login")
    page.get_by_label("Jeton agent").fill("wrong")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#login-status")).to_contain_text("401")
    assert_accessible(page, "login-refused")


def test_draft_with_a_source_and_the_preview_open(panel: Page) -> None:
    ask_drafted(panel)
    panel.locator("#citations button.toggle").first.click()
    panel.locator("#passage-1 summary").click()
    panel.mouse.click(*center(panel.locator("#draft-backdrop .cite").first))
    expect(panel.locator("#cite-preview")).to_be_visible()
    assert_accessible(panel, "drafted")


def test_feedback_forms_and_news(panel: Page) -> None:
    ask_drafted(panel)
    panel.keyboard.press("Alt+Shift+KeyN")
    expect(panel.locator("#down-form")).to_be_visible()
    panel.get_by_role("button", name="Envoyer l'avis").click()  # the error message shows too
    expect(panel.locator("#down-error")).to_be_visible()
    assert_accessible(panel, "thumbs-down")
    panel.keyboard.press("Alt+Shift+KeyX")
    expect(panel.locator("#discard-form")).to_be_visible()
    panel.locator("#news summary").click()
    expect(panel.locator("#news-list")).to_contain_text(
        "Des brouillons qui répondent d'abord"
    )  # docs/nouveautes.md
    shot(panel, "10-news-and-discard")
    assert_accessible(panel, "discard-and-news")


def test_checking_states(page: Page, live_server: str) -> None:
    """Grouped sources, the whole passage in the preview, a selected verdict, the note line, the
    confidence level, the shortcuts' help."""
    login(page, live_server)
    ask_served(page, grouped_final(level="moyenne", level_reason="Une partie de la question seulement."))
    page.locator("#citations button.toggle").first.click()
    page.locator("#passage-1 summary").first.click()
    page.locator("#thumb-up").click()
    page.mouse.click(*center(page.locator("#draft-backdrop .cite[data-n='4']")))
    page.get_by_role("button", name="Voir le passage entier").click()
    page.locator("#cite-preview summary").click()
    expect(page.locator("#cite-preview-full .why ul")).to_be_visible()
    assert_accessible(page, "checking")
    page.get_by_text("Raccourcis", exact=True).click()
    expect(page.locator("#shortcuts .keys")).to_be_visible()
    assert_accessible(page, "shortcuts-help")
    page.get_by_text("Raccourcis", exact=True).click()  # closes it
    page.get_by_role("button", name="Modifier").click()
    assert_accessible(page, "question-open-again")


def test_routed_and_control_states(panel: Page, control_server: tuple[str, FastAPI]) -> None:
    ask(panel, "Je suis harcelée par mon responsable, que faire ?")
    expect(panel.locator("#decision")).to_be_visible()
    assert_accessible(panel, "routed")
    base, _ = control_server
    login(panel, base)
    ask(panel, "Combien de jours de congés payés acquiert-on par mois ?")
    expect(panel.locator("#arm-note")).to_be_visible()
    assert_accessible(panel, "control")


def test_no_draft_states_and_the_forced_draft(panel: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reply box after an abstention (with « Proposer quand même »), an out-of-scope redirection,
    the routed « Que faire », and the forced draft's banner."""
    ask(panel, UNCOVERED)
    panel.get_by_label("Votre réponse (à rédiger)").fill("Bonjour, je me renseigne.")
    expect(panel.locator("#force")).to_be_visible()
    assert_accessible(panel, "reply-after-abstention")
    panel.get_by_role("button", name="Proposer quand même").click()
    expect(panel.locator("#forced-note")).to_be_visible()
    assert_accessible(panel, "forced-draft")
    ask(panel, "Mon chef me harcèle tous les jours, je n'en peux plus.")
    expect(panel.locator("#decision .todo")).to_be_visible()
    assert_accessible(panel, "routed-what-to-do")
    out_of_scope(monkeypatch)
    ask(panel, "Mon ordinateur portable ne démarre plus, qui dois-je appeler ?")
    expect(panel.locator("#decision .redirect")).to_be_visible()
    assert_accessible(panel, "out-of-scope")


def test_the_keyboard_reaches_everything_in_reading_order(panel: Page) -> None:
    ask_drafted(panel)
    panel.get_by_label("Question reçue").focus()
    order = []
    for _ in range(14):
        panel.keyboard.press("Tab")
        order.append(panel.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    # The question is one line once asked: « Modifier », then the draft and its actions.
    note = ["remove-note"] if panel.locator("#note-hint").is_visible() else []  # « ligne à supprimer »
    expected = ["edit-question", *note, "draft", "use", "regenerate", "discard", "thumb-up", "thumb-down"]
    assert order[: len(expected)] == expected
    assert any(str(o).startswith("[1]") for o in order[len(expected) :])  # then the sources

    panel.locator("#draft").focus()
    panel.keyboard.press("Alt+Shift+KeyX")  # a shortcut works from inside the draft
    expect(panel.get_by_label("Pourquoi écarter ce brouillon ?")).to_be_focused()
    panel.keyboard.press("Escape")  # closes the form, back to the draft
    expect(panel.locator("#discard-form")).to_be_hidden()
    expect(panel.locator("#draft")).to_be_focused()
