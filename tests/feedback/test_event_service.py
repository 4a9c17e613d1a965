"""EventService below the API: two writers (as two app processes would be) share one chain."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pytest
from pydantic import TypeAdapter

import feedback.drafts
from feedback import chain
from feedback.audit import verify
from feedback.db import make_engine, migrate
from feedback.drafts import DraftStore
from feedback.events import EventService, edit_distances
from feedback.keys import Pseudonymizer
from feedback.schemas import EventIn
from feedback.settings import FeedbackSettings
from tests.fixtures.audit_log import make_draft

EVENT = TypeAdapter(EventIn)


def test_two_writers_with_stale_heads_keep_one_valid_chain(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    draft_id = str(uuid.uuid4())
    draft = make_draft(draft_id)
    draft.agent_pseudonym = Pseudonymizer(b"k" * 32)("a")  # events go on the agent's own draft only
    DraftStore(engine).add(draft)
    services = [EventService(engine, FeedbackSettings(), Pseudonymizer(b"k" * 32), str) for _ in range(2)]
    for i in range(10):  # alternate: each service's cached head is stale every other time
        body = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "shown"}
        assert services[i % 2].record(EVENT.validate_python(body), "a").created
    report = verify(engine)
    assert report.ok and report.tree_size == 11  # the draft's entry, then the 10 events
    engine.dispose()


def test_edit_distances_are_normalised() -> None:
    assert edit_distances("abc def", "abc def") == (0.0, 0.0)
    char, word = edit_distances("le salarié a droit", "le salarié n'a pas droit")
    assert 0 < char < 1 and 0 < word < 1
    assert edit_distances("", "tout nouveau") == (1.0, 1.0)


def test_a_retry_reads_the_head_again_whatever_a_sibling_thread_cached(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes, several threads each: before every attempt of this process, the other one
    appends, and a sibling thread's commit has just cached the head it saw (now passed). A retry
    that trusted the cache collided on every attempt (a 503 under load); it reads the head again."""
    migrate(db_url)
    engine, other_engine = make_engine(db_url), make_engine(db_url)
    pseudonym = Pseudonymizer(b"k" * 32)
    draft_id = str(uuid.uuid4())
    draft = make_draft(draft_id)
    draft.agent_pseudonym = pseudonym("a")
    DraftStore(engine).add(draft)
    service = EventService(engine, FeedbackSettings(), pseudonym, str)
    real_lock = chain.lock_chain

    def other_process_appends_then_lock(conn: Any) -> None:
        with other_engine.connect() as c:
            head_seen_by_a_sibling = chain._head(c)
        counted = chain._appends  # the other process's appends are not counted in this one
        DraftStore(other_engine).add(make_draft(str(uuid.uuid4())))
        chain._appends = counted
        service._head._head, service._head._seen = head_seen_by_a_sibling, chain._appends
        real_lock(conn)

    monkeypatch.setattr(chain, "lock_chain", other_process_appends_then_lock)
    # the other process has its own writer lock (this one is held by the service meanwhile)
    monkeypatch.setattr(feedback.drafts, "writer_lock", contextlib.nullcontext)
    body = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "shown"}
    assert service.record(EVENT.validate_python(body), "a").created
    monkeypatch.undo()
    report = verify(engine)
    assert report.ok and report.tree_size == 4  # the draft, two other drafts, the event
    engine.dispose()
    other_engine.dispose()
