"""kb_builds, kb_pointer: the live KB build in the database, so replicas share no files

Revision ID: 0011_kb_builds
Revises: 0010_drafts_in_chain
Create Date: 2026-11-28

With HRA_KB__STORE=database, an ingest publishes its build (manifest, chunks) here and moves the
pointer; every replica rebuilds its local index from it (knowledge_base/shared_store.py). The tables
sit in the app's database, so they follow its migrations, backups and engine.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_kb_builds"
down_revision = "0010_drafts_in_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_builds",
        sa.Column("build_id", sa.String(40), primary_key=True),
        sa.Column("kb_version", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("chunks", sa.LargeBinary, nullable=False),
        sa.Column("chunks_sha256", sa.String(64), nullable=False),
        sa.Column("report", sa.Text, nullable=True),
    )
    op.create_table(
        "kb_pointer",
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("build_id", sa.String(40), nullable=False),
        sa.Column("kb_version", sa.String(16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kb_pointer")
    op.drop_table("kb_builds")
