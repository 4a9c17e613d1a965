"""drafts: « Proposer quand même » — a draft the agent asked for after an abstention is marked forced

Revision ID: 0006_forced_draft
Revises: 0005_draft_owner
Create Date: 2026-11-28

Every draft written before this revision was decided by the system: forced = false.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_forced_draft"
down_revision = "0005_draft_owner"
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN, as in 0003 and 0005: no SQLite table rebuild under the events' foreign key.


def upgrade() -> None:
    op.add_column("drafts", sa.Column("forced", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # SQLite ≥ 3.35 drops a column in place; alembic would otherwise rebuild the table.
    op.execute("ALTER TABLE drafts DROP COLUMN forced")
