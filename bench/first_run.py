"""First start on a fresh clone (dependencies installed, no index yet) → bench/results/first_run.json.

Runs what `make run` runs — `hra kb ingest` then `hra serve` — against an empty index directory and
measures the time until `GET /api/v1/ready` answers 200 (index built from the shipped vectors,
models loaded, warm-up query done). Target (issue 3): ≤ 60 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import machine, write_result
from tests.fixtures.server import free_port

BIN = Path(sys.executable).parent


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hra-first-run-"))
    port = free_port()
    env = {
        **os.environ,
        "HRA_KB__INDEX_DIR": str(work / "kb"),
        "HRA_SERVER__PORT": str(port),
        "OMP_NUM_THREADS": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    started = time.perf_counter()
    try:
        subprocess.run([str(BIN / "hra"), "kb", "ingest"], env=env, check=True, capture_output=True)
        ingest_seconds = time.perf_counter() - started
        server = subprocess.Popen(
            [str(BIN / "hra"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/ready", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > 300:
                    sys.exit("not ready after 300 s")
                time.sleep(0.1)
            ready_seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(10)
        result = {
            "ingest_seconds": round(ingest_seconds, 2),
            "ready_seconds": round(ready_seconds, 2),
            "target_seconds": 60,
            "machine": machine(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        print(result, file=sys.stderr)
        write_result("first_run", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
