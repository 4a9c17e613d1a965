"""Shared fixtures. Fixture modules live in tests/fixtures and are loaded as plugins."""

from __future__ import annotations

import os

import pytest

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

_BROWSER_FIXTURES = {"page", "context", "browser", "browser_context_args"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last, wherever they live: Playwright's sync API keeps an event loop running in
    the main thread for the session, and an asyncio test collected after it then fails with
    « Runner.run() cannot be called from a running event loop »."""
    items.sort(key=lambda item: bool(_BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))))
