"""The audit chain's primitives: canonical JSON, digests, and appending an entry.

entry_hash_i = SHA-256(entry_hash_{i-1} ‖ content_digest_i), with content_digest_i =
SHA-256(canonical_json(event_i)) and entry_hash_0 = 64 zeros. The canonical event carries the
payload's digest, not the payload (see ``feedback.audit.event_canonical``): retention can delete
a payload while every other field stays covered.
Appends are serialised (one writer at a time, in the event's own transaction), so sequence
numbers have no gaps and a crash never leaves an event without its entry or vice versa.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.orm import Session

from feedback.file_lock import FileLockTimeout, remaining, sqlite_writer_lock
from feedback.models import AuditEntry

GENESIS = "0" * 64
_local_writer = threading.Lock()  # SQLite serialises writers anyway; this avoids busy retries in-process
# Bumped by every append of this process (under the writer lock): a ChainHead cached before another
# appender of this process (drafts, reads of the log) wrote re-reads the head instead of colliding.
_appends = 0
_lock_timeout_s = 2.0


class StoreBusyError(RuntimeError):
    """The store's writer lock was not free within the lock timeout: nothing was written."""


def set_lock_timeout(seconds: float) -> None:
    """How long a writer waits for the chain (this process's lock; the database's own wait is the
    engine's, see ``feedback.db.make_engine``). Short: a locked store answers 503, never a hang."""
    global _lock_timeout_s
    _lock_timeout_s = seconds


def canonical_json(obj: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same event always gives the same bytes."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def chain_hash(prev_hash: str, content_digest: str) -> str:
    return sha256_hex(bytes.fromhex(prev_hash) + bytes.fromhex(content_digest))


def lock_chain(session: Session | Connection) -> None:
    """Take the chain's write lock inside the current transaction, held until commit, so several
    app processes append in turn. PostgreSQL: an advisory lock. SQLite: its write lock, taken now
    by a write that changes nothing (waiting up to the busy timeout) rather than at the first
    insert — otherwise two processes read the same head and collide on the next sequence number,
    and under load (2 processes, 14 writers) three retries were not always enough: a 503."""
    bind = session.get_bind() if isinstance(session, Session) else session
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7243001)"))
    elif bind.dialect.name == "sqlite":
        session.execute(text("UPDATE audit_log SET seq = seq WHERE 0"))


_LOG = AuditEntry.__table__.c  # plain table columns: a Core statement skips the ORM's compilation
_HEAD = select(_LOG.seq, _LOG.entry_hash).order_by(_LOG.seq.desc()).limit(1)


def _head(conn: Session | Connection) -> tuple[int, str]:
    last = conn.execute(_HEAD).first()
    return (last[0], last[1]) if last else (0, GENESIS)


def entry_row(head: tuple[int, str], event_id: str, canonical: str, recorded_at: datetime) -> dict[str, Any]:
    """The audit row that follows ``head`` (last seq, last entry hash)."""
    digest = sha256_hex(canonical)
    return {
        "seq": head[0] + 1,
        "event_id": event_id,
        "canonical": canonical,
        "content_digest": digest,
        "prev_hash": head[1],
        "entry_hash": chain_hash(head[1], digest),
        "recorded_at": recorded_at,
    }


def append(
    session: Session, event_id: str, canonical: str, recorded_at: datetime | None = None
) -> dict[str, Any]:
    """Append one entry in the caller's transaction (call with the chain locked). A Core INSERT:
    the ORM's unit of work was most of a draft's store cost. Reading the head flushes what the
    session holds first (autoflush), so a draft's row is written before its entry, as before."""
    global _appends
    _appends += 1
    row = entry_row(_head(session), event_id, canonical, recorded_at or datetime.now(UTC))
    session.connection().execute(insert(AuditEntry), row)
    return row


@contextmanager
def writer_lock(engine: Engine | None = None) -> Iterator[None]:
    """This process's writers one at a time and, on a SQLite file ``engine``, one process at a time
    (``feedback.file_lock``: a process no longer sleeps in SQLite's busy handler while the other
    keeps the file). Both waits are bounded by the lock timeout: past it, ``StoreBusyError``."""
    deadline = time.monotonic() + _lock_timeout_s
    if not _local_writer.acquire(timeout=_lock_timeout_s):
        raise StoreBusyError(f"the audit chain stayed locked for {_lock_timeout_s:g} s")
    try:
        shared = sqlite_writer_lock(engine) if engine is not None else None
        if shared is not None:
            try:
                shared.acquire(remaining(deadline))
            except FileLockTimeout as exc:
                raise StoreBusyError(f"the audit chain stayed locked for {_lock_timeout_s:g} s") from exc
        try:
            yield
        finally:
            if shared is not None:
                shared.release()
    finally:
        _local_writer.release()


class ChainHead:
    """The last (seq, entry_hash), cached between appends of this process so an append is one
    INSERT. Another process appending meanwhile makes our INSERT collide on ``seq`` (primary
    key): the caller retries the whole transaction, reading the head afresh (``fresh``).

    ``committed`` must run before the writer lock is released: a thread paused between its commit
    and the cache update let the next writers start from the old head, collide, and — several
    such pauses in a row on a loaded machine — exhaust their retries (a 503)."""

    def __init__(self) -> None:
        self._head: tuple[int, str] | None = None
        self._seen = -1  # the process's append count when the cache was last right

    def append(
        self, conn: Connection, event_id: str, canonical: str, recorded_at: datetime, fresh: bool = False
    ) -> tuple[int, str]:
        """Insert the entry after the head; returns the new head, to pass to ``committed``.

        ``fresh``: read the head from the database whatever the cache says — a retry after a
        collision must, since another thread may have cached a head that another process has
        since passed (three such collisions in a row were a 503 under load)."""
        if fresh or self._head is None or self._seen != _appends:
            self._head = _head(conn)
        row = entry_row(self._head, event_id, canonical, recorded_at)
        conn.execute(insert(AuditEntry), row)
        return (row["seq"], row["entry_hash"])

    def committed(self, head: tuple[int, str]) -> None:
        """Call after the transaction committed, still holding the writer lock: ``head`` (what
        ``append`` returned) becomes the cached one."""
        global _appends
        _appends += 1
        self._head, self._seen = head, _appends
