"""Drafts in the audit chain (issue 16): storing a draft appends an entry with its content hash, so a
draft edited in the database is named by ``verify`` and ``hra audit verify``; the bundle carries the
entry (no text, no pseudonym) and the standalone verifier accepts it. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import Engine, insert, select, text
from typer.testing import CliRunner

from feedback import chain
from feedback.audit import (
    PURGED_PREFIX,
    draft_canonical,
    export_bundle,
    purge_drafts,
    purged_marker,
    record_values,
    verify,
)
from feedback.cli import audit_app
from feedback.db import make_engine, migrate
from feedback.drafts import DraftStore, stamped
from feedback.events import EventService
from feedback.keys import Pseudonymizer
from feedback.models import AuditEntry, DraftRecord
from feedback.schemas import EventIn
from feedback.settings import FeedbackSettings
from feedback.verifier.verify_audit import verify_bundle
from tests.fixtures.audit_log import BASE_TIME, make_draft, populate

KEY = bytes(range(32))
PSEUDONYMIZE = Pseudonymizer(b"p" * 32)
AGENT = "agent-7"
DRAFTS = [f"d0000000-0000-4000-8000-{i:012d}" for i in range(1, 4)]
EVENT = TypeAdapter(EventIn)
VERIFIER = Path(__file__).resolve().parents[2] / "feedback" / "verifier" / "verify_audit.py"
runner = CliRunner()


def owned_draft(draft_id: str, minutes: int = 0) -> DraftRecord:
    draft = make_draft(draft_id)
    draft.created_at = BASE_TIME + timedelta(minutes=minutes)
    draft.agent_pseudonym = PSEUDONYMIZE(AGENT)
    draft.citations = [{"n": 1, "chunk_id": "conges-0003", "text": None, "cited_sentence": "4 jours [1]."}]
    draft.settings_hash = "abc123def456"
    draft.arm, draft.forced = "assisted", False  # what the database fills in (Core inserts below)
    return draft


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """Three drafts stored by the service, each followed by two events: entries d, e, e, d, e, e…"""
    migrate(db_url)
    engine = make_engine(db_url)
    store = DraftStore(engine)
    events = EventService(engine, FeedbackSettings(occurred_at_past_days=3650), PSEUDONYMIZE, str)
    for n, draft_id in enumerate(DRAFTS):
        store.add(owned_draft(draft_id, n))
        for kind in ("shown", "edit_started"):
            body = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": kind}
            assert events.record(EVENT.validate_python(body), AGENT).created
    yield engine
    engine.dispose()


def seq_of(engine: Engine, event_id: str) -> int:
    with engine.connect() as c:
        return int(c.execute(select(AuditEntry.seq).where(AuditEntry.event_id == event_id)).scalar_one())


def sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as c:
        c.execute(text(statement), params)


def test_storing_a_draft_appends_its_entry_and_the_log_verifies(engine: Engine) -> None:
    report = verify(engine)
    assert report.ok and report.tree_size == 9 and report.drafts_before_chain == 0, report.reason
    assert [seq_of(engine, d) for d in DRAFTS] == [1, 4, 7]
    with engine.connect() as c:
        canonical = c.execute(
            select(AuditEntry.canonical).where(AuditEntry.event_id == DRAFTS[0])
        ).scalar_one()
    content = json.loads(canonical)
    assert set(content) == {"content_sha256", "draft_id", "event_id", "kind", "v"}
    assert content["kind"] == "draft" and content["draft_id"] == content["event_id"] == DRAFTS[0]


EDITS: dict[str, tuple[str, dict[str, Any]]] = {
    "question": ("UPDATE drafts SET question_masked = :v WHERE id = :id", {"v": "Combien de jours ? [NOM]"}),
    "text": ("UPDATE drafts SET draft_text = :v WHERE id = :id", {"v": "Vous avez droit à 5 jours [1]."}),
    "text_erased": ("UPDATE drafts SET draft_text = NULL WHERE id = :id", {}),
    "decision": ("UPDATE drafts SET decision = 'abstained' WHERE id = :id", {}),
    "kb_version": ("UPDATE drafts SET kb_version = 'kb-old' WHERE id = :id", {}),
    "owner": ("UPDATE drafts SET agent_pseudonym = :v WHERE id = :id", {"v": PSEUDONYMIZE("agent-8")}),
    "created_at": ("UPDATE drafts SET created_at = :v WHERE id = :id", {"v": BASE_TIME - timedelta(days=1)}),
    "confidence": ("UPDATE drafts SET confidence = 0.95 WHERE id = :id", {}),
    "forced": ("UPDATE drafts SET forced = :v WHERE id = :id", {"v": True}),
    "settings_hash": ("UPDATE drafts SET settings_hash = NULL WHERE id = :id", {}),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_draft_edited_in_sql_is_named(engine: Engine, edit: str) -> None:
    statement, params = EDITS[edit]
    sql(engine, statement, id=DRAFTS[1], **params)
    report = verify(engine)
    assert not report.ok and report.first_broken_seq == 4, report.reason
    assert f"le brouillon {DRAFTS[1]} stocké ne correspond plus" in report.reason
    assert f"stored draft {DRAFTS[1]} differs" in report.reason and "content_sha256" in report.reason
    assert (report.tree_size, report.entries_checked) == (3, 3)  # the prefix before it still verifies


def test_a_citation_edited_inside_its_json_is_named(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(
            DraftRecord.__table__.update()
            .where(DraftRecord.id == DRAFTS[2])
            .values(
                citations=[
                    {"n": 1, "chunk_id": "conges-0004", "text": None, "cited_sentence": "4 jours [1]."}
                ]
            )
        )
    report = verify(engine)
    assert not report.ok and report.first_broken_seq == 7 and DRAFTS[2] in report.reason


def test_a_deleted_draft_row_is_named(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    DraftStore(engine).add(owned_draft(DRAFTS[0]))
    sql(engine, "DELETE FROM drafts WHERE id = :id", id=DRAFTS[0])
    report = verify(engine)
    assert not report.ok and report.first_broken_seq == 1
    assert f"le brouillon {DRAFTS[0]} n'existe plus dans drafts" in report.reason
    engine.dispose()


def test_a_draft_slipped_in_outside_the_chain_is_named_an_older_one_is_only_counted(engine: Engine) -> None:
    late, early = str(uuid.uuid4()), str(uuid.uuid4())
    with engine.begin() as c:  # written by a script that bypasses the service: no entry
        c.execute(insert(DraftRecord), [record_values(owned_draft(late, 60)) | {"id": late}])
    report = verify(engine)
    assert not report.ok and report.first_broken_seq is None
    assert f"le brouillon {late} n'a pas d'entrée dans le journal" in report.reason
    sql(engine, "DELETE FROM drafts WHERE id = :id", id=late)
    with engine.begin() as c:  # older than every chained draft: written before drafts were chained
        c.execute(insert(DraftRecord), [record_values(owned_draft(early, -60)) | {"id": early}])
    report = verify(engine)
    assert report.ok and report.drafts_before_chain == 1, report.reason
    assert "1 brouillon(s) antérieur(s) à la chaîne" in report.reason


def test_retention_purges_drafts_and_they_still_verify_a_forged_marker_does_not(engine: Engine) -> None:
    assert purge_drafts(engine, BASE_TIME + timedelta(minutes=1, seconds=30)) == 2  # the first two
    with engine.connect() as c:
        text_ = c.execute(select(DraftRecord.draft_text).where(DraftRecord.id == DRAFTS[0])).scalar_one()
    assert text_.startswith(PURGED_PREFIX)
    report = verify(engine)
    assert report.ok, report.reason
    forged = purged_marker("Vous avez droit à 5 jours [1].")  # a marker of another text
    sql(engine, "UPDATE drafts SET draft_text = :v WHERE id = :id", v=forged, id=DRAFTS[0])
    report = verify(engine)
    assert not report.ok and report.first_broken_seq == 1 and DRAFTS[0] in report.reason


def test_the_bundle_shows_draft_entries_without_text_or_pseudonym_and_verifies(
    engine: Engine, tmp_path: Path
) -> None:
    bundle = export_bundle(engine, KEY)
    dumped = json.dumps(bundle, ensure_ascii=False)
    draft = owned_draft(DRAFTS[0])
    for secret in (PSEUDONYMIZE(AGENT), draft.question_masked, draft.draft_text, "4 jours [1]", "mariage"):
        assert secret and secret not in dumped, secret
    kinds = [json.loads(e["content"]).get("kind") for e in bundle["entries"]]
    assert kinds == ["draft", None, None] * 3
    ok, verdict, _ = verify_bundle(bundle)
    assert ok and verdict.startswith("VALIDE : 9 entrées chaînées vérifiées (9 avec leur contenu"), verdict
    path = tmp_path / "paquet.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    done = subprocess.run(  # the script as representatives run it: outside the project
        [sys.executable, str(VERIFIER), str(path)],
        capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and "VALIDE : 9 entrées" in done.stdout, done.stdout + done.stderr


def test_the_bundle_of_a_log_whose_draft_row_was_edited_still_verifies_standalone(engine: Engine) -> None:
    """What the standalone verifier can and cannot see: the bundle has no draft rows, so an edited
    row is for ``hra audit verify``; a bundle entry changed on its way is still caught."""
    sql(engine, "UPDATE drafts SET draft_text = 'autre' WHERE id = :id", id=DRAFTS[0])
    bundle = export_bundle(engine, KEY)
    assert verify_bundle(bundle)[0]
    content = json.loads(bundle["entries"][3]["content"])
    bundle["entries"][3]["content"] = chain.canonical_json(content | {"content_sha256": "0" * 64})
    ok, verdict, seq = verify_bundle(bundle)
    assert not ok and seq == 4 and "le contenu ne correspond pas à son empreinte" in verdict


@pytest.fixture
def cli_env(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    for name in ("HRA_FEEDBACK__AUDIT_KEY", "HRA_DATABASE_URL", "HRA_ENV", "HRA_FEEDBACK__AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    url = engine.url.render_as_string(hide_password=False)
    return ["--database-url", url, "--key-file", str(tmp_path / "audit.key")]


def test_hra_audit_verify_names_the_edited_draft(engine: Engine, cli_env: list[str]) -> None:
    result = runner.invoke(audit_app, ["verify", *cli_env])
    assert result.exit_code == 0 and "9 entries verified" in result.output, result.output
    sql(engine, "UPDATE drafts SET question_masked = 'autre question' WHERE id = :id", id=DRAFTS[2])
    result = runner.invoke(audit_app, ["verify", *cli_env])
    assert result.exit_code == 1, result.output
    assert "BROKEN" in result.output and "entrée/entry 7" in result.output
    assert f"le brouillon {DRAFTS[2]} stocké ne correspond plus" in result.output


def test_the_migration_enters_drafts_stored_before_it(db_url: str) -> None:
    migrate(db_url, "0009_access_events")
    engine = make_engine(db_url)
    old = [str(uuid.uuid4()) for _ in range(3)]
    with engine.begin() as c:  # drafts as the 0009 service stored them: rows, no entries
        c.execute(
            insert(DraftRecord), [record_values(owned_draft(d, -n)) | {"id": d} for n, d in enumerate(old)]
        )
    populate(engine, 4, draft_id=old[0])  # and events chained before the upgrade
    migrate(db_url)
    report = verify(engine)
    assert report.ok and report.tree_size == 7 and report.drafts_before_chain == 0, report.reason
    assert [seq_of(engine, d) for d in reversed(old)] == [5, 6, 7]  # appended oldest first
    migrate(db_url, "0009_access_events")
    migrate(db_url)  # down and up again: drafts already chained are not entered twice
    assert verify(engine).tree_size == 7
    sql(engine, "UPDATE drafts SET topic = 'autre' WHERE id = :id", id=old[1])
    report = verify(engine)
    assert not report.ok and report.first_broken_seq == 6 and old[1] in report.reason
    engine.dispose()


def test_the_demo_dates_a_draft_before_it_is_chained(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    at = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    with stamped(engine, at):
        DraftStore(engine).add(owned_draft(DRAFTS[0]))
    DraftStore(engine).add(owned_draft(DRAFTS[1]))  # outside the block: now
    stored = DraftStore(engine).get(DRAFTS[0])
    assert stored is not None and stored.created_at.replace(tzinfo=UTC) == at
    assert verify(engine).ok
    engine.dispose()


def _spy(service: EventService, calls: list[int]) -> None:
    """Counts the retries: an append that reads the head afresh after a collision."""
    append: Callable[..., tuple[int, str]] = service._head.append

    def counted(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if args[-1] is True or kwargs.get("fresh"):
            calls.append(1)
        return append(*args, **kwargs)

    service._head.append = counted  # type: ignore[method-assign]


def test_an_event_after_a_draft_does_not_collide_another_process_append_is_retried(engine: Engine) -> None:
    events = EventService(engine, FeedbackSettings(occurred_at_past_days=3650), PSEUDONYMIZE, str)
    retries: list[int] = []
    _spy(events, retries)
    draft_id = str(uuid.uuid4())
    body = {"event_id": str(uuid.uuid4()), "draft_id": DRAFTS[0], "type": "shown"}
    assert events.record(EVENT.validate_python(body), AGENT).created  # caches the head
    DraftStore(engine).add(owned_draft(draft_id))  # this process: the cached head is known stale
    body = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "shown"}
    assert events.record(EVENT.validate_python(body), AGENT).created
    assert retries == []
    other = str(uuid.uuid4())  # another process: a draft and its entry this process never saw
    with chain.writer_lock(), engine.begin() as c:
        chain.lock_chain(c)
        c.execute(insert(DraftRecord), [record_values(owned_draft(other, 5)) | {"id": other}])
        head = c.execute(
            select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc())
        ).first()
        assert head is not None
        values = record_values(owned_draft(other, 5))
        row = chain.entry_row((head[0], head[1]), other, draft_canonical(other, values), datetime.now(UTC))
        c.execute(insert(AuditEntry), [row])
    body = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "edit_started"}
    assert events.record(EVENT.validate_python(body), AGENT).created
    assert retries == [1]  # collided once on seq, re-read the head, stored
    report = verify(engine)
    assert report.ok and report.tree_size == 14, report.reason
