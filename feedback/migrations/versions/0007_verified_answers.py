"""verified_answers: replies agents sent (as-is or lightly edited) for the same question, reused as drafts

Revision ID: 0007_verified_answers
Revises: 0006_forced_draft
Create Date: 2026-11-28

A candidate becomes verified after sends by enough distinct agents (pseudonyms only) or a lead's
promotion; it is retired on a thumbs-down on a reuse, when a cited source changes, or by a lead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_verified_answers"
down_revision = "0006_forced_draft"
branch_labels = None
depends_on = None

# A plain CREATE TABLE: no foreign key (the contributing drafts are a JSON list), nothing rebuilt.


def upgrade() -> None:
    op.create_table(
        "verified_answers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("question_masked", sa.Text(), nullable=False),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("kb_version", sa.String(32), nullable=False),
        sa.Column("embedder", sa.String(40), nullable=False),
        sa.Column("vector", sa.JSON(), nullable=False),
        sa.Column("agents", sa.JSON(), nullable=False),
        sa.Column("drafts", sa.JSON(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(10), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_reason", sa.String(40), nullable=True),
    )
    op.create_index("ix_verified_answers_status", "verified_answers", ["status"])


def downgrade() -> None:
    op.drop_index("ix_verified_answers_status", table_name="verified_answers")
    op.drop_table("verified_answers")
