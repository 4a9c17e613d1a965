"""drafts: randomised arm (assisted | control) and the draft a regeneration replaces

Revision ID: 0003_control_arm
Revises: 0002_feedback_audit
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_control_arm"
down_revision = "0002_feedback_audit"
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN on purpose, no batch table rebuild: on SQLite a rebuild drops and recreates
# `drafts`, which feedback_events references (foreign keys are on), so it would fail once events
# exist. `regenerated_from` is therefore a soft reference (no foreign key).


def upgrade() -> None:
    # Drafts written before the control arm existed were all shown to the agent: "assisted".
    op.add_column("drafts", sa.Column("arm", sa.String(10), nullable=False, server_default="assisted"))
    op.add_column("drafts", sa.Column("regenerated_from", sa.String(36), nullable=True))
    op.create_index("ix_drafts_arm", "drafts", ["arm"])


def downgrade() -> None:
    op.drop_index("ix_drafts_arm", table_name="drafts")
    for column in ("regenerated_from", "arm"):
        # SQLite ≥ 3.35 drops a column in place; alembic would otherwise rebuild the table.
        op.execute(f"ALTER TABLE drafts DROP COLUMN {column}")
