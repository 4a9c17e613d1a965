"""The panel's "Nouveautés": parsed from the release-notes file, placeholder until it exists."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.services.changelog import ChangelogService, ChangelogSettings, parse
from assistant.settings import Settings
from tests.fixtures.app import bearer

NOTES = """# Nouveautés
Texte d'introduction, ignoré.

## 2026-12-08 — Congés des fonctionnaires
- 14 fiches ajoutées sur le CET.
- Les brouillons citent la phrase exacte.

## 2026-12-01
* Première version.
"""


def test_entries_are_parsed_newest_first_as_written() -> None:
    entries = parse(NOTES)

    assert [(e.date, e.title, e.items) for e in entries] == [
        (
            "2026-12-08",
            "Congés des fonctionnaires",
            ["14 fiches ajoutées sur le CET.", "Les brouillons citent la phrase exacte."],
        ),
        ("2026-12-01", "Version du 2026-12-01", ["Première version."]),
    ]


def test_a_missing_or_empty_file_gives_the_placeholder(tmp_path: Path) -> None:
    service = ChangelogService(ChangelogSettings(path=tmp_path / "absent.md"))
    (entry,) = service.entries()
    assert entry["placeholder"] is True and entry["date"] is None and entry["items"]

    (tmp_path / "empty.md").write_text("# Nouveautés\n\nRien encore.\n", encoding="utf-8")
    assert ChangelogService(ChangelogSettings(path=tmp_path / "empty.md")).entries()[0]["placeholder"]


def test_the_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("## 2026-12-01 — A\n- un\n", encoding="utf-8")
    service = ChangelogService(ChangelogSettings(path=path, max_entries=1))
    assert service.entries()[0]["title"] == "A"

    path.write_text(NOTES, encoding="utf-8")
    os.utime(path, (1, 2_000_000_000))  # a different mtime even on a coarse clock
    assert [e["title"] for e in service.entries()] == ["Congés des fonctionnaires"]  # max_entries=1


def test_the_endpoint_needs_a_token_of_any_role(app_settings: Settings, tmp_path: Path) -> None:
    """Agents read it in « Nouveautés », representatives in « Les changements »."""
    (tmp_path / "notes.md").write_text(NOTES, encoding="utf-8")
    settings = app_settings.model_copy(update={"changelog": ChangelogSettings(path=tmp_path / "notes.md")})
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/changelog").status_code == 401
        for role in ("rep", "lead", "admin"):
            assert client.get("/api/v1/changelog", headers=bearer(role)).status_code == 200
        res = client.get("/api/v1/changelog", headers=bearer("agent"))
    assert res.status_code == 200
    assert [e["date"] for e in res.json()] == ["2026-12-08", "2026-12-01"]
    assert res.json()[0]["placeholder"] is False
