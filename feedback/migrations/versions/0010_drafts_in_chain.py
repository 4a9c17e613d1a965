"""drafts in the audit chain: every draft already stored gets its entry at upgrade time

Revision ID: 0010_drafts_in_chain
Revises: 0009_access_events
Create Date: 2026-11-28

No schema change. From this revision on, the drafting service appends each draft's entry (its id
and the SHA-256 of its content, ``feedback.audit.draft_canonical``) in the draft's own transaction;
this upgrade appends one for each draft stored before it, oldest first, so an existing database is
covered from the upgrade on. Editing a draft *before* the upgrade cannot be detected; editing it
after can. Idempotent: drafts that already have an entry are skipped.

Downgrade keeps the entries: they are interleaved with the events' and removing them would break
the chain. (The 0009 code's ``verify`` would then report them as missing events — upgrade again.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from feedback.audit import DRAFT_FIELDS, draft_canonical
from feedback.chain import GENESIS, entry_row, lock_chain
from feedback.models import Base

revision = "0010_drafts_in_chain"
down_revision = "0009_access_events"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    conn = op.get_bind()
    lock_chain(conn)  # PostgreSQL: an app process still running must not append meanwhile
    drafts, log = Base.metadata.tables["drafts"], Base.metadata.tables["audit_log"]
    unchained = (
        sa.select(drafts.c.id, *(drafts.c[name] for name in DRAFT_FIELDS))
        .where(~sa.exists().where(log.c.event_id == drafts.c.id))
        .order_by(drafts.c.created_at, drafts.c.id)
    )
    last = conn.execute(sa.select(log.c.seq, log.c.entry_hash).order_by(log.c.seq.desc()).limit(1)).first()
    head = (last[0], last[1]) if last else (0, GENESIS)
    now = datetime.now(UTC)
    rows = []
    for draft in conn.execute(unchained).all():
        row = entry_row(head, draft.id, draft_canonical(draft.id, dict(draft._mapping)), now)
        rows.append(row)
        head = (row["seq"], row["entry_hash"])
        if len(rows) == BATCH:
            conn.execute(sa.insert(log), rows)
            rows = []
    if rows:
        conn.execute(sa.insert(log), rows)


def downgrade() -> None:
    pass
