"""The panel's "Nouveautés": release notes for agents."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from assistant.api.deps import Changelog
from assistant.auth import AnyRole

router = APIRouter(tags=["panel"])


class ChangelogEntry(BaseModel):
    date: str | None
    title: str
    items: list[str]
    placeholder: bool


@router.get(
    "/changelog",
    summary="Release notes shown in the panel ('Nouveautés') and the representatives' space "
    "('Les changements'), newest first. Roles: all.",
)
def changelog(service: Changelog, _: AnyRole) -> list[ChangelogEntry]:
    return [ChangelogEntry.model_validate(e) for e in service.entries()]
