"""One writer at a time across the processes sharing a SQLite file, woken as soon as it is free.

SQLite serialises writers itself, but a process that finds the file locked sleeps in its busy
handler — 1, 2, 5, 10, 15, 20, 25 … 100 ms between tries — while the other process's writers,
queued on their own in-process lock, keep taking the file back. Under a mixed load (two worker
processes, ~150 chain appends a second) writer threads spent 28 % of their time queued behind a
sleeping one and a fifth of the cores stood idle.
An ``flock`` on a file beside the database is waited for in the kernel, which wakes the waiter
when the lock is released; SQLite's write lock is then free when the writer asks for it.
PostgreSQL needs none of this: its advisory lock is already such a queue (``chain.lock_chain``).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from sqlalchemy import Engine


class FileLockTimeout(TimeoutError):
    """Another process held the lock for the whole wait."""


class FileLock:
    """Exclusive, between processes. Within a process, callers take turns already (``acquire`` is
    called under the process's own writer lock): one holder at a time here too."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._held: int | None = None

    def acquire(self, timeout: float) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._held = self._fd
            return
        except BlockingIOError:
            pass
        self._held = self._wait(timeout)

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        fcntl.flock(held, fcntl.LOCK_UN)
        if held != self._fd:
            os.close(held)

    def _wait(self, timeout: float) -> int:
        """Block in the kernel on a descriptor of its own (flock locks belong to an open file: a
        waiter abandoned after the timeout must not release a lock a later waiter holds), in a
        helper thread, so that the wait can end at the timeout."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        guard, got = threading.Lock(), threading.Event()
        abandoned = False

        def wait() -> None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
            with guard:
                if abandoned:  # the caller gave up meanwhile: hand the lock back at once
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                    return
                got.set()

        threading.Thread(target=wait, name="hra-file-lock", daemon=True).start()
        if got.wait(timeout):
            return fd
        with guard:
            if got.is_set():  # taken just as the wait ended
                return fd
            abandoned = True
        raise FileLockTimeout(f"{self.path} stayed locked by another process for {timeout:g} s")


_locks: dict[str, FileLock] = {}
_locks_guard = threading.Lock()


def sqlite_writer_lock(engine: Engine) -> FileLock | None:
    """The lock file of a SQLite database file (``<database>.writer-lock``); None for other stores."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    # As the URL names the file (a relative one is the same file for every process it is relative
    # for): no resolving on this hot path, one lookup per write.
    path = f"{database}.writer-lock"
    with _locks_guard:
        if path not in _locks:
            _locks[path] = FileLock(Path(path))
        return _locks[path]


def remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
