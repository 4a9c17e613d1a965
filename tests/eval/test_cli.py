"""``hra eval`` through Typer's CliRunner, on the ``hra`` app itself (entry point group)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from eval.runs import RunStore
from feedback.db import make_engine


def write(path: Path, correct: float, seed: int = 0) -> Path:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(60):
        hit = rng.random() < correct
        rows.append(
            {
                "sample_id": f"s{i}",
                "user_input": f"question {i}",
                "retrieved_context_ids": ["good", "x"] if hit else ["x", "y"],
                "reference_context_ids": ["good"],
                "retrieved_contexts": ["passage"],
                "response": "Bonjour, 2,5 jours par mois.",
                "reference": "Bonjour, 2,5 jours par mois." if hit else "Autre chose entièrement.",
                "outcome": "accepted_as_is" if hit else "rewritten",
                "verdict": None,
                "release": {"kb_version": "kb-test", "drafter": "offline"},
            }
        )
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HRA_DATABASE_URL": f"sqlite:///{tmp_path}/hra.sqlite", "MISTRAL_API_KEY": "", "COLUMNS": "200"}


def test_run_compare_and_export(tmp_path: Path, env: dict[str, str]) -> None:
    runner = CliRunner()
    good, bad = write(tmp_path / "good.jsonl", 0.9), write(tmp_path / "bad.jsonl", 0.9 - 0.4)

    first = runner.invoke(app, ["eval", "run", "--dataset", str(good), "--no-llm"], env=env)
    assert first.exit_code == 0, first.output
    assert "recall@10" in first.output and "rate_rewritten" in first.output and "kb-test" in first.output
    second = runner.invoke(
        app, ["eval", "run", "--dataset", str(bad), "--release", '{"kb_version": "kb-2"}'], env=env
    )
    assert second.exit_code == 0, second.output

    runs = RunStore(make_engine(env["HRA_DATABASE_URL"])).list_runs()
    assert [r["release"]["kb_version"] for r in runs] == ["kb-2", "kb-test"]

    compared = runner.invoke(app, ["eval", "compare", str(runs[1]["id"]), str(runs[0]["id"])], env=env)
    assert compared.exit_code == 1, compared.output
    assert "REGRESSION" in compared.output and "recall@10" in compared.output
    same = runner.invoke(app, ["eval", "compare", str(runs[1]["id"]), str(runs[1]["id"])], env=env)
    assert same.exit_code == 0 and "No regression" in same.output

    exported = runner.invoke(app, ["eval", "export-feedback", "--out", str(tmp_path / "sets")], env=env)
    assert exported.exit_code == 0, exported.output
    assert len(list((tmp_path / "sets").glob("feedback-*-*.jsonl"))) == 1 and "0 samples" in exported.output
    listed = runner.invoke(app, ["eval", "runs"], env=env)
    assert listed.exit_code == 0 and "good.jsonl" in listed.output


def test_llm_required_but_not_configured_is_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path / "d.jsonl", 0.5)
    res = CliRunner().invoke(app, ["eval", "run", "--dataset", str(path), "--llm"], env=env)
    assert res.exit_code == 2 and "No LLM configured" in res.output
    missing = CliRunner().invoke(app, ["eval", "run", "--dataset", str(tmp_path / "nope.jsonl")], env=env)
    assert missing.exit_code != 0
