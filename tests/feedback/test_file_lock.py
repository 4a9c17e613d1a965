"""The writers' lock shared by the processes of one SQLite store (``feedback.file_lock``): mutual
exclusion with a real second process, a bounded wait that hands the lock back when abandoned, and
a chain write through the API refused with 503 while another process keeps the lock."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings
from feedback.db import make_engine
from feedback.file_lock import FileLock, FileLockTimeout, sqlite_writer_lock
from tests.fixtures.app import bearer

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("HELD", flush=True)
time.sleep(float(sys.argv[2]))
print(f"RELEASED {time.time():.6f}", flush=True)
fcntl.flock(fd, fcntl.LOCK_UN)
time.sleep(30)
"""


@contextmanager
def held_elsewhere(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process takes the lock file and keeps it ``seconds``, then says when it let go."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "HELD"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def released_at(proc: subprocess.Popen[str]) -> float:
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    assert line[0] == "RELEASED"
    return float(line[1])


def test_a_waiter_gets_the_lock_only_once_the_other_process_lets_go(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "store.sqlite.writer-lock")
    with held_elsewhere(lock.path, 0.3) as holder:
        lock.acquire(timeout=10)
        acquired = time.time()
        try:
            assert acquired >= released_at(holder) - 0.005  # never both at once
        finally:
            lock.release()
    lock.acquire(timeout=0)  # free again: taken without waiting
    lock.release()


def test_an_abandoned_wait_hands_the_lock_back(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "store.sqlite.writer-lock")
    with held_elsewhere(lock.path, 1.0) as holder:
        with pytest.raises(FileLockTimeout, match="stayed locked by another process"):
            lock.acquire(timeout=0.1)
        released_at(holder)
        # The abandoned waiter got the lock when the holder let go, and gave it back at once.
        lock.acquire(timeout=5)
        lock.release()


def test_only_sqlite_files_get_a_lock_file(tmp_path: Path) -> None:
    lock = sqlite_writer_lock(make_engine(f"sqlite:///{tmp_path}/hra.sqlite"))
    assert lock is not None and lock.path == tmp_path / "hra.sqlite.writer-lock"
    assert sqlite_writer_lock(make_engine(f"sqlite:///{tmp_path}/hra.sqlite")) is lock  # one per file
    assert sqlite_writer_lock(make_engine("sqlite://")) is None


def test_an_event_waits_for_another_process_then_gets_a_503_not_a_hang(app_settings: Settings) -> None:
    feedback = app_settings.feedback.model_copy(update={"lock_timeout_s": 0.3})
    settings = app_settings.model_copy(update={"feedback": feedback})
    with TestClient(create_app(settings), headers=bearer()) as client:
        draft_id = client.post("/api/v1/drafts", json={"question": "Combien de jours de congés ?"}).json()[
            "draft_id"
        ]
        database = Path(settings.database_url.split("///", 1)[1])
        event = {"event_id": str(uuid.uuid4()), "draft_id": draft_id, "type": "shown"}
        with held_elsewhere(Path(f"{database}.writer-lock"), 5):
            refused = client.post("/api/v1/feedback/events", json=event)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert set(refused.json()) == {"code", "detail"}
        assert client.post("/api/v1/feedback/events", json=event).status_code == 201  # kept by the panel
