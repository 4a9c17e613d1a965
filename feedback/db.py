"""Engine and migrations of the feedback store (drafts today; panel events and audit log next).

SQLite (WAL) by default, PostgreSQL by URL. The schema is owned by alembic: the app upgrades to
head at start-up, so a fresh install and an old database end up identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event, text

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, lock_timeout_s: float = 2.0, **engine_options: Any) -> Engine:
    """``lock_timeout_s``: how long a statement waits for a lock held elsewhere (another process,
    a backup, a migration) before failing, which the API turns into a 503 with Retry-After.
    ``hide_parameters``: a driver error's message never carries the statement's values (masked
    questions, pseudonyms), so neither logs nor exported traces can leak them."""
    engine_options.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": lock_timeout_s}, **engine_options
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    lock_ms = max(1, int(lock_timeout_s * 1000))
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"options": f"-c lock_timeout={lock_ms}"},  # advisory locks included
        **engine_options,
    )


def probe_writable(engine: Engine, wait_ms: int = 200) -> None:
    """Raise (a DBAPIError) unless a write could happen now: a no-op UPDATE, rolled back. Catches
    what a plain SELECT cannot: read-only files, a read-only replica, a lock held elsewhere (the
    wait is short, so a readiness probe answers in well under a second)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            engine_wait = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
        else:
            conn.exec_driver_sql(f"SET lock_timeout = {int(wait_ms)}")
        conn.commit()
        try:
            transaction = conn.begin()
            try:
                conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
            finally:
                transaction.rollback()
        finally:  # the connection goes back to the pool: give the next user the engine's own wait
            conn.exec_driver_sql(f"PRAGMA busy_timeout={engine_wait}" if sqlite else "RESET lock_timeout")
            conn.commit()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


class UnknownRevisionError(Exception):
    """The database was migrated by another (newer?) release: this code must not run against it."""

    def __init__(self, current: str | None, head: str) -> None:
        super().__init__(
            f"the database is at revision {current!r}, unknown to this release (head {head!r}): "
            "was it migrated by a newer release? / révision inconnue de cette version"
        )
        self.current, self.head = current, head


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against this code's migrations."""

    current: str | None  # None: never migrated (an empty database)
    head: str
    pending: list[str]  # revisions an upgrade to head would apply, oldest first

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def schema_status(url: str) -> SchemaStatus:
    """Read-only: the database's revision, this code's head, and what an upgrade would apply."""
    script = ScriptDirectory.from_config(alembic_config(url))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    head = script.get_current_head()
    assert head is not None  # the package ships its migrations (tests/deploy/test_package_data.py)
    try:
        pending = [rev.revision for rev in script.iterate_revisions(head, current)]
    except (CommandError, ResolutionError) as exc:  # unknown here: a newer release migrated it
        raise UnknownRevisionError(current, head) from exc
    return SchemaStatus(current=current, head=head, pending=list(reversed(pending)))
