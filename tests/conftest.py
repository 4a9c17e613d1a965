"""Shared fixtures. Fixture modules live in tests/fixtures and are loaded as plugins."""

from __future__ import annotations

import os

# Before any model import: stable CPU latency and no network attempts (see shared/STACK.md).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")

pytest_plugins = [
    "tests.fixtures.corpus",
    "tests.fixtures.chroma_server",
    "tests.fixtures.app",
    "tests.fixtures.postgres",
]
