"""``hra measures``: a simulated week written into a SQLite store, printed as tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.measures import _store_week
from eval.measures_cli import measures_app
from eval.simulate_sessions import SimConfig, simulate_week


def test_hra_measures_prints_the_week_and_the_extra_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/hra.sqlite"
    engine, _ = _store_week(
        simulate_week("2026-W48", SimConfig(agents=12, questions_per_agent=40), seed=3), url
    )
    engine.dispose()
    monkeypatch.setenv("HRA_DATABASE_URL", url)
    result = CliRunner().invoke(measures_app, ["--week", "2026-W48", "--weeks", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Temps gagné — 2026-W48" in out and "Temps gagné — 2026-W47" in out
    assert "EFFET NET" in out and "vérification" in out
    assert "agent-" not in out
    as_json = CliRunner().invoke(measures_app, ["--week", "2026-W48", "--json"])
    assert as_json.exit_code == 0 and '"hodges_lehmann_s"' in as_json.output
