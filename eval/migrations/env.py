"""Alembic environment of the eval tables: run on the connection handed in by eval.db."""

from __future__ import annotations

from alembic import context

from eval.db import VERSION_TABLE
from eval.models import EvalBase

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=EvalBase.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
