"""The side panel end to end: Debian's Chromium drives the real page against the live app."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.app import create_app
from assistant.settings import Settings
from feedback.models import DraftRecord, FeedbackEvent
from tests.fixtures.app import TOKENS
from tests.fixtures.server import free_port, serving
from tests.panel.conftest import login, with_drafting

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "panel"
QUEUE_KEY = "hra.panel.queue"
AI_MENTION = "Réponse préparée avec l'aide d'un outil d'IA"
T = TypeVar("T")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def wait_for(check: Callable[[], T | None], timeout: float = 10.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def events(app: FastAPI, draft_id: str, type_: str) -> list[FeedbackEvent]:
    with Session(app.state.store.engine) as s:
        query = select(FeedbackEvent).where(FeedbackEvent.draft_id == draft_id, FeedbackEvent.type == type_)
        return list(s.scalars(query))


def latest_draft_id(app: FastAPI) -> str:
    with Session(app.state.store.engine) as s:
        return s.scalars(select(DraftRecord.id).order_by(DraftRecord.created_at.desc()).limit(1)).one()


def draft_record(page: Page, base: str, draft_id: str) -> dict[str, Any]:
    res = page.request.get(
        f"{base}/api/v1/drafts/{draft_id}", headers={"Authorization": f"Bearer {TOKENS['agent']}"}
    )
    assert res.ok
    record: dict[str, Any] = res.json()
    return record


def ask(page: Page, question: str, *, shortcut: bool = False) -> None:
    page.get_by_label("Question reçue").fill(question)
    if shortcut:
        page.get_by_label("Question reçue").press("Control+Enter")
    else:
        page.get_by_role("button", name="Proposer").click()
    done = re.compile("Brouillon prêt|Aucun brouillon|Sources prêtes")  # drafted | none | control arm
    expect(page.locator("#status")).to_contain_text(done)


def ask_drafted(page: Page) -> None:
    ask(page, "Combien de jours de congés payés acquiert-on par mois ?")
    expect(page.locator("#draft")).to_have_value(re.compile(r"\[1\]"))


def center(locator: Locator) -> tuple[float, float]:
    """Where to point the mouse at a [n] of the backdrop: the textarea above it gets the event."""
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def set_hidden(page: Page, hidden: bool) -> None:
    """As if the agent switched to another tab (True) and back (False)."""
    page.evaluate(
        """(hidden) => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => hidden});
        document.dispatchEvent(new Event('visibilitychange')); }""",
        hidden,
    )


def queue(page: Page) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = page.evaluate(f"JSON.parse(localStorage.getItem('{QUEUE_KEY}') || '[]')")
    return value


def test_question_streams_a_cited_draft(panel: Page, live_server: str, panel_app: FastAPI) -> None:
    panel.evaluate(
        """() => { const status = document.getElementById('status'); window.__statuses = [];
        new MutationObserver(() => window.__statuses.push(status.textContent))
          .observe(status, {childList: true, characterData: true, subtree: true}); }"""
    )
    ask(panel, "Combien de jours de congés payés acquiert-on par mois ?", shortcut=True)

    assert "Rédaction en cours…" in panel.evaluate("window.__statuses")
    expect(panel.locator("#draft")).to_have_value(re.compile(r"\[1\]"))
    expect(panel.locator("#draft")).to_be_editable()
    expect(panel.locator("#arm-note")).to_be_hidden()
    for action in ("Utiliser", "Régénérer", "Écarter", "Utile", "Pas utile"):
        expect(panel.get_by_role("button", name=action, exact=False).first).to_be_visible()
    items = panel.locator("#citations > li")
    expect(items.first.locator("button.toggle")).to_have_text(
        re.compile(r"^\[1\] .+ — (1er|\d{1,2}) \S+ \d{4}")
    )
    link = items.first.get_by_role("link", name="Ouvrir la source")
    expect(link).to_have_attribute("href", re.compile(r"^https://example\.test/"))
    expect(link).to_have_attribute("rel", "noopener")
    expect(link).to_have_attribute("target", "_blank")

    draft_id = latest_draft_id(panel_app)
    record = draft_record(panel, live_server, draft_id)
    assert panel.locator("#draft").input_value() == record["text"]
    assert items.count() == len({c["doc_id"] for c in record["citations"]}) >= 1  # one entry per document
    expect(panel.locator("#level")).to_contain_text(re.compile("Confiance (élevée|moyenne|faible) — .+"))
    assert wait_for(lambda: events(panel_app, draft_id, "shown"))  # posted once displayed
    shot(panel, "1-drafted")


def test_citation_expands_to_the_whole_passage_with_the_cited_sentence_marked(
    panel: Page, live_server: str, panel_app: FastAPI
) -> None:
    ask_drafted(panel)
    record = draft_record(panel, live_server, latest_draft_id(panel_app))
    first = record["citations"][0]
    assert first["text"] is None  # the final record keeps the text in passages[]
    whole = next(p["text"] for p in record["passages"] if p["chunk_id"] == first["chunk_id"])

    expect(panel.locator("#passage-1")).to_be_hidden()
    panel.locator("#citations button.toggle").first.click()
    expect(panel.locator("#passage-1")).to_be_visible()
    expect(panel.locator("#citations button.toggle").first).to_have_attribute("aria-expanded", "true")
    expect(panel.locator("#passage-1 .passage")).to_have_text(whole)
    marks = panel.locator("#passage-1 mark").all_inner_texts()
    assert " ".join(marks) == first["cited_sentence"]  # sentences split by a heading: each marked
    panel.locator("#passage-1 summary").click()
    why = panel.locator("#passage-1 details")
    expect(why).to_contain_text("Mots de la question présents dans le passage")
    assert "bm25" not in why.inner_text()
    shot(panel, "2-citation-open")


def test_edited_draft_used_is_stored_with_timings(
    panel: Page, context: BrowserContext, live_server: str, panel_app: FastAPI
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    ask_drafted(panel)
    draft_id = latest_draft_id(panel_app)
    draft = panel.locator("#draft")
    panel.locator("#citations button.toggle").first.click()  # some time with a source open
    draft.focus()
    draft.press("Control+End")
    draft.press_sequentially(" Bien cordialement.", delay=20)
    edited = draft.input_value()
    panel.get_by_role("button", name="Utiliser").click()

    sent = wait_for(lambda: events(panel_app, draft_id, "sent"))
    assert len(sent) == 1
    payload = sent[0].payload
    assert payload is not None
    assert payload["final_text"] == edited and edited.endswith("Bien cordialement.")
    assert payload["ai_mention_kept"] is (AI_MENTION in edited)
    timings = payload["timings"]
    assert set(timings) == {"ms_to_first_edit", "active_edit_ms", "sources_open_ms", "ms_to_send"}
    assert all(isinstance(v, int) and v >= 0 for v in timings.values())
    assert timings["ms_to_send"] >= timings["ms_to_first_edit"] and timings["active_edit_ms"] > 0
    assert wait_for(lambda: events(panel_app, draft_id, "edit_started"))
    expect(panel.get_by_role("button", name="Utiliser")).to_be_disabled()
    expect(panel.locator("#action-status")).to_contain_text("copiée dans le presse-papiers")
    assert panel.evaluate("navigator.clipboard.readText()") == edited
    shot(panel, "3-sent")


def test_thumbs_down_stores_reasons_and_expected_answer(panel: Page, panel_app: FastAPI) -> None:
    ask_drafted(panel)
    draft_id = latest_draft_id(panel_app)
    panel.keyboard.press("Alt+Shift+KeyN")
    form = panel.locator("#down-form")
    expect(form).to_be_visible()
    form.get_by_role("button", name="Envoyer l'avis").click()
    expect(panel.locator("#down-error")).to_have_text("Cochez au moins une raison.")
    form.get_by_label("Information périmée").check()
    form.get_by_label("Trop long").check()
    form.get_by_label("Commentaire").fill("Le délai a changé.")
    form.get_by_label("Réponse attendue").fill("Le salarié acquiert 2,5 jours ouvrables par mois.")
    shot(panel, "4-thumbs-down-form")
    form.get_by_role("button", name="Envoyer l'avis").click()

    verdict = wait_for(lambda: events(panel_app, draft_id, "verdict"))
    assert len(verdict) == 1 and verdict[0].payload is not None
    payload = verdict[0].payload
    assert payload["value"] == "down"
    assert payload["reasons"] == ["outdated", "too_long"]
    assert payload["comment"] == "Le délai a changé."
    assert payload["expected_answer"] == "Le salarié acquiert 2,5 jours ouvrables par mois."
    expect(form).to_be_hidden()


@pytest.mark.parametrize(
    ("question", "kind", "title", "screenshot"),
    [
        (
            "Je suis harcelée par mon responsable, que faire ?",
            "routed_to_human",
            "À traiter par une personne",
            "5-routed-to-human",
        ),
        (
            "Quelle est la meilleure recette de tarte tatin aux pommes caramélisées ?",
            "abstained",
            "Pas de brouillon : les sources ne suffisent pas.",
            "5b-abstained",
        ),
    ],
)
def test_no_draft_shows_the_reason_and_the_passages(
    panel: Page, live_server: str, panel_app: FastAPI, question: str, kind: str, title: str, screenshot: str
) -> None:
    ask(panel, question)
    record = draft_record(panel, live_server, latest_draft_id(panel_app))
    assert record["decision"]["kind"] == kind and record["text"] is None

    decision = panel.locator("#decision")
    expect(decision).to_be_visible()
    expect(decision).to_contain_text(title)
    reason = re.sub(r"\s*\([^()]*\d\.\d+ < \d\.\d+\)", "", record["decision"]["reason"])
    for part in reason.split("Que faire :"):  # the « Que faire » of a routing has its own line
        expect(decision).to_contain_text(part.strip())
    assert not re.search(r"\d\.\d", decision.inner_text())  # no "0.47 < 0.48" for the agent
    if kind == "abstained":
        expect(panel.locator("#level")).to_contain_text("Confiance faible")
    else:  # routing does not depend on retrieval: no confidence shown, what to do in full
        expect(panel.locator("#level")).to_be_hidden()
        expect(decision.locator(".todo")).to_contain_text(re.compile(r"^Que faire : .{40,}"))
    # The agent keeps control: the reply is written in the same box, « Utiliser » records it.
    expect(panel.get_by_label("Votre réponse (à rédiger)")).to_be_editable()
    expect(panel.get_by_role("button", name="Utiliser")).to_be_enabled()
    expect(panel.locator("#regenerate")).to_be_hidden()
    if kind == "abstained":  # « Proposer quand même » after an abstention, never after a routing
        expect(panel.locator("#force")).to_be_visible()
    else:
        expect(panel.locator("#force")).to_be_hidden()
    expect(panel.locator("#citations > li")).to_have_count(max(len(record["passages"]), 1))
    shot(panel, screenshot)


def test_markup_in_questions_and_sources_stays_inert(
    panel: Page, live_server: str, panel_app: FastAPI
) -> None:
    question = 'Préavis de démission <img src=x onerror="window.__xss=1">'
    ask(panel, question)
    record = draft_record(panel, live_server, latest_draft_id(panel_app))
    for toggle in panel.locator("#citations button.toggle").all():
        toggle.click()

    assert record["question_masked"] == question
    expect(panel.get_by_label("Question reçue")).to_have_value(question)  # a textarea: only text
    hostile = panel.locator("#citations li", has_text="Préavis de démission <img")
    expect(hostile).to_have_count(1)  # the title is shown as text, tags included
    expect(hostile.get_by_role("link", name="Ouvrir la source")).to_have_attribute("href", "#")
    expect(hostile.locator(".passage")).to_contain_text("<script>window.__xss='text'</script>")
    assert panel.locator("#result img, #result script").count() == 0
    panel.wait_for_timeout(300)  # time for any injected handler to have fired
    assert panel.evaluate("typeof window.__xss") == "undefined"
    shot(panel, "6-markup-inert")


def test_events_queue_offline_and_are_sent_once_back_online(
    panel: Page, context: BrowserContext, panel_app: FastAPI
) -> None:
    ask_drafted(panel)
    draft_id = latest_draft_id(panel_app)
    wait_for(lambda: events(panel_app, draft_id, "shown"))
    wait_for(lambda: not queue(panel) or None)

    context.set_offline(True)
    panel.keyboard.press("Alt+Shift+KeyU")
    queued = wait_for(lambda: [e for e in queue(panel) if e["type"] == "sent"] or None)
    assert queued[0]["draft_id"] == draft_id and "agent_id" not in queued[0]  # the token says who
    panel.wait_for_timeout(500)  # a failed flush attempt has happened by now
    assert [e for e in queue(panel) if e["type"] == "sent"] == queued
    assert events(panel_app, draft_id, "sent") == []
    expect(panel.locator("#queue-status")).to_contain_text("1 événement(s) en attente")
    shot(panel, "7-offline-queued")

    context.set_offline(False)
    sent = wait_for(lambda: events(panel_app, draft_id, "sent"))
    assert len(sent) == 1 and sent[0].event_id == queued[0]["event_id"]
    wait_for(lambda: not queue(panel) or None)
    panel.wait_for_timeout(3500)  # one more flusher tick: nothing is sent twice
    assert len(events(panel_app, draft_id, "sent")) == 1
    expect(panel.locator("#queue-status")).to_have_text("")


def test_the_token_alone_says_who_the_agent_is(panel: Page, panel_app: FastAPI) -> None:
    """No agent id is typed or sent: events land under the token's pseudonym, and an event queued by
    an older panel (with agent_id, now refused by the server) is still delivered, without it."""
    expect(panel.locator("#agent-id")).to_have_count(0)
    ask_drafted(panel)
    draft_id = latest_draft_id(panel_app)
    (shown,) = wait_for(lambda: events(panel_app, draft_id, "shown"))
    assert shown.agent_pseudonym == panel_app.state.events.pseudonym("agent-1")
    old = {
        "event_id": "5b0c7a3e-0000-4000-8000-000000000001",
        "draft_id": draft_id,
        "agent_id": "someone-else",
        "type": "edit_started",
    }
    panel.evaluate("e => localStorage.setItem('hra.panel.queue', JSON.stringify([e]))", old)
    (delivered,) = wait_for(lambda: events(panel_app, draft_id, "edit_started"))
    assert delivered.event_id == old["event_id"] and delivered.agent_pseudonym == shown.agent_pseudonym


def test_a_wrong_token_is_refused_with_a_clear_message(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    expect(page).to_have_url(f"{live_server}/panel/")
    page.get_by_label("Jeton agent").fill("not-a-valid-token")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#login-status")).to_contain_text("Jeton refusé (401)")
    expect(page.get_by_label("Question reçue")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('hra.panel.token')") is None
    shot(page, "0-login-refused")


def test_a_citation_in_the_text_shows_its_sentence_on_click_and_on_hover(
    panel: Page, live_server: str, panel_app: FastAPI
) -> None:
    ask_drafted(panel)
    draft_id = latest_draft_id(panel_app)
    record = draft_record(panel, live_server, draft_id)
    sentence = {str(c["n"]): c["cited_sentence"] for c in record["citations"]}
    cites = panel.locator("#draft-backdrop .cite")
    expect(cites.first).to_have_text("[1]")

    panel.mouse.click(*center(cites.first))  # lands in the textarea, caret inside the [1]
    preview = panel.locator("#cite-preview")
    expect(preview).to_be_visible()
    expect(preview.locator(".preview-quote mark")).to_have_text(sentence["1"])
    expect(preview).to_contain_text(record["citations"][0]["title"])
    expect(preview.get_by_role("link", name="Ouvrir la source")).to_have_attribute(
        "href", record["citations"][0]["url"]
    )
    shot(panel, "2b-citation-preview")

    other = panel.locator("#draft-backdrop .cite:not([data-n='1'])")
    if other.count():  # hovering another [n] shows that one
        n = other.first.get_attribute("data-n")
        assert n is not None
        panel.mouse.move(*center(other.first))
        expect(preview).to_contain_text(f"[{n}]")
        expect(preview.locator(".preview-quote mark")).to_have_text(sentence[n])

    panel.wait_for_timeout(400)
    panel.locator("#draft").press("End")
    panel.locator("#draft").type(" Merci.")  # editing closes the preview: its time is recorded
    expect(preview).to_be_hidden()
    opened = wait_for(lambda: events(panel_app, draft_id, "sources_opened"))
    assert opened[-1].payload is not None and opened[-1].payload["duration_ms"] >= 300


def test_flags_from_the_checks_are_highlighted_in_the_text(
    page: Page, llm_server: tuple[str, FastAPI]
) -> None:
    base, _ = llm_server
    login(page, base)
    ask(page, "Combien de jours de congés payés acquiert-on par mois ?")

    expect(page.locator("#draft")).to_have_value(re.compile("45 jours"))
    marked = page.locator("#draft-backdrop mark.flag")
    expect(marked.first).to_be_attached()
    texts = marked.all_inner_texts()
    assert "45" in " ".join(texts) and "https://intranet.example/conges" in " ".join(texts)
    assert "0,37 PMSS" in texts  # a figure of no pattern's shape, absent from the sources
    flags = page.locator("#flags li")
    expect(flags.first).to_be_visible()
    assert flags.count() >= 3
    expect(page.locator("#flags")).to_contain_text("Chiffre absent des passages cités")
    shot(page, "8-flags-highlighted")


def test_control_arm_shows_passages_only_and_records_the_same_timings(
    page: Page, control_server: tuple[str, FastAPI]
) -> None:
    base, app = control_server
    login(page, base)
    ask(page, "Combien de jours de congés payés acquiert-on par mois ?")
    draft_id = latest_draft_id(app)
    record = draft_record(page, base, draft_id)
    assert record["arm"] == "control" and record["text"] is None

    expect(page.locator("#arm-note")).to_be_visible()
    expect(page.locator("#arm-note")).to_contain_text("tirée au sort pour mesurer le temps gagné")
    reply = page.get_by_label("Votre réponse (à rédiger)")
    expect(reply).to_have_value("")
    expect(reply).to_be_editable()
    for hidden in ("#regenerate", "#discard", "#thumb-up", "#thumb-down"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("#citations > li")).to_have_count(len(record["passages"]))
    wait_for(lambda: events(app, draft_id, "shown"))

    page.locator("#citations button.toggle").first.click()
    reply.click()
    reply.press_sequentially("Bonjour, vous acquérez 2,5 jours ouvrables par mois.", delay=15)
    shot(page, "9-control-arm")
    page.get_by_role("button", name="Utiliser").click()

    sent = wait_for(lambda: events(app, draft_id, "sent"))
    assert len(sent) == 1 and sent[0].payload is not None and sent[0].outcome == "unassisted"
    payload = sent[0].payload
    assert payload["final_text"] == "Bonjour, vous acquérez 2,5 jours ouvrables par mois."
    assert "ai_mention_kept" not in payload
    timings = payload["timings"]
    assert timings["ms_to_first_edit"] is not None and timings["active_edit_ms"] > 0
    assert timings["sources_open_ms"] > 0 and timings["ms_to_send"] >= timings["ms_to_first_edit"]
    assert wait_for(lambda: events(app, draft_id, "edit_started"))


def test_regenerate_asks_again_and_links_the_new_draft_to_the_old(
    panel: Page, live_server: str, panel_app: FastAPI
) -> None:
    ask_drafted(panel)
    first = latest_draft_id(panel_app)
    wait_for(lambda: events(panel_app, first, "shown"))

    panel.keyboard.press("Alt+Shift+KeyR")
    second = wait_for(lambda: (d := latest_draft_id(panel_app)) != first and d)
    expect(panel.locator("#status")).to_contain_text("Brouillon prêt")
    regenerated = wait_for(lambda: events(panel_app, first, "regenerated"))
    assert regenerated[0].payload is not None and "ms_to_send" in regenerated[0].payload["timings"]
    record = draft_record(panel, live_server, second)
    assert record["regenerated_from"] == first and record["arm"] == "assisted"
    expect(panel.locator("#draft")).to_have_value(record["text"])
    expect(panel.get_by_role("button", name="Utiliser")).to_be_enabled()
    # The offline drafter is deterministic: the agent is told why nothing changed.
    assert record["text"] == draft_record(panel, live_server, first)["text"]
    expect(panel.locator("#status")).to_contain_text("Même texte qu'avant")


def test_server_down_during_use_the_event_waits_and_arrives_once_after_restart(
    page: Page, panel_settings: Settings
) -> None:
    port = free_port()  # the same origin before and after the restart: the queue is per origin
    settings = with_drafting(panel_settings, control_share=0.0)
    with serving(create_app(settings), port) as base:
        login(page, base)
        ask_drafted(page)
        app_draft = page.evaluate("document.getElementById('draft').value")
        assert app_draft
        wait_for(lambda: not queue(page) or None)  # "shown" is delivered
    # The server is stopped now.
    page.get_by_role("button", name="Utiliser").click()
    queued = wait_for(lambda: [e for e in queue(page) if e["type"] == "sent"] or None)
    page.wait_for_timeout(3500)  # at least one retry has failed
    assert [e for e in queue(page) if e["type"] == "sent"] == queued
    expect(page.locator("#queue-status")).to_contain_text("en attente")
    shot(page, "7b-server-down-queued")

    restarted = create_app(settings)
    with serving(restarted, port):
        sent = wait_for(lambda: events(restarted, queued[0]["draft_id"], "sent"), timeout=15)
        wait_for(lambda: not queue(page) or None)
        page.wait_for_timeout(3500)  # another flusher tick: nothing is sent twice
        sent = events(restarted, queued[0]["draft_id"], "sent")
    assert len(sent) == 1 and sent[0].event_id == queued[0]["event_id"]
    assert sent[0].payload is not None and sent[0].payload["final_text"] == queued[0]["final_text"]


def test_pauses_over_thirty_seconds_are_not_editing_time(
    page: Page, live_server: str, panel_app: FastAPI
) -> None:
    page.clock.install()  # the page's clock (Date, timers, performance.now) is the test's to move
    login(page, live_server)
    ask_drafted(page)
    draft_id = latest_draft_id(panel_app)
    draft = page.locator("#draft")
    draft.focus()
    draft.press("Control+End")

    draft.type("A")  # first edit
    page.clock.fast_forward(10_000)
    draft.type("B")  # 10 s later: editing
    page.clock.fast_forward(45_000)
    draft.type("C")  # 45 s later: the agent was away, not editing
    page.clock.fast_forward(20_000)
    draft.type("D")  # 20 s later: editing
    page.get_by_role("button", name="Utiliser").click()

    timings = wait_for(lambda: events(panel_app, draft_id, "sent"))[0].payload["timings"]  # type: ignore[index]
    assert 30_000 <= timings["active_edit_ms"] < 31_000  # 10 s + 20 s, not the 45 s pause
    assert timings["ms_to_send"] >= 75_000 + timings["ms_to_first_edit"]


def test_a_token_without_the_agent_role_goes_to_its_own_page(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    page.get_by_label("Jeton agent").fill(TOKENS["rep"])  # a representative's token: read-only views
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/reps/"))  # the representatives' space, never the panel
    expect(page.get_by_label("Question reçue")).to_have_count(0)


def test_time_with_the_page_hidden_is_not_counted_as_reading_a_source(
    page: Page, live_server: str, panel_app: FastAPI
) -> None:
    page.clock.install()
    login(page, live_server)
    ask_drafted(page)
    draft_id = latest_draft_id(panel_app)
    page.locator("#citations button.toggle").first.click()
    page.clock.fast_forward(5_000)  # reading the passage
    set_hidden(page, True)
    page.clock.fast_forward(60_000)  # the agent is in another tab
    set_hidden(page, False)
    page.clock.fast_forward(3_000)  # reading again
    page.get_by_role("button", name="Utiliser").click()

    timings = wait_for(lambda: events(panel_app, draft_id, "sent"))[0].payload["timings"]  # type: ignore[index]
    assert 8_000 <= timings["sources_open_ms"] < 9_000  # 5 s + 3 s, not the minute away
    opened = wait_for(lambda: events(panel_app, draft_id, "sources_opened"))
    assert opened[0].payload is not None and 8_000 <= opened[0].payload["duration_ms"] < 9_000
