"""EventService below the API: two writers (as two app processes would be) share one chain."""

from __future__ import annotations

import uuid

from pydantic import TypeAdapter

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
