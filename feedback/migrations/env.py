"""Alembic environment: the URL comes from the Config built in feedback.db (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from feedback.db import make_engine
from feedback.models import Base
from knowledge_base.shared_store import metadata as kb_metadata

config = context.config
# The app's database: the feedback store's ORM models and the shared KB store's tables.
target_metadata = [Base.metadata, kb_metadata]


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url, poolclass=pool.NullPool)  # no connection lingers after the migration
    with engine.connect() as connection:
        # batch mode: SQLite cannot ALTER most things in place.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
