"""The server section is read from HRA_SERVER__… only: a machine's bare PORT or WORKERS (set by many
platforms for other programs) must not change where or how the app serves."""

from __future__ import annotations

import pytest

from assistant.settings import Settings


def test_bare_host_port_workers_are_not_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"HOST": "0.0.0.0", "PORT": "9999", "WORKERS": "3", "MAX_BODY_BYTES": "2048"}.items():
        monkeypatch.setenv(name, value)
    server = Settings().server
    assert (server.host, server.port, server.workers, server.max_body_bytes) == (
        "127.0.0.1",
        8000,
        1,
        1_048_576,
    )


def test_the_server_section_comes_from_its_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HRA_SERVER__WORKERS", "2")
    monkeypatch.setenv("HRA_SERVER__WORKER_HEALTHCHECK_TIMEOUT_S", "90")
    server = Settings().server
    assert (server.workers, server.worker_healthcheck_timeout_s) == (2, 90)
