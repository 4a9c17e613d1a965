"""Dependency aliases: routes receive services built by ``create_app``, never globals.

They are ``async``: none blocks (an attribute, an HMAC), and a sync dependency costs a hop to a
worker thread and back on every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from assistant.auth import AgentAccess, Principal
from assistant.services.changelog import ChangelogService
from assistant.services.drafting import DraftingService
from assistant.services.kb_status import KbStatusService
from assistant.services.knowledge import KnowledgeService
from assistant.services.limits import DraftAdmission
from feedback.events import EventService


async def _knowledge(request: Request) -> KnowledgeService:
    return request.app.state.knowledge  # type: ignore[no-any-return]


async def _drafting(request: Request) -> DraftingService:
    return request.app.state.drafting  # type: ignore[no-any-return]


async def _admission(request: Request) -> DraftAdmission:
    return request.app.state.admission  # type: ignore[no-any-return]


async def _changelog(request: Request) -> ChangelogService:
    return request.app.state.changelog  # type: ignore[no-any-return]


async def _kb_status(request: Request) -> KbStatusService:
    return request.app.state.kb_status  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Caller:
    """An agent-route caller: who the credential says (never the body) and their stored pseudonym."""

    principal: Principal
    pseudonym: str  # HMAC of the principal's subject: the drafts' owner, the events' agent

    @property
    def reads_as(self) -> str | None:
        """Whose drafts this caller may read: their own, or any (None) for an admin."""
        return None if self.principal.sees_all_drafts else self.pseudonym


async def _caller(request: Request, principal: AgentAccess) -> Caller:
    events: EventService = request.app.state.events
    return Caller(principal, events.pseudonym(principal.subject))


Knowledge = Annotated[KnowledgeService, Depends(_knowledge)]
Drafting = Annotated[DraftingService, Depends(_drafting)]
Changelog = Annotated[ChangelogService, Depends(_changelog)]
Admission = Annotated[DraftAdmission, Depends(_admission)]
KbStatus = Annotated[KbStatusService, Depends(_kb_status)]
AgentCaller = Annotated[Caller, Depends(_caller)]
