"""A feedback writer for tests/feedback/test_store_faults.py: drafts and events through the real
services (DraftStore, EventService) into the store at argv[1], forever, until the test SIGKILLs it.

Prints ``READY`` once connected, then ``D <draft id>`` / ``E <event id>`` after each commit returned
(flushed at once: a line means the write was acknowledged, as the API's 201 would)."""

from __future__ import annotations

import random
import sys
import uuid
from datetime import UTC, datetime

from pydantic import TypeAdapter
from sqlalchemy import text

from feedback.db import make_engine
from feedback.drafts import DraftStore
from feedback.events import EventService
from feedback.keys import Pseudonymizer
from feedback.schemas import EventIn
from feedback.settings import FeedbackSettings
from tests.fixtures.audit_log import make_draft

KINDS = ("shown", "edit_started", "sources_opened", "discarded")


def body(draft_id: str, kind: str, rng: random.Random) -> dict[str, object]:
    extra: dict[str, object] = {"duration_ms": rng.randint(1, 9000)} if kind == "sources_opened" else {}
    if kind == "discarded":
        extra = {"reason": "hors sujet"}
    return {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": kind, **extra}


def main(url: str, seed: int) -> None:
    rng = random.Random(seed)
    engine = make_engine(url, lock_timeout_s=10)
    with engine.connect() as c:
        c.execute(text("SELECT 1"))
    store = DraftStore(engine)
    events = EventService(engine, FeedbackSettings(), Pseudonymizer(b"w" * 32), str)
    adapter = TypeAdapter(EventIn)
    print("READY", flush=True)
    while True:
        draft = make_draft(str(uuid.uuid4()))
        draft.created_at = datetime.now(UTC)
        draft.agent_pseudonym = events.pseudonym("writer")
        store.add(draft)
        print(f"D {draft.id}", flush=True)
        for _ in range(rng.randint(1, 4)):
            event = body(draft.id, rng.choice(KINDS), rng)
            events.record(adapter.validate_python(event), "writer")
            print(f"E {event['event_id']}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
