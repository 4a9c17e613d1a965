"""drafts: the confidence level shown to the agent (élevée / moyenne / faible) and its reason

Revision ID: 0004_confidence_level
Revises: 0003_control_arm
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_confidence_level"
down_revision = "0003_control_arm"
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN, as in 0003: no SQLite table rebuild under the events' foreign key.


def upgrade() -> None:
    op.add_column("drafts", sa.Column("confidence_level", sa.String(10), nullable=True))
    op.add_column("drafts", sa.Column("confidence_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("confidence_reason", "confidence_level"):
        op.execute(f"ALTER TABLE drafts DROP COLUMN {column}")
