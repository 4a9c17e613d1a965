"""A throwaway PostgreSQL 15 cluster for benchmarks (same recipe as the test fixture)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

PGBIN = "/usr/lib/postgresql/15/bin"


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    pre = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    base = tempfile.mkdtemp(prefix="pgb-")
    if pre:
        shutil.chown(base, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = {"check": True, "capture_output": True, "timeout": 60}
    subprocess.run(
        [
            *pre,
            f"{PGBIN}/initdb",
            "-D",
            f"{base}/data",
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        **run,
    )  # type: ignore[call-overload]
    subprocess.run(
        [
            *pre,
            f"{PGBIN}/pg_ctl",
            "-D",
            f"{base}/data",
            "-l",
            f"{base}/log",
            "-w",
            "-t",
            "30",
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200",
            "start",
        ],
        **run,
    )  # type: ignore[call-overload]
    try:
        subprocess.run(
            [f"{PGBIN}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench"], **run
        )  # type: ignore[call-overload]
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(
            [*pre, f"{PGBIN}/pg_ctl", "-D", f"{base}/data", "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
