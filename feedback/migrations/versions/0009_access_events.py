"""access_events: each read of the log or the aggregates by a lead, a representative or an admin

Revision ID: 0009_access_events
Revises: 0008_settings_hash
Create Date: 2026-11-28

Who read what, when (to the hour) — by role, never by person — each one an entry of the audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_access_events"
down_revision = "0008_settings_hash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_events",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("what", sa.String(40), nullable=False),
    )
    op.create_index("ix_access_events_occurred_at", "access_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_access_events_occurred_at", table_name="access_events")
    op.drop_table("access_events")
