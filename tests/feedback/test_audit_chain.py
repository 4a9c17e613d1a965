"""The audit chain against an attacker with write access to the database.

Every probe starts from a fresh 30-event log (a real alembic-migrated SQLite file, events appended
through chain.append), tampers with it one way, and must be detected — at the right entry where a
position exists. Truncation and full rewrites leave a self-consistent chain, so those probes are
run the way they would be caught in practice: against a checkpoint signed before the tampering.
Then the other side: no false alarm on an untouched 10,000-event log, before and after a purge.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from feedback import chain
from feedback.audit import (
    AuditError,
    Checkpoint,
    event_canonical,
    iso_utc,
    key_id,
    latest_checkpoint,
    make_checkpoint,
    purge,
    sign_checkpoint,
    verify,
    verify_signature,
)
from feedback.cli import audit_app
from feedback.models import AuditEntry, FeedbackEvent
from tests.fixtures.audit_log import (
    BASE_TIME,
    OTHER_DRAFT_ID,
    STEP,
    event_id_of,
    make_draft,
    make_event,
    migrated_engine,
    populate,
)

KEY = bytes(range(32))
OTHER_KEY = b"\x07" * 32
N = 30


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated, populated 30-event file, copied for each test (alembic once, not 60 times)."""
    path = tmp_path_factory.mktemp("audit") / "template.sqlite"
    engine = migrated_engine(path)
    populate(engine, N)
    engine.dispose()  # last connection closed: the WAL is checkpointed into the file
    return path


@pytest.fixture
def log(template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "hra.sqlite"
    shutil.copy(template, path)
    engine = migrated_engine(path)  # no-op upgrade, and proves the copy is at head
    yield engine
    engine.dispose()


def other_log(tmp_path: Path, n: int) -> Engine:
    """A different log (other agents and payloads) of n events."""
    engine = migrated_engine(tmp_path / f"other-{n}.sqlite")
    populate(engine, n, tag="other")
    return engine


# --------------------------------------------------------------------------- attacker's tools


def sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def entry(engine: Engine, seq: int) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM audit_log WHERE seq = :s"), {"s": seq}).mappings().one())


def set_entry(engine: Engine, seq: int, **columns: Any) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    sql(engine, f"UPDATE audit_log SET {assignments} WHERE seq = :seq", seq=seq, **columns)


def flip(hex_or_text: str, at: int = 10) -> str:
    """Change one character (hex stays hex)."""
    old = hex_or_text[at]
    new = "0" if old != "0" else "1"
    return hex_or_text[:at] + new + hex_or_text[at + 1 :]


def edit_event(engine: Engine, seq: int, **changes: Any) -> None:
    """Through the ORM, as an admin with a SQL client and the models would."""
    with Session(engine) as session, session.begin():
        event = session.get(FeedbackEvent, event_id_of(seq))
        assert event is not None
        for name, value in changes.items():
            setattr(event, name, value(getattr(event, name)) if callable(value) else value)


def edit_payload(engine: Engine, seq: int, mutate: Callable[[dict[str, Any]], None]) -> None:
    def changed(payload: dict[str, Any]) -> dict[str, Any]:
        copy = dict(payload)
        mutate(copy)
        return copy

    edit_event(engine, seq, payload=changed)


def append_forged(engine: Engine, i: int, *, prev: str | None = None, canonical: str | None = None) -> None:
    """Add event i with an entry at the end: linked correctly unless ``prev`` is given."""
    event = make_event(i)
    with Session(engine) as session, session.begin():
        session.add(event)
        session.flush()
        made = chain.append(session, event.event_id, canonical or event_canonical(event))
        if prev is not None:
            forged = {"prev_hash": prev, "entry_hash": chain.chain_hash(prev, made["content_digest"])}
            session.execute(update(AuditEntry).where(AuditEntry.seq == made["seq"]).values(**forged))


def shift_entries(engine: Engine, from_seq: int, by: int) -> None:
    # Two steps so the primary key never collides mid-update.
    sql(engine, "UPDATE audit_log SET seq = seq + 100000 WHERE seq >= :s", s=from_seq)
    sql(engine, "UPDATE audit_log SET seq = seq - 100000 + :by WHERE seq >= 100000", by=by)


def rechain(engine: Engine) -> None:
    """The 'perfect' rewrite: renumber 1…n, re-derive every canonical from the event rows as they
    are now, recompute every digest and hash. Only a checkpoint can tell."""
    with Session(engine) as session, session.begin():
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        rows = [(e.event_id, e.canonical, e.content_digest, e.recorded_at) for e in entries]
        for e in entries:
            session.delete(e)
        session.flush()
        prev = chain.GENESIS
        for seq, (event_id, canonical, digest, recorded_at) in enumerate(rows, start=1):
            event = session.get(FeedbackEvent, event_id)
            if event is not None and canonical is not None:
                canonical = event_canonical(event)
                digest = chain.sha256_hex(canonical)
            entry_hash = chain.chain_hash(prev, digest)
            session.add(
                AuditEntry(
                    seq=seq,
                    event_id=event_id,
                    canonical=canonical,
                    content_digest=digest,
                    prev_hash=prev,
                    entry_hash=entry_hash,
                    recorded_at=recorded_at,
                )
            )
            prev = entry_hash


def delete_entry(engine: Engine, seq: int) -> None:
    sql(engine, "DELETE FROM audit_log WHERE seq = :s", s=seq)


def delete_event(engine: Engine, seq: int) -> None:
    sql(engine, "DELETE FROM feedback_events WHERE event_id = :e", e=event_id_of(seq))


def truncate(engine: Engine, k: int) -> None:
    for seq in range(N - k + 1, N + 1):
        delete_entry(engine, seq)
        delete_event(engine, seq)


def purge_up_to(engine: Engine, seq: int) -> int:
    return purge(engine, BASE_TIME + (seq + 1) * STEP - timedelta(microseconds=1))


def add_other_draft(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add(make_draft(OTHER_DRAFT_ID))


# --------------------------------------------------------------------------- the probes

Tamper = Callable[[Engine, Checkpoint, Path], Checkpoint | None]


@dataclass(frozen=True)
class Probe:
    tamper: Tamper  # returns a checkpoint to present instead of the honest one, or None
    seq: int | None  # expected first_broken_seq
    says: str  # expected in the English half of the reason
    only_with_checkpoint: bool = False  # a self-consistent chain: caught by the checkpoint alone
    key: bytes | None = KEY


def log_only(*steps: Callable[[Engine], object]) -> Tamper:
    """Tamper with the log only (the honest checkpoint is presented), step by step."""

    def tamper(engine: Engine, _: Checkpoint, __: Path) -> None:
        for step in steps:
            step(engine)

    return tamper


EVENT_CHANGED = "differs from the recorded content"
DIGEST = "content digest mismatch"
ENTRY_HASH = "entry hash mismatch"
NO_MATCH = "checkpoint does not match this log"


def _rewrite_entry(engine: Engine, seq: int) -> None:
    """Entry `seq` made self-consistent for a changed event, the next link left as it was."""
    edit_payload(engine, seq, lambda p: p.update(tag="x"))
    with Session(engine) as session:
        canonical = event_canonical(session.get_one(FeedbackEvent, event_id_of(seq)))
    digest = chain.sha256_hex(canonical)
    set_entry(
        engine,
        seq,
        canonical=canonical,
        content_digest=digest,
        entry_hash=chain.chain_hash(entry(engine, seq)["prev_hash"], digest),
    )


def _forge_in_middle(engine: Engine, with_event: bool) -> None:
    shift_entries(engine, 15, 1)
    forged = make_event(77)
    canonical, forged_id = event_canonical(forged), forged.event_id  # read before commit expires it
    if with_event:
        with Session(engine) as session, session.begin():
            session.add(forged)
    prev = entry(engine, 14)["entry_hash"]
    digest = chain.sha256_hex(canonical)
    sql(
        engine,
        "INSERT INTO audit_log VALUES (15, :e, :c, :d, :p, :h, '2026-01-06 00:00:00.000000')",
        e=forged_id,
        c=canonical,
        d=digest,
        p=prev,
        h=chain.chain_hash(prev, digest),
    )


def _swap_seq(engine: Engine, a: int, b: int) -> None:
    sql(engine, "UPDATE audit_log SET seq = -1 WHERE seq = :a", a=a)
    sql(engine, "UPDATE audit_log SET seq = :a WHERE seq = :b", a=a, b=b)
    sql(engine, "UPDATE audit_log SET seq = :b WHERE seq = -1", b=b)


def _copy_event(engine: Engine, seq: int, new_i: int) -> str:
    """The same event under a new event_id (event_id is unique, so a replay needs a new one)."""
    with Session(engine) as session, session.begin():
        source = session.get_one(FeedbackEvent, event_id_of(seq))
        columns = {c.key: getattr(source, c.key) for c in FeedbackEvent.__table__.columns}
        session.add(FeedbackEvent(**(columns | {"event_id": event_id_of(new_i)})))
    return event_id_of(new_i)


def _duplicate_wrong_link(engine: Engine) -> None:
    copy_id = _copy_event(engine, 5, 131)
    row = entry(engine, 5) | {"seq": N + 1, "event_id": copy_id}
    sql(
        engine,
        "INSERT INTO audit_log VALUES (:seq, :event_id, :canonical, :content_digest, :prev_hash, "
        ":entry_hash, :recorded_at)",
        **row,
    )


def _duplicate_linked(engine: Engine) -> None:
    copy_id = _copy_event(engine, 5, 131)
    with Session(engine) as session, session.begin():
        chain.append(session, copy_id, entry(engine, 5)["canonical"])


def _duplicate_after_purge(engine: Engine) -> None:
    _duplicate_linked(engine)
    purge_up_to(engine, N)  # the copy occurred with event 5: purged too, only digests remain


def _fake_checkpoint(**changes: Any) -> Tamper:
    def tamper(_: Engine, cp: Checkpoint, __: Path) -> Checkpoint:
        return replace(cp, **{k: v(cp) if callable(v) else v for k, v in changes.items()})

    return tamper


def _checkpoint_of_other_log(n: int) -> Tamper:
    def tamper(_: Engine, __: Checkpoint, tmp_path: Path) -> Checkpoint:
        other = other_log(tmp_path, n)
        try:
            return make_checkpoint(other, KEY)
        finally:
            other.dispose()

    return tamper


def _rewrite_after_deleting(engine: Engine, seq: int, refill: bool) -> None:
    delete_entry(engine, seq)
    delete_event(engine, seq)
    if refill:  # keep the size, so only the head hash can differ
        append_forged(engine, 88)
    rechain(engine)


def _rename_event(engine: Engine) -> None:
    """A new event_id in both tables: the recorded canonical still names the old one."""
    sql(engine, "UPDATE audit_log SET event_id = 'renamed' WHERE seq = 20")
    sql(engine, "UPDATE feedback_events SET event_id = 'renamed' WHERE event_id = :i", i=event_id_of(20))


def _copy_payload_8_from_13(engine: Engine) -> None:
    payload_13 = "SELECT payload FROM feedback_events WHERE event_id = :b"
    sql(
        engine,
        f"UPDATE feedback_events SET payload = ({payload_13}) WHERE event_id = :a",
        a=event_id_of(8),
        b=event_id_of(13),
    )


def _signed_by_attacker_as_ours(_: Engine, cp: Checkpoint, __: Path) -> Checkpoint:
    forged = sign_checkpoint(cp.tree_size - 5, "ab" * 32, cp.created_at, OTHER_KEY)
    return replace(forged, key_id=key_id(KEY))


PROBES: dict[str, Probe] = {
    # The event rows (what the statistics are computed from).
    "payload_final_text": Probe(
        log_only(lambda e: edit_payload(e, 13, lambda p: p.update(final_text="Non."))), 13, EVENT_CHANGED
    ),
    "payload_discard_reason": Probe(
        log_only(lambda e: edit_payload(e, 14, lambda p: p.update(reason="autre"))), 14, EVENT_CHANGED
    ),
    "payload_thumb": Probe(
        log_only(lambda e: edit_payload(e, 15, lambda p: p.update(thumb="up"))), 15, EVENT_CHANGED
    ),
    "payload_number": Probe(
        log_only(lambda e: edit_payload(e, 11, lambda p: p.update(latency_ms=p["latency_ms"] + 1))),
        11,
        EVENT_CHANGED,
    ),
    "payload_key_added": Probe(
        log_only(lambda e: edit_payload(e, 7, lambda p: p.update(extra=True))), 7, EVENT_CHANGED
    ),
    "payload_key_removed": Probe(
        log_only(lambda e: edit_payload(e, 12, lambda p: p.pop("chars_changed"))), 12, EVENT_CHANGED
    ),
    "payload_digest": Probe(log_only(lambda e: edit_event(e, 10, payload_digest=flip)), 10, EVENT_CHANGED),
    "type": Probe(log_only(lambda e: edit_event(e, 18, type="shown")), 18, EVENT_CHANGED),
    "draft_id": Probe(
        log_only(add_other_draft, lambda e: edit_event(e, 6, draft_id=OTHER_DRAFT_ID)), 6, EVENT_CHANGED
    ),
    "agent_pseudonym": Probe(
        log_only(lambda e: edit_event(e, 16, agent_pseudonym="f" * 64)), 16, EVENT_CHANGED
    ),
    "occurred_at_second": Probe(
        log_only(lambda e: edit_event(e, 17, occurred_at=lambda t: t + timedelta(seconds=1))),
        17,
        EVENT_CHANGED,
    ),
    "occurred_at_microsecond": Probe(
        log_only(lambda e: edit_event(e, 19, occurred_at=lambda t: t + timedelta(microseconds=1))),
        19,
        EVENT_CHANGED,
    ),
    "outcome": Probe(
        log_only(
            lambda e: edit_event(e, 23, outcome=lambda o: "accepted_as_is" if o == "edited" else "edited")
        ),
        23,
        EVENT_CHANGED,
    ),
    "outcome_added": Probe(
        log_only(lambda e: edit_event(e, 21, outcome="accepted_as_is")), 21, EVENT_CHANGED
    ),
    "edit_distance_char": Probe(
        log_only(lambda e: edit_event(e, 28, edit_distance_char=0.0)), 28, EVENT_CHANGED
    ),
    "edit_distance_word": Probe(
        log_only(lambda e: edit_event(e, 3, edit_distance_word=0.9)), 3, EVENT_CHANGED
    ),
    "event_id_renamed": Probe(log_only(_rename_event), 20, EVENT_CHANGED),
    "payload_copied_from_other_event": Probe(log_only(_copy_payload_8_from_13), 8, EVENT_CHANGED),
    # The chain's own rows.
    "canonical_edited": Probe(
        log_only(
            lambda e: set_entry(e, 12, canonical=entry(e, 12)["canonical"].replace('"type":"', '"type":"x'))
        ),
        12,
        DIGEST,
    ),
    "canonical_one_char": Probe(
        log_only(lambda e: set_entry(e, 22, canonical=flip(entry(e, 22)["canonical"], 40))), 22, DIGEST
    ),
    "canonical_and_digest": Probe(
        log_only(lambda e: set_entry(e, 24, canonical="{}", content_digest=chain.sha256_hex("{}"))),
        24,
        ENTRY_HASH,
    ),
    "entry_rewritten_event_kept": Probe(
        log_only(
            lambda e: _rewrite_entry(e, 25),
            lambda e: edit_event(e, 25, payload=lambda p: {k: v for k, v in p.items() if k != "tag"}),
        ),
        25,
        EVENT_CHANGED,
    ),
    "entry_and_event_rewritten": Probe(
        log_only(lambda e: _rewrite_entry(e, 25)), 26, "prev_hash does not match entry 25"
    ),
    "canonical_erased": Probe(log_only(lambda e: set_entry(e, 26, canonical=None)), 26, "log content erased"),
    "content_digest_one_char": Probe(
        log_only(lambda e: set_entry(e, 27, content_digest=flip(entry(e, 27)["content_digest"]))), 27, DIGEST
    ),
    "purged_content_digest": Probe(
        log_only(
            lambda e: purge_up_to(e, 20),
            lambda e: set_entry(e, 5, content_digest=flip(entry(e, 5)["content_digest"])),
        ),
        5,
        DIGEST,  # purge keeps the canonical (it holds only the payload's digest), so it is checked first
    ),
    "purged_content_digest_not_hex": Probe(
        log_only(lambda e: purge_up_to(e, 20), lambda e: set_entry(e, 6, content_digest="zz" * 32)),
        6,
        DIGEST,
    ),
    "entry_hash_one_char": Probe(
        log_only(lambda e: set_entry(e, 15, entry_hash=flip(entry(e, 15)["entry_hash"]))), 15, ENTRY_HASH
    ),
    "entry_hash_last": Probe(
        log_only(lambda e: set_entry(e, N, entry_hash=flip(entry(e, N)["entry_hash"], 63))), N, ENTRY_HASH
    ),
    "entry_hash_uppercase": Probe(
        log_only(lambda e: set_entry(e, 4, entry_hash=entry(e, 4)["entry_hash"].upper())), 4, ENTRY_HASH
    ),
    "prev_hash_one_char": Probe(
        log_only(lambda e: set_entry(e, 17, prev_hash=flip(entry(e, 17)["prev_hash"]))),
        17,
        "prev_hash does not match entry 16",
    ),
    "prev_hash_first": Probe(
        log_only(lambda e: set_entry(e, 1, prev_hash=flip(chain.GENESIS))), 1, "genesis"
    ),
    # Deletions.
    "entry_deleted_first": Probe(log_only(lambda e: delete_entry(e, 1)), 1, "missing (next entry is 2)"),
    "entry_deleted_middle": Probe(log_only(lambda e: delete_entry(e, 15)), 15, "missing (next entry is 16)"),
    "entry_deleted_last": Probe(
        log_only(lambda e: delete_entry(e, N)), None, f"event {event_id_of(N)} has no audit entry"
    ),
    "event_deleted_middle": Probe(
        log_only(lambda e: delete_event(e, 15)), 15, "missing from feedback_events"
    ),
    "event_deleted_first": Probe(log_only(lambda e: delete_event(e, 1)), 1, "missing from feedback_events"),
    "event_and_entry_deleted": Probe(
        log_only(lambda e: delete_entry(e, 15), lambda e: delete_event(e, 15)), 15, "missing"
    ),
    # Insertions, reordering, replays.
    "forged_in_middle": Probe(
        log_only(lambda e: _forge_in_middle(e, with_event=True)), 16, "prev_hash does not match entry 15"
    ),
    "forged_entry_without_event": Probe(
        log_only(lambda e: _forge_in_middle(e, with_event=False)), 15, "missing from feedback_events"
    ),
    "event_without_entry": Probe(
        log_only(lambda e: _copy_event(e, 3, 99)), None, f"event {event_id_of(99)} has no audit entry"
    ),
    "appended_unlinked": Probe(
        log_only(lambda e: append_forged(e, 40, prev=chain.GENESIS)), N + 1, "prev_hash does not match"
    ),
    "swapped_far": Probe(log_only(lambda e: _swap_seq(e, 10, 20)), 10, "prev_hash does not match entry 9"),
    "swapped_last_two": Probe(log_only(lambda e: _swap_seq(e, N - 1, N)), N - 1, "prev_hash does not match"),
    "duplicate_wrong_link": Probe(
        log_only(_duplicate_wrong_link), N + 1, "prev_hash does not match entry 30"
    ),
    "duplicate_linked": Probe(log_only(_duplicate_linked), N + 1, "same content as entry 5"),
    "duplicate_linked_after_purge": Probe(log_only(_duplicate_after_purge), N + 1, "same content as entry 5"),
    # Self-consistent chains: only a checkpoint taken before can tell.
    "truncated_1": Probe(log_only(lambda e: truncate(e, 1)), N, "truncated", only_with_checkpoint=True),
    "truncated_10": Probe(log_only(lambda e: truncate(e, 10)), N - 9, "truncated", only_with_checkpoint=True),
    "truncated_all": Probe(log_only(lambda e: truncate(e, N)), 1, "truncated", only_with_checkpoint=True),
    "rewritten_after_edit": Probe(
        log_only(lambda e: edit_event(e, 12, agent_pseudonym="0" * 64), rechain),
        None,
        NO_MATCH,
        only_with_checkpoint=True,
    ),
    "rewritten_after_last_edit": Probe(
        log_only(lambda e: edit_payload(e, N, lambda p: p.update(thumb="x")), rechain),
        None,
        NO_MATCH,
        only_with_checkpoint=True,
    ),
    "rewritten_after_delete": Probe(
        log_only(lambda e: _rewrite_after_deleting(e, 15, refill=False)),
        N,
        "truncated",
        only_with_checkpoint=True,
    ),
    "rewritten_after_delete_refilled": Probe(
        log_only(lambda e: _rewrite_after_deleting(e, 15, refill=True)),
        None,
        NO_MATCH,
        only_with_checkpoint=True,
    ),
    # Checkpoints that are not the honest one.
    "checkpoint_other_log_same_size": Probe(
        _checkpoint_of_other_log(N), None, NO_MATCH, only_with_checkpoint=True
    ),
    "checkpoint_other_log_larger": Probe(
        _checkpoint_of_other_log(N + 10), N + 1, "truncated", only_with_checkpoint=True
    ),
    "checkpoint_other_log_smaller": Probe(
        _checkpoint_of_other_log(20), None, NO_MATCH, only_with_checkpoint=True
    ),
    "checkpoint_signature_one_char": Probe(
        _fake_checkpoint(signature=lambda cp: flip(cp.signature)),
        None,
        "signature invalid",
        only_with_checkpoint=True,
    ),
    "checkpoint_wrong_key": Probe(
        _fake_checkpoint(), None, "another key", only_with_checkpoint=True, key=OTHER_KEY
    ),
    "checkpoint_size_edited": Probe(
        _fake_checkpoint(tree_size=N - 1), None, "signature invalid", only_with_checkpoint=True
    ),
    "checkpoint_head_edited_no_key": Probe(
        _fake_checkpoint(head_hash=lambda cp: flip(cp.head_hash)),
        None,
        NO_MATCH,
        only_with_checkpoint=True,
        key=None,
    ),
    "checkpoint_forged_key_id": Probe(
        _signed_by_attacker_as_ours, None, "signature invalid", only_with_checkpoint=True
    ),
}


def test_there_are_enough_probes() -> None:
    assert len(PROBES) >= 40


@pytest.mark.parametrize("name", sorted(PROBES))
def test_tampering_is_detected(name: str, log: Engine, tmp_path: Path) -> None:
    probe = PROBES[name]
    honest = make_checkpoint(log, KEY)
    presented = probe.tamper(log, honest, tmp_path) or honest

    against_checkpoint = verify(log, presented, probe.key)
    alone = verify(log)

    assert not against_checkpoint.ok, against_checkpoint
    if probe.only_with_checkpoint:
        assert alone.ok, alone  # the reason checkpoints exist
        report = against_checkpoint
    else:
        assert not alone.ok
        report = alone
    assert report.first_broken_seq == probe.seq, report.reason
    assert probe.says in report.reason.split(" / ", 1)[1], report.reason
    assert report.entries_checked == report.tree_size
    assert report.entries_checked < (probe.seq or N + 2)


def test_the_reason_is_french_then_english(log: Engine) -> None:
    set_entry(log, 17, content_digest=flip(entry(log, 17)["content_digest"]))
    report = verify(log)
    assert report.reason == (
        "entrée 17 : l'empreinte du contenu ne correspond pas au contenu / entry 17: content digest mismatch"
    )
    assert (report.entries_checked, report.tree_size) == (16, 16)
    assert report.head_hash == entry(log, 16)["entry_hash"]


def test_a_payload_deleted_by_hand_is_caught_by_the_retention_rule(log: Engine) -> None:
    """Without a date rule, a payload nulled by hand looks like retention (its digest and every
    other field stay covered, so nothing can be *changed* that way). With the retention period,
    a payload missing from an event younger than it is tampering."""
    sql(log, "UPDATE feedback_events SET payload = NULL WHERE event_id = :e", e=event_id_of(29))
    assert verify(log).ok
    report = verify(log, retention_days=(datetime.now(UTC) - BASE_TIME).days + 30)
    assert not report.ok and report.first_broken_seq == 29 and "retention" in report.reason
    assert verify(log, retention_days=1).ok  # events of BASE_TIME are older than one day: a real purge


def test_nulling_the_log_content_is_caught(log: Engine) -> None:
    sql(log, "UPDATE feedback_events SET payload = NULL WHERE event_id = :e", e=event_id_of(29))
    set_entry(log, 29, canonical=None)
    report = verify(log)
    assert not report.ok and report.first_broken_seq == 29 and "log content erased" in report.reason


def stored_payload(engine: Engine, n: int) -> Any:
    with Session(engine) as session:
        return session.get_one(FeedbackEvent, event_id_of(n)).payload


# --------------------------------------------------------------------------- no false alarms


def test_an_untouched_log_verifies(log: Engine) -> None:
    report = verify(log)
    assert report.ok and report.first_broken_seq is None
    assert (report.entries_checked, report.tree_size) == (N, N)
    assert report.head_hash == entry(log, N)["entry_hash"]
    assert report.reason.startswith("journal intègre")


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path / "empty.sqlite")
    report = verify(engine)
    assert report.ok and report.tree_size == 0 and report.head_hash == chain.GENESIS
    cp = make_checkpoint(engine, KEY)
    assert (cp.tree_size, cp.head_hash) == (0, chain.GENESIS)
    assert verify(engine, cp, KEY).ok


def test_payload_json_reformatted_is_not_tampering(log: Engine) -> None:
    sql(
        log,
        "UPDATE feedback_events SET payload = :p WHERE event_id = :e",
        e=event_id_of(13),
        p=json.dumps(stored_payload(log, 13), indent=4),
    )
    assert verify(log).ok


def test_a_growing_log_still_matches_an_older_checkpoint(log: Engine) -> None:
    cp = make_checkpoint(log, KEY)
    populate(log, 5, start=N + 1)
    report = verify(log, cp, KEY)
    assert report.ok and report.tree_size == N + 5 and "signature verified" in report.reason


def test_bulk_population_is_the_same_chain_as_appending(tmp_path: Path) -> None:
    one_by_one, bulk = migrated_engine(tmp_path / "a.sqlite"), migrated_engine(tmp_path / "b.sqlite")
    populate(one_by_one, 40)
    populate(bulk, 25, bulk=True)
    populate(bulk, 15, start=26, bulk=True)
    query = text("SELECT * FROM audit_log ORDER BY seq")
    with one_by_one.connect() as a, bulk.connect() as b:
        assert a.execute(query).all() == b.execute(query).all()


def test_event_canonical_survives_the_database_round_trip(log: Engine) -> None:
    fresh = make_event(8)  # timezone-aware, as the events service builds it
    with Session(log) as session:
        stored = session.get_one(FeedbackEvent, event_id_of(8))
        assert stored.occurred_at.tzinfo is None  # SQLite gives it back naive
        assert event_canonical(stored) == event_canonical(fresh) == entry(log, 8)["canonical"]
    assert iso_utc(fresh.occurred_at).endswith("+00:00")


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = migrated_engine(tmp_path_factory.mktemp("big") / "big.sqlite")
    populate(engine, 10_000, bulk=True)
    yield engine
    engine.dispose()


def test_ten_thousand_untouched_events_verify_then_purge_half(big_log: Engine) -> None:
    assert verify(big_log, batch=777).ok  # odd batch size: page boundaries must not matter
    cp = make_checkpoint(big_log, KEY)
    assert verify(big_log, cp, KEY).ok

    purged = purge(big_log, BASE_TIME + 5_001 * STEP)  # events 1…5000 occurred before
    assert purged == 5_000
    assert purge(big_log, BASE_TIME + 5_001 * STEP) == 0  # idempotent

    report = verify(big_log, cp, KEY)
    assert report.ok and report.tree_size == 10_000, report.reason
    with big_log.connect() as conn:
        erased = conn.execute(text("SELECT COUNT(*) FROM audit_log WHERE canonical IS NULL")).scalar()
        payloads = conn.execute(text("SELECT COUNT(*) FROM feedback_events WHERE payload IS NULL")).scalar()
    assert erased == 0 and payloads == 5_000  # the log keeps every field but the payload


def test_purge_keeps_hashes_and_newer_payloads(log: Engine) -> None:
    before = [entry(log, seq) for seq in range(1, N + 1)]
    assert purge_up_to(log, 10) == 10
    after = [entry(log, seq) for seq in range(1, N + 1)]
    for old, new in zip(before, after, strict=True):
        assert (new["content_digest"], new["entry_hash"]) == (old["content_digest"], old["entry_hash"])
        assert new["canonical"] == old["canonical"]  # holds the payload's digest, never the payload
    with Session(log) as session:
        assert session.get_one(FeedbackEvent, event_id_of(10)).payload is None
        assert session.get_one(FeedbackEvent, event_id_of(11)).payload is not None
    assert verify(log).ok


# --------------------------------------------------------------------------- checkpoints


def test_checkpoint_json_round_trip_and_signature(log: Engine) -> None:
    cp = make_checkpoint(log, KEY)
    assert (cp.tree_size, cp.head_hash, cp.algorithm) == (N, entry(log, N)["entry_hash"], "ed25519")
    assert cp.key_id == key_id(KEY) and len(cp.key_id) == 64  # SHA-256 of the raw public key
    assert len(cp.signature) == 128  # Ed25519: 64 bytes
    assert Checkpoint.from_json(cp.to_json()) == cp
    assert latest_checkpoint(log) == cp  # read back from the table, same bytes signed
    assert verify_signature(cp, KEY) and not verify_signature(cp, OTHER_KEY)
    assert not verify_signature(replace(cp, created_at="2020-01-01T00:00:00.000000+00:00"), KEY)


def test_latest_checkpoint_is_none_then_the_newest(log: Engine) -> None:
    assert latest_checkpoint(log) is None
    make_checkpoint(log, KEY)
    populate(log, 2, start=N + 1)
    second = make_checkpoint(log, KEY)
    assert latest_checkpoint(log) == second and second.tree_size == N + 2


@pytest.mark.parametrize(
    "text_",
    [
        "not json",
        "[]",
        '{"tree_size": 3}',
        '{"tree_size": -1, "head_hash": "00", "created_at": "", '
        '"algorithm": "", "key_id": "", "signature": ""}',
    ],
)
def test_malformed_checkpoint_files_are_refused(text_: str) -> None:
    with pytest.raises(AuditError):
        Checkpoint.from_json(text_)


def test_a_broken_log_is_not_signed(log: Engine) -> None:
    delete_entry(log, 15)
    with pytest.raises(AuditError, match="entry 15"):
        make_checkpoint(log, KEY)
    assert latest_checkpoint(log) is None


def test_a_truncation_since_the_stored_checkpoint_blocks_the_next_one(log: Engine) -> None:
    make_checkpoint(log, KEY)
    truncate(log, 3)
    with pytest.raises(AuditError, match="truncated"):
        make_checkpoint(log, KEY)


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


@pytest.fixture
def cli_env(log: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for name in ("HRA_FEEDBACK__AUDIT_KEY", "HRA_DATABASE_URL", "HRA_ENV", "HRA_FEEDBACK__AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    return ["--database-url", str(log.url), "--key-file", str(tmp_path / "keys" / "audit.key")]


def test_cli_verify_ok(cli_env: list[str]) -> None:
    result = runner.invoke(audit_app, ["verify", *cli_env])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and f"{N} entries verified" in result.output


def test_cli_verify_tampered_names_the_entry(log: Engine, cli_env: list[str]) -> None:
    set_entry(log, 17, entry_hash=flip(entry(log, 17)["entry_hash"]))
    result = runner.invoke(audit_app, ["verify", *cli_env])
    assert result.exit_code == 1
    assert "BROKEN" in result.output and "entry 17" in result.output


def test_cli_purge_needs_yes_and_respects_retention(
    log: Engine, cli_env: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The 30 events occurred on 2026-01-05; a 1-day retention makes them purgeable.
    monkeypatch.setenv("HRA_FEEDBACK__RETENTION_DAYS", "1")
    refused = runner.invoke(audit_app, ["purge", "--before", "2026-02-01", *cli_env[:2]])
    assert refused.exit_code == 1 and "--yes" in refused.output
    assert stored_payload(log, 1) is not None

    done = runner.invoke(audit_app, ["purge", "--before", "2026-02-01", "--yes", *cli_env[:2]])
    assert done.exit_code == 0, done.output
    assert f"{N} events purged" in done.output
    assert runner.invoke(audit_app, ["verify", *cli_env]).exit_code == 0
    # Within the retention period the purge is refused, and a payload missing there is tampering.
    monkeypatch.setenv("HRA_FEEDBACK__RETENTION_DAYS", "3650")
    too_recent = runner.invoke(audit_app, ["purge", "--before", "2026-02-01", "--yes", *cli_env[:2]])
    assert too_recent.exit_code == 1 and "retention" in too_recent.output
    assert runner.invoke(audit_app, ["verify", *cli_env]).exit_code == 1


def test_cli_checkpoint_round_trip(log: Engine, cli_env: list[str], tmp_path: Path) -> None:
    out = tmp_path / "given-to-reps" / "checkpoint.json"
    made = runner.invoke(audit_app, ["checkpoint", "--out", str(out), *cli_env])
    assert made.exit_code == 0, made.output
    printed = Checkpoint.from_json(made.output)
    assert printed == Checkpoint.from_json(out.read_text()) and printed.tree_size == N
    key_file = Path(cli_env[3])
    assert key_file.stat().st_mode & 0o777 == 0o600  # generated on first use, owner-only

    ok = runner.invoke(audit_app, ["verify", "--from-checkpoint", str(out), *cli_env])
    assert ok.exit_code == 0 and "signature verified" in ok.output

    truncate(log, 2)
    sql(log, "DELETE FROM audit_checkpoints")  # the attacker also removes the stored copy
    assert runner.invoke(audit_app, ["verify", *cli_env]).exit_code == 0
    caught = runner.invoke(audit_app, ["verify", "--from-checkpoint", str(out), *cli_env])
    assert caught.exit_code == 1 and "truncated" in caught.output and "29" in caught.output


def test_cli_verify_uses_the_stored_checkpoint_by_default(log: Engine, cli_env: list[str]) -> None:
    assert runner.invoke(audit_app, ["checkpoint", *cli_env]).exit_code == 0
    truncate(log, 1)
    result = runner.invoke(audit_app, ["verify", *cli_env])
    assert result.exit_code == 1 and "truncated" in result.output


def test_cli_checkpoint_in_prod_needs_a_provisioned_key(
    cli_env: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HRA_ENV", "prod")
    result = runner.invoke(audit_app, ["checkpoint", *cli_env])
    assert result.exit_code == 2 and "HRA_FEEDBACK__AUDIT_KEY" in result.output
    assert not Path(cli_env[3]).exists()
    monkeypatch.setenv("HRA_FEEDBACK__AUDIT_KEY", KEY.hex())
    made = runner.invoke(audit_app, ["checkpoint", *cli_env])
    assert made.exit_code == 0 and Checkpoint.from_json(made.output).key_id == key_id(KEY)


def test_cli_errors_are_exit_2(cli_env: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert runner.invoke(audit_app, ["verify", "--from-checkpoint", str(bad), *cli_env]).exit_code == 2
    missing = tmp_path / "nowhere" / "hra.sqlite"
    result = runner.invoke(audit_app, ["verify", "--database-url", f"sqlite:///{missing}"])
    assert result.exit_code == 2 and not missing.exists()


def test_cli_reads_the_dotenv_file_as_the_app_does(
    log: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator who configured HRA_DATABASE_URL in ./.env verifies that store, not the default
    SQLite file; a variable already set in the environment still wins over the file."""
    for name in ("HRA_DATABASE_URL", "HRA_FEEDBACK__AUDIT_KEY", "HRA_ENV"):
        monkeypatch.setenv(name, "")  # recorded, so that what .env sets is undone after the test
        monkeypatch.delenv(name)
    workdir = tmp_path / "operator"
    workdir.mkdir()
    (workdir / ".env").write_text(f"HRA_DATABASE_URL={log.url}\n", encoding="utf-8")
    monkeypatch.chdir(workdir)
    result = runner.invoke(audit_app, ["verify"])
    assert result.exit_code == 0, result.output
    assert f"{N} entries verified" in result.output
    monkeypatch.setenv("HRA_DATABASE_URL", f"sqlite:///{workdir / 'missing.sqlite'}")
    elsewhere = runner.invoke(audit_app, ["verify"])
    assert elsewhere.exit_code == 2 and "missing.sqlite" in elsewhere.output
