"""The panel's event queue against a store that refuses writes (503 store_unavailable with
Retry-After, here a lock held by another process): the event stays queued, is shown as waiting,
and is stored exactly once when the store accepts writes again."""

from __future__ import annotations

import sqlite3

from fastapi import FastAPI
from playwright.sync_api import Page, expect

from tests.panel.test_panel_e2e import ask_drafted, events, latest_draft_id, queue, wait_for


def test_a_locked_store_keeps_events_queued_until_they_are_stored_once(
    panel: Page, panel_app: FastAPI
) -> None:
    ask_drafted(panel)
    draft_id = latest_draft_id(panel_app)
    wait_for(lambda: events(panel_app, draft_id, "shown"))
    wait_for(lambda: not queue(panel) or None)

    database = panel_app.state.store.engine.url.database
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a backup or a stuck script holds the write lock
    try:
        with panel.expect_response(
            lambda r: r.url.endswith("/feedback/events") and r.status == 503, timeout=15000
        ):
            panel.keyboard.press("Alt+Shift+KeyU")  # « Utiliser ce brouillon » → a « sent » event
        queued = [e for e in queue(panel) if e["type"] == "sent"]
        assert len(queued) == 1 and queued[0]["draft_id"] == draft_id
        expect(panel.locator("#queue-status")).to_contain_text("1 événement(s) en attente")
        assert events(panel_app, draft_id, "sent") == []
    finally:
        other.execute("ROLLBACK")
        other.close()

    sent = wait_for(lambda: events(panel_app, draft_id, "sent"), timeout=20)
    assert len(sent) == 1 and sent[0].event_id == queued[0]["event_id"]
    wait_for(lambda: not queue(panel) or None)
    panel.wait_for_timeout(3500)  # one more flusher tick: nothing is sent twice
    assert len(events(panel_app, draft_id, "sent")) == 1
    expect(panel.locator("#queue-status")).to_have_text("")
