"""Folders follow the data: knowledge_base ← assistant ← (feedback) ; eval is imported by nobody,
except at the one seam where ``create_app`` mounts the leads' dashboard (``eval.dashboard``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "knowledge_base": {"assistant", "feedback", "eval"},
    "assistant": {"eval"},
    "feedback": {"eval", "assistant"},
}
# The one allowed exception: assistant/app.py may import eval.dashboard (its router), nothing else.
SEAM = ("assistant/app.py", "eval.dashboard")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def imported_packages(path: Path, allowed: frozenset[str] = frozenset()) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path) - allowed}


def allowed_for(path: Path) -> frozenset[str]:
    return frozenset({SEAM[1]}) if path.relative_to(ROOT).as_posix() == SEAM[0] else frozenset()


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_against_the_data_flow(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path, allowed_for(path)) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_imports() -> None:
    assert "knowledge_base" in imported_packages(ROOT / "assistant" / "app.py") | imported_packages(
        ROOT / "assistant" / "services" / "knowledge.py"
    )


def test_the_seam_is_the_dashboard_router_only() -> None:
    """create_app imports eval.dashboard (and nothing else from eval); no other file of assistant does."""
    app = ROOT / "assistant" / "app.py"
    assert {m for m in imported_modules(app) if m.split(".")[0] == "eval"} == {"eval.dashboard"}
    assert imported_packages(app, allowed_for(app)) & {"eval"} == set()
    assert allowed_for(ROOT / "assistant" / "cli.py") == frozenset()
