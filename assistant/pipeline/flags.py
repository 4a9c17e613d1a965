"""A flag on a draft: what the agent must check, where (offsets in the final text) and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    kind: str
    value: str
    message: str
    start: int = -1  # offsets in the final text, -1 when not tied to a span
    end: int = -1
    replacement: str | None = None  # what replaces a superseded term / the newer figure, when known
