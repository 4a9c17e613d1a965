"""``hra eval release-notes``: an entry at the top of the agents' « Nouveautés », with the feedback
that motivated it, counted from a store filled through the HTTP API; suppressed below 5 agents."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.app import create_app
from assistant.cli import app
from assistant.services.changelog import ChangelogService, ChangelogSettings
from assistant.settings import Settings
from tests.fixtures.app import agent_bearer

INTRO = "# Nouveautés\n\nIntro.\n\n## 2026-01-05 — Ancienne version\n- Avant.\n"


def fill(settings: Settings, agents: int) -> dict[str, list[str]]:
    """Each agent asks once; agents 1–3 say « pas utile » (outdated, twice with wrong too); the
    others discard. Returns the draft ids by what happened."""
    out: dict[str, list[str]] = {"down": [], "discarded": []}
    with TestClient(create_app(settings)) as client:
        for agent in range(1, agents + 1):
            headers = agent_bearer(agent)
            body = {"question": "Combien de jours de congés payés par mois ?"}
            draft_id = client.post("/api/v1/drafts", json=body, headers=headers).json()["draft_id"]
            event = {"event_id": str(uuid.uuid4()), "draft_id": draft_id}
            if agent <= 3:
                reasons = ["outdated", "wrong"] if agent <= 2 else ["outdated"]
                event |= {"type": "verdict", "value": "down", "reasons": reasons}
                out["down"].append(draft_id)
            else:
                event |= {"type": "discarded", "reason": "hors sujet"}
                out["discarded"].append(draft_id)
            assert client.post("/api/v1/feedback/events", json=event, headers=headers).status_code == 201
    return out


def run(settings: Settings, notes: Path, *args: str) -> str:
    env = {"HRA_DATABASE_URL": settings.database_url, "MISTRAL_API_KEY": "", "COLUMNS": "200"}
    result = CliRunner().invoke(
        app,
        ["eval", "release-notes", "--file", str(notes), "--since", "2026-01-05", *args],
        env=env,
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_the_entry_says_what_changed_and_why(app_settings: Settings, tmp_path: Path) -> None:
    posted = fill(app_settings, agents=6)
    notes = tmp_path / "nouveautes.md"
    notes.write_text(INTRO, encoding="utf-8")
    run(app_settings, notes, "--title", "Sources à jour", "--change", "Les fiches  du ministère sont à jour.")

    text = notes.read_text(encoding="utf-8")
    assert text.startswith("# Nouveautés\n\nIntro.\n\n## ") and text.endswith(
        "## 2026-01-05 — Ancienne version\n- Avant.\n"
    )
    (entry, *_) = ChangelogService(ChangelogSettings(path=notes)).entries()  # what the panel shows
    assert entry["title"] == "Sources à jour"
    assert entry["items"][0] == "Les fiches du ministère sont à jour."
    why = entry["items"][1]
    assert "6 agents" in why and "3 brouillons jugés « pas utile » sur 6" in why
    assert "information périmée 3, réponse fausse 2" in why and "3 brouillons écartés" in why
    assert any(d in why for d in posted["down"]) and not any(d in why for d in posted["discarded"])


def test_feedback_from_fewer_than_5_agents_is_not_detailed(app_settings: Settings, tmp_path: Path) -> None:
    fill(app_settings, agents=3)
    notes = tmp_path / "nouveautes.md"  # not there yet: created with a title
    output = run(app_settings, notes, "--title", "Essai", "--change", "Un changement.", "--dry-run")
    assert "moins de 5 agents, non détaillés" in output and not notes.exists()
    run(app_settings, notes, "--title", "Essai", "--change", "Un changement.")
    assert notes.read_text(encoding="utf-8").startswith("# Nouveautés de l'assistant")


def test_a_missing_change_or_a_bad_date_is_a_clear_error(app_settings: Settings, tmp_path: Path) -> None:
    env = {"HRA_DATABASE_URL": app_settings.database_url}
    notes = str(tmp_path / "n.md")
    bad = CliRunner().invoke(
        app, ["eval", "release-notes", "--file", notes, "--title", "T", "--change", " "], env=env
    )
    assert bad.exit_code == 2 and "au moins un changement" in bad.output
    bad = CliRunner().invoke(
        app,
        ["eval", "release-notes", "--file", notes, "--title", "T", "--change", "x", "--since", "hier"],
        env=env,
    )
    assert bad.exit_code == 2 and "AAAA-MM-JJ" in bad.output
