"""A non-editable install (the container image) must carry every file the app reads: each file of
the four packages is either a module of a package (a folder with __init__.py, all the way up) or
matched by pyproject.toml's package-data. Without this, `pip install .` once shipped no side-panel
pages and the app did not start."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SKIPPED = {"__pycache__"}


def _is_module(path: Path, package: Path) -> bool:
    if path.suffix != ".py":
        return False
    folder = path.parent
    while True:
        if not (folder / "__init__.py").exists():
            return False
        if folder == package:
            return True
        folder = folder.parent


def test_every_file_of_the_packages_goes_into_the_wheel() -> None:
    setuptools = PYPROJECT["tool"]["setuptools"]
    packages = [p.rstrip("*") for p in setuptools["packages"]["find"]["include"]]
    patterns = setuptools["package-data"]
    missing = []
    for name in packages:
        package = ROOT / name
        for path in package.rglob("*"):
            if not path.is_file() or SKIPPED & set(path.relative_to(package).parts) or path.suffix == ".pyc":
                continue
            relative = path.relative_to(package).as_posix()
            if _is_module(path, package):
                continue
            if not any(fnmatch(relative, pattern) for pattern in patterns.get(name, [])):
                missing.append(f"{name}/{relative}")
    assert not missing, f"not in the wheel (add to [tool.setuptools.package-data]): {missing[:20]}"
