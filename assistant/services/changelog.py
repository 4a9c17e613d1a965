"""The agents' "Nouveautés": release notes read from a Markdown file the evaluation loop maintains.

Format (anything else in the file is ignored, so it can carry comments and an intro):

    ## 2026-12-01 — Titre de la version
    - Une amélioration, dite pour les agents.
    - Une autre.

Newest first, as written. Until the file exists (or holds no entry) the panel shows one placeholder
entry saying what will appear there. The file is re-read when it changes, not on every request.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

_HEADING = re.compile(r"^##\s+(\d{4}-\d{2}-\d{2})\s*(?:[—–-]\s*(.*))?$")
_ITEM = re.compile(r"^\s*[-*]\s+(.+)$")
_MAX_TEXT = 400


class ChangelogSettings(BaseModel):
    path: Path = Field(
        default=Path("docs/nouveautes.md"),
        description="Release notes shown in the panel's 'Nouveautés' (relative to the working directory).",
    )
    max_entries: int = Field(default=10, ge=1, le=100, description="Entries sent to the panel.")


@dataclass(frozen=True)
class Entry:
    date: str | None
    title: str
    items: list[str] = field(default_factory=list)
    placeholder: bool = False


PLACEHOLDER = Entry(
    date=None,
    title="Bientôt ici : les nouveautés de chaque version",
    items=[
        "À chaque nouvelle version, vous trouverez ici ce qui change pour vous (sources ajoutées, "
        "brouillons améliorés) et les retours d'agents qui ont motivé ces changements."
    ],
    placeholder=True,
)


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for line in text.splitlines():
        heading = _HEADING.match(line.strip())
        if heading:
            date, title = heading.group(1), (heading.group(2) or "").strip()
            entries.append(Entry(date, title[:_MAX_TEXT] or f"Version du {date}"))
        elif entries and (item := _ITEM.match(line)):
            entries[-1].items.append(item.group(1).strip()[:_MAX_TEXT])
    return entries


class ChangelogService:
    def __init__(self, settings: ChangelogSettings) -> None:
        self.settings = settings
        self._cache: tuple[float, list[Entry]] | None = None

    def entries(self) -> list[dict[str, Any]]:
        found = self._read()
        return [asdict(e) for e in (found[: self.settings.max_entries] if found else [PLACEHOLDER])]

    def _read(self) -> list[Entry]:
        try:
            mtime = self.settings.path.stat().st_mtime
        except OSError:  # not written yet: the placeholder
            return []
        if self._cache is None or self._cache[0] != mtime:
            self._cache = (mtime, parse(self.settings.path.read_text(encoding="utf-8", errors="replace")))
        return self._cache[1]
