"""drafts: one row per draft, question PII-masked

Revision ID: 0001_drafts
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_drafts"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("question_masked", sa.Text(), nullable=False),
        sa.Column("pii_kinds", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(32)),
        sa.Column("topic", sa.String(120)),
        sa.Column("decision", sa.String(20), nullable=False, index=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("draft_text", sa.Text()),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("retrieved", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("kb_version", sa.String(32), nullable=False),
        sa.Column("drafter", sa.String(20), nullable=False),
        sa.Column("model", sa.String(80)),
        sa.Column("prompt_version", sa.String(40)),
        sa.Column("fallback_reason", sa.Text()),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("ai_mention", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("drafts")
