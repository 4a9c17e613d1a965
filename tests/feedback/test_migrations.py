"""The alembic migrations, run for real on SQLite and PostgreSQL (fixture ``db_url``).

The app upgrades to head at start-up and operators may downgrade during an incident: both paths
must work on each back-end, keep drafts, and yield exactly the schema the ORM models describe.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, insert, inspect, select

from feedback.db import alembic_config, downgrade, make_engine, migrate
from feedback.models import Base
from knowledge_base import shared_store

DRAFTS = Base.metadata.tables["drafts"]  # Core: the test must not depend on ORM session behaviour
FEEDBACK_TABLES = {"feedback_events", "audit_log", "audit_checkpoints"}
ALL_TABLES = {"drafts", "verified_answers", "access_events", "kb_builds", "kb_pointer"} | FEEDBACK_TABLES
EXPECTED_INDEXES = {  # table → {index name: columns}; named by SQLAlchemy's ix_<table>_<column>
    "drafts": {
        "ix_drafts_created_at": ["created_at"],
        "ix_drafts_decision": ["decision"],
        "ix_drafts_arm": ["arm"],
        "ix_drafts_agent_pseudonym": ["agent_pseudonym"],
    },
    "access_events": {"ix_access_events_occurred_at": ["occurred_at"]},
    "feedback_events": {
        "ix_feedback_events_draft_id": ["draft_id"],
        "ix_feedback_events_type": ["type"],
        "ix_feedback_events_agent_pseudonym": ["agent_pseudonym"],
        "ix_feedback_events_occurred_at": ["occurred_at"],
    },
    "audit_log": {},
    "audit_checkpoints": {},
    "verified_answers": {"ix_verified_answers_status": ["status"]},
}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()  # PostgreSQL: no connection left open when the test database is dropped


def _tables(engine: Engine) -> set[str]:
    # alembic_version stays after a downgrade to base (emptied, not dropped): not part of the schema.
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _snapshot(engine: Engine) -> dict[str, Any]:
    """Everything the inspector says about the schema, comparable with ==."""
    insp = inspect(engine)
    return {
        table: {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)],
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(str(fk) for fk in insp.get_foreign_keys(table)),
            "indexes": sorted(str(ix) for ix in insp.get_indexes(table)),
            "uniques": sorted(str(uc) for uc in insp.get_unique_constraints(table)),
        }
        for table in sorted(_tables(engine))
    }


def _draft_row() -> dict[str, Any]:
    return {
        "id": "00000000-0000-4000-8000-000000000001",
        "created_at": datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        "question_masked": "Combien de jours de congés pour [PERSONNE] ?",
        "pii_kinds": ["person"],
        "decision": "drafted",
        "decision_reason": "confiance suffisante",
        "confidence": 0.82,
        "draft_text": "Bonjour, vous avez droit à 2,5 jours ouvrables par mois [1].",
        "citations": [{"n": 1, "chunk_id": "c1"}],
        "retrieved": [{"chunk_id": "c1", "score": 0.9, "rank": 1}],
        "flags": [],
        "kb_version": "kb-1",
        "drafter": "offline",
        "latency_ms": 120,
        "ai_mention": True,
    }


def test_upgrade_to_head_creates_tables_and_indexes(db_url: str, engine: Engine) -> None:
    migrate(db_url)

    assert _tables(engine) == ALL_TABLES
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert _current(engine) == head == "0011_kb_builds"
    insp = inspect(engine)
    for table, expected in EXPECTED_INDEXES.items():
        # PostgreSQL also lists the index behind a UNIQUE constraint: checked below, not here.
        found = {
            ix["name"]: ix["column_names"]
            for ix in insp.get_indexes(table)
            if "duplicates_constraint" not in ix
        }
        assert found == expected, table
    uniques = [uc["column_names"] for uc in insp.get_unique_constraints("audit_log")]
    assert uniques == [["event_id"]]  # one chain entry per event, enforced by the database
    fks = insp.get_foreign_keys("feedback_events")
    assert [(fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) for fk in fks] == [
        (["draft_id"], "drafts", ["id"])
    ]


def test_downgrade_to_drafts_keeps_drafts_and_their_rows(db_url: str, engine: Engine) -> None:
    migrate(db_url)
    with engine.begin() as connection:
        connection.execute(insert(DRAFTS), [_draft_row()])

    downgrade(db_url, "0001_drafts")

    assert _tables(engine) == {"drafts"}
    assert _current(engine) == "0001_drafts"
    with engine.connect() as connection:
        # Only the 0001 columns: the later ones are gone after the downgrade.
        rows = connection.execute(select(*(DRAFTS.c[name] for name in _draft_row()))).mappings().all()
    assert len(rows) == 1
    row = dict(rows[0])
    expected = _draft_row()
    # SQLite hands back naive datetimes (no time zone type): compare the instant, not the tzinfo.
    assert row.pop("created_at").replace(tzinfo=UTC) == expected.pop("created_at")
    assert {k: row[k] for k in expected} == expected


def test_downgrade_to_base_removes_everything(db_url: str, engine: Engine) -> None:
    migrate(db_url)

    downgrade(db_url, "base")

    assert _tables(engine) == set()
    assert _current(engine) is None


def test_upgrade_is_idempotent_and_a_round_trip_gives_the_same_schema(db_url: str, engine: Engine) -> None:
    migrate(db_url)
    first = _snapshot(engine)

    migrate(db_url)  # already at head: a no-op, not an error
    assert _snapshot(engine) == first

    downgrade(db_url, "base")
    migrate(db_url)
    assert _snapshot(engine) == first
    assert _current(engine) == "0011_kb_builds"


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    # The app's database also holds the shared KB store's tables (knowledge_base: no ORM models).
    every_table = MetaData()
    for table in (*Base.metadata.tables.values(), *shared_store.metadata.tables.values()):
        table.to_metadata(every_table)
    return list(compare_metadata(context, every_table))


def test_models_match_the_migrated_schema(db_url: str, engine: Engine) -> None:
    """What autogenerate would write for the models against the migrated database: nothing.
    A difference here means a model changed without a migration (or the reverse)."""
    migrate(db_url)

    with engine.connect() as connection:
        assert _diff(connection) == []
    # autogenerate does not compare autoincrement: the chain's seq must be given by the writer
    # (no gaps, no sequence), the checkpoint id generated by the database.
    columns = {c["name"]: c for c in inspect(engine).get_columns("audit_log")}
    assert columns["seq"].get("default") is None
    if engine.dialect.name == "postgresql":
        checkpoint = {c["name"]: c for c in inspect(engine).get_columns("audit_checkpoints")}
        assert "nextval" in str(checkpoint["id"]["default"])


def test_the_control_arm_migration_keeps_drafts_and_events_both_ways(db_url: str, engine: Engine) -> None:
    migrate(db_url, "0002_feedback_audit")
    events = Base.metadata.tables["feedback_events"]
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as connection:
        # Core fills only the columns given (plus Python-side defaults): none of the 0003 columns.
        connection.execute(insert(DRAFTS), [_draft_row()])
        connection.execute(
            insert(events),
            [
                {
                    "event_id": "e-1",
                    "draft_id": _draft_row()["id"],
                    "type": "shown",
                    "agent_pseudonym": "p" * 64,
                    "occurred_at": moment,
                    "received_at": moment,
                    "payload": {},
                    "payload_digest": "d" * 64,
                }
            ],
        )

    migrate(db_url)  # 0003: the drafts written before it were all shown to the agent
    with engine.connect() as connection:
        assert connection.execute(select(DRAFTS.c.arm, DRAFTS.c.regenerated_from)).one() == ("assisted", None)

    downgrade(db_url, "0002_feedback_audit")  # an event still references the draft
    assert "arm" not in {c["name"] for c in inspect(engine).get_columns("drafts")}
    with engine.connect() as connection:
        assert connection.execute(select(DRAFTS.c.id)).scalar_one() == _draft_row()["id"]
        assert connection.execute(select(events.c.event_id)).scalar_one() == "e-1"


def test_the_draft_owner_migration_keeps_drafts_and_events_both_ways(db_url: str, engine: Engine) -> None:
    """0005 adds the owner in place (no rebuild of `drafts` under the events' foreign key); drafts
    written before it keep a NULL owner (readable by an admin only), and a downgrade keeps them."""
    migrate(db_url, "0004_confidence_level")
    events = Base.metadata.tables["feedback_events"]
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    before = _draft_row()
    with engine.begin() as connection:
        # Core fills only the columns given: no owner, as for every draft written before 0005.
        connection.execute(insert(DRAFTS), [before])
        connection.execute(
            insert(events),
            [
                {
                    "event_id": "e-1",
                    "draft_id": before["id"],
                    "type": "shown",
                    "agent_pseudonym": "p" * 64,
                    "occurred_at": moment,
                    "received_at": moment,
                    "payload": {},
                    "payload_digest": "d" * 64,
                }
            ],
        )

    migrate(db_url)
    with engine.connect() as connection:
        assert connection.execute(select(DRAFTS.c.id, DRAFTS.c.agent_pseudonym)).one() == (before["id"], None)
    assert "ix_drafts_agent_pseudonym" in {ix["name"] for ix in inspect(engine).get_indexes("drafts")}

    downgrade(db_url, "0004_confidence_level")  # an event still references the draft
    assert "agent_pseudonym" not in {c["name"] for c in inspect(engine).get_columns("drafts")}
    assert "ix_drafts_agent_pseudonym" not in {ix["name"] for ix in inspect(engine).get_indexes("drafts")}
    with engine.connect() as connection:
        assert connection.execute(select(DRAFTS.c.id)).scalar_one() == before["id"]
        assert connection.execute(select(events.c.event_id)).scalar_one() == "e-1"
    migrate(db_url, "0005_draft_owner")  # and up again with the rows present
    assert _current(engine) == "0005_draft_owner"


def test_the_forced_draft_migration_keeps_drafts_and_events_both_ways(db_url: str, engine: Engine) -> None:
    """0006 adds `forced` in place (NOT NULL, server default false: no rebuild of `drafts` under the
    events' foreign key); drafts written before it were decided by the system, so not forced."""
    migrate(db_url, "0005_draft_owner")
    events = Base.metadata.tables["feedback_events"]
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    before = _draft_row()
    # The table as 0005 left it: Core inserts exactly the columns written before 0006.
    drafts_0005 = Table("drafts", MetaData(), autoload_with=engine)
    with engine.begin() as connection:
        connection.execute(insert(drafts_0005), [{**before, "agent_pseudonym": "p" * 64}])
        connection.execute(
            insert(events),
            [
                {
                    "event_id": "e-1",
                    "draft_id": before["id"],
                    "type": "shown",
                    "agent_pseudonym": "p" * 64,
                    "occurred_at": moment,
                    "received_at": moment,
                    "payload": {},
                    "payload_digest": "d" * 64,
                }
            ],
        )

    migrate(db_url)
    assert _current(engine) == "0011_kb_builds"
    forced = {c["name"]: c for c in inspect(engine).get_columns("drafts")}["forced"]
    assert forced["nullable"] is False
    with engine.begin() as connection:
        assert connection.execute(select(DRAFTS.c.id, DRAFTS.c.forced)).one() == (before["id"], False)
        second = {**before, "id": "00000000-0000-4000-8000-000000000002", "forced": True}
        connection.execute(insert(DRAFTS), [second])

    downgrade(db_url, "0005_draft_owner")  # an event still references the first draft
    assert "forced" not in {c["name"] for c in inspect(engine).get_columns("drafts")}
    with engine.connect() as connection:
        ids = set(connection.execute(select(DRAFTS.c.id)).scalars())
        assert ids == {before["id"], "00000000-0000-4000-8000-000000000002"}
        assert connection.execute(select(events.c.event_id)).scalar_one() == "e-1"
    migrate(db_url)  # and up again with the rows present: both default to not forced
    with engine.connect() as connection:
        assert set(connection.execute(select(DRAFTS.c.forced)).scalars()) == {False}
