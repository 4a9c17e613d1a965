"""The agent keeps control after a refusal: after an abstention or a routing the reply is written in
the same box and « Utiliser » records it; after an abstention (only) « Proposer quand même » asks for a
draft anyway, shown under a low-confidence banner; an out-of-scope question says where to redirect."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

import assistant.services.drafting as drafting
from assistant.pipeline.router import RouterThresholds, RouterVerdict
from tests.panel.conftest import login
from tests.panel.test_panel_e2e import ask, draft_record, events, latest_draft_id, shot, wait_for

pytestmark = pytest.mark.browser

UNCOVERED = "Quelle est la meilleure recette de tarte tatin aux pommes caramélisées ?"
SENSITIVE = "Mon chef me harcèle tous les jours, je n'en peux plus."
REPLY = "Bonjour, cette question ne relève pas de notre service : je vous transmets le bon contact."
BANNER = "Brouillon proposé à votre demande malgré une couverture insuffisante — vérifiez chaque phrase"


def out_of_scope(monkeypatch: pytest.MonkeyPatch, topic: str = "informatique") -> None:
    """The semantic router needs the bundled embedders, which the fake-embedder index lacks: its
    reading is replaced by one that says « out of scope », the rest of the decision is real."""
    verdict = RouterVerdict(sensitive=0.01, category=None, out_of_scope=0.97, topic=topic)
    thresholds = RouterThresholds(sensitive=0.9, sensitive_low=0.8, out_of_scope=0.6)

    def read_meaning(*_: Any) -> tuple[RouterVerdict, RouterThresholds]:
        return verdict, thresholds

    monkeypatch.setattr(drafting, "read_meaning", read_meaning)


def test_after_an_abstention_the_agent_writes_the_reply_and_uses_it(panel: Page, panel_app: FastAPI) -> None:
    ask(panel, UNCOVERED)
    draft_id = latest_draft_id(panel_app)
    expect(panel.locator("#decision")).to_contain_text("Pas de brouillon")
    expect(panel.locator("#decision")).to_contain_text("Rédigez votre réponse ci-dessous")
    reply = panel.get_by_label("Votre réponse (à rédiger)")
    expect(reply).to_be_editable()
    expect(reply).to_have_value("")
    expect(panel.locator("#draft-help")).to_be_hidden()
    for hidden in ("#regenerate", "#discard", "#arm-note"):
        expect(panel.locator(hidden)).to_be_hidden()
    wait_for(lambda: events(panel_app, draft_id, "shown"))

    reply.click()
    reply.press_sequentially(REPLY, delay=5)
    shot(panel, "5d-reply-after-abstention")
    panel.get_by_role("button", name="Utiliser").click()

    sent = wait_for(lambda: events(panel_app, draft_id, "sent"))
    assert len(sent) == 1 and sent[0].outcome == "no_draft"  # nothing drafted to compare with
    assert sent[0].payload is not None and sent[0].payload["final_text"] == REPLY
    assert "ai_mention_kept" not in sent[0].payload
    assert sent[0].payload["timings"]["active_edit_ms"] > 0
    expect(panel.locator("#action-status")).to_contain_text("Réponse")


def test_after_a_routing_the_reply_box_shows_what_to_do_and_no_draft_on_request(
    panel: Page, panel_app: FastAPI
) -> None:
    ask(panel, SENSITIVE)
    draft_id = latest_draft_id(panel_app)
    decision = panel.locator("#decision")
    expect(decision).to_contain_text("À traiter par une personne")
    todo = decision.locator(".todo")
    expect(todo).to_be_visible()
    expect(todo).to_contain_text(re.compile(r"^Que faire : .{40,}\.\s*$"))  # in full, not truncated
    expect(panel.locator("#force")).to_be_hidden()
    panel.keyboard.press("Alt+Shift+KeyQ")  # the shortcut does nothing either
    expect(panel.locator("#status")).to_contain_text("Aucun brouillon")
    assert latest_draft_id(panel_app) == draft_id

    reply = panel.get_by_label("Votre réponse (à rédiger)")
    reply.fill("Bonjour, je vous appelle aujourd'hui pour en parler de vive voix.")
    panel.get_by_role("button", name="Utiliser").click()
    sent = wait_for(lambda: events(panel_app, draft_id, "sent"))
    assert sent[0].outcome == "no_draft"


def test_propose_anyway_after_an_abstention_gives_a_forced_draft_under_a_banner(
    panel: Page, live_server: str, panel_app: FastAPI
) -> None:
    ask(panel, UNCOVERED)
    abstained = latest_draft_id(panel_app)
    expect(panel.locator("#forced-note")).to_be_hidden()
    force = panel.get_by_role("button", name="Proposer quand même")
    expect(force).to_be_enabled()
    expect(force).to_have_attribute("aria-keyshortcuts", "Alt+Shift+Q")

    panel.locator("#draft").focus()
    panel.keyboard.press("Alt+Shift+KeyQ")

    forced = wait_for(lambda: (d := latest_draft_id(panel_app)) != abstained and d)
    expect(panel.locator("#status")).to_contain_text("Brouillon prêt")
    record = draft_record(panel, live_server, forced)
    assert record["forced"] is True and record["regenerated_from"] == abstained
    assert record["decision"]["kind"] == "drafted" and record["decision"]["level"] == "faible"
    banner = panel.locator("#forced-note")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(BANNER)
    expect(panel.locator("#level")).to_be_hidden()  # the banner says it, once
    expect(panel.locator("#decision")).to_be_hidden()
    expect(panel.get_by_label("Brouillon (modifiable)")).to_have_value(record["text"])
    expect(force).to_be_hidden()
    expect(panel.locator("#regenerate")).to_be_hidden()  # it would only abstain again
    expect(panel.get_by_role("button", name="Utiliser")).to_be_enabled()
    shot(panel, "5e-forced-draft")

    # A new question: the banner goes.
    ask(panel, "Combien de jours de congés payés acquiert-on par mois ?")
    expect(banner).to_be_hidden()
    expect(panel.locator("#level")).to_be_visible()


def test_an_out_of_scope_question_says_where_to_redirect(
    panel: Page, live_server: str, panel_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    out_of_scope(monkeypatch)
    ask(panel, "Mon ordinateur portable ne démarre plus, qui dois-je appeler ?")
    record = draft_record(panel, live_server, latest_draft_id(panel_app))
    assert record["decision"]["kind"] == "abstained"

    decision = panel.locator("#decision")
    expect(decision).to_have_attribute("data-kind", "out-of-scope")
    expect(decision.locator("strong").first).to_have_text("Hors du champ RH : orientez la personne.")
    expect(decision.locator(".redirect")).to_have_text(
        re.compile(r"^Cette question relève du service informatique")
    )
    expect(panel.locator("#level")).to_be_hidden()  # not a question of sources
    expect(panel.get_by_label("Votre réponse (à rédiger)")).to_be_editable()
    expect(panel.get_by_role("button", name="Utiliser")).to_be_enabled()
    shot(panel, "5c-out-of-scope")


def test_the_control_arm_never_offers_a_draft_on_request(
    page: Page, control_server: tuple[str, FastAPI]
) -> None:
    base, app = control_server
    login(page, base)
    ask(page, UNCOVERED)
    record = draft_record(page, base, latest_draft_id(app))
    assert record["arm"] == "control" and record["decision"]["kind"] == "abstained"
    expect(page.locator("#arm-note")).to_be_visible()
    expect(page.locator("#force")).to_be_hidden()
    expect(page.get_by_label("Votre réponse (à rédiger)")).to_be_editable()
