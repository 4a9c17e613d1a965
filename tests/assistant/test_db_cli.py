"""`hra db status|migrate`: the schema step operators run once before starting a new release."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from assistant.cli import app
from feedback.db import downgrade, make_engine, migrate, schema_status

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'hra.sqlite'}"
    monkeypatch.setenv("HRA_DATABASE_URL", url)
    return url


def test_status_of_an_empty_database_lists_every_migration_and_fails(database: str) -> None:
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 1
    assert "never migrated" in result.output
    status = schema_status(database)
    assert status.current is None and status.pending[0] == "0001_drafts" and status.pending[-1] == status.head


def test_migrate_then_status_is_up_to_date(database: str) -> None:
    first = runner.invoke(app, ["db", "migrate"])
    assert first.exit_code == 0, first.output
    head = schema_status(database).head
    assert f"(empty) → {head}" in first.output
    again = runner.invoke(app, ["db", "migrate"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0 and "up to date" in status.output


def test_status_names_what_an_older_database_is_missing(database: str) -> None:
    migrate(database)
    downgrade(database, "0009_access_events")
    status = schema_status(database)
    assert status.current == "0009_access_events"
    assert status.pending == ["0010_drafts_in_chain", "0011_kb_builds"]
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 1 and "2 migration(s) pending" in result.output


def test_a_revision_unknown_to_this_release_is_refused(database: str) -> None:
    migrate(database)
    engine = make_engine(database)
    with engine.begin() as conn:  # as if a newer release had migrated it
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()
    for command in (["db", "status"], ["db", "migrate"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert "0099_from_the_future" in result.output and "newer release" in result.output


def test_the_password_of_the_database_url_is_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRA_DATABASE_URL", "postgresql+psycopg://hra:s3cret-pw@127.0.0.1:1/hra")
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 1
    assert "s3cret-pw" not in result.output and "cannot connect" in result.output
