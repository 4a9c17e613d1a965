"""drafts: the owner of each draft (agent pseudonym), so another agent's token gets 404

Revision ID: 0005_draft_owner
Revises: 0004_confidence_level
Create Date: 2026-11-28

Drafts written before this revision keep a NULL owner: nobody can tell whose they were (the agent
id was typed by the client then), so they are readable only by an admin, and no agent — admin
included — can post events on them or regenerate them any more.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_draft_owner"
down_revision = "0004_confidence_level"
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN, as in 0003: no SQLite table rebuild under the events' foreign key.


def upgrade() -> None:
    op.add_column("drafts", sa.Column("agent_pseudonym", sa.String(64), nullable=True))
    op.create_index("ix_drafts_agent_pseudonym", "drafts", ["agent_pseudonym"])


def downgrade() -> None:
    op.drop_index("ix_drafts_agent_pseudonym", table_name="drafts")
    # SQLite ≥ 3.35 drops a column in place; alembic would otherwise rebuild the table.
    op.execute("ALTER TABLE drafts DROP COLUMN agent_pseudonym")
