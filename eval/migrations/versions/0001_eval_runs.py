"""eval runs, their scores with 95 % intervals, and per-sample scores (for paired comparisons)

Revision ID: eval_0001_runs
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "eval_0001_runs"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dataset_name", sa.String(200), nullable=False),
        sa.Column("dataset_hash", sa.String(64), nullable=False),
        sa.Column("release", sa.JSON(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_eval_runs_created_at", "eval_runs", ["created_at"])
    op.create_table(
        "eval_scores",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("eval_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("metric", sa.String(80), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.UniqueConstraint("run_id", "metric"),
    )
    op.create_index("ix_eval_scores_run_id", "eval_scores", ["run_id"])
    op.create_table(
        "eval_sample_scores",
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("eval_runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("metric", sa.String(80), primary_key=True),
        sa.Column("values", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("eval_sample_scores")
    op.drop_index("ix_eval_scores_run_id", table_name="eval_scores")
    op.drop_table("eval_scores")
    op.drop_index("ix_eval_runs_created_at", table_name="eval_runs")
    op.drop_table("eval_runs")
