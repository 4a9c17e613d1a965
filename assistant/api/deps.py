"""Dependency aliases: routes receive services built by ``create_app``, never globals."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.services.changelog import ChangelogService
from assistant.services.drafting import DraftingService
from assistant.services.kb_status import KbStatusService
from assistant.services.knowledge import KnowledgeService


def _knowledge(request: Request) -> KnowledgeService:
    return request.app.state.knowledge  # type: ignore[no-any-return]


def _drafting(request: Request) -> DraftingService:
    return request.app.state.drafting  # type: ignore[no-any-return]


def _changelog(request: Request) -> ChangelogService:
    return request.app.state.changelog  # type: ignore[no-any-return]


def _kb_status(request: Request) -> KbStatusService:
    return request.app.state.kb_status  # type: ignore[no-any-return]


Knowledge = Annotated[KnowledgeService, Depends(_knowledge)]
Drafting = Annotated[DraftingService, Depends(_drafting)]
Changelog = Annotated[ChangelogService, Depends(_changelog)]
KbStatus = Annotated[KbStatusService, Depends(_kb_status)]
