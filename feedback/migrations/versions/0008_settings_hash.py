"""drafts: the settings hash of the release that drafted it (retrieval, decision and drafting settings)

Revision ID: 0008_settings_hash
Revises: 0007_verified_answers
Create Date: 2026-11-28

A release is (kb_version, prompt version, drafter/model, settings hash); the first three were already
on each draft. Drafts written before this revision have no hash (NULL): their release says so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_settings_hash"
down_revision = "0007_verified_answers"
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN, as in 0003, 0005 and 0006: no SQLite table rebuild under the events' foreign key.


def upgrade() -> None:
    op.add_column("drafts", sa.Column("settings_hash", sa.String(12), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE drafts DROP COLUMN settings_hash")
