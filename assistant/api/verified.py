"""Verified answers, for leads: list them, promote a candidate, retire one. Counts only, never who.

Agents see a verified answer only as a draft (drafter "verified", with its label); this API is theirs
to curate, not the agents' (403)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request

from assistant.auth import Principal, require_roles
from assistant.services.verified import VerifiedAnswers

router = APIRouter(prefix="/verified-answers", tags=["verified answers"])
LeadAccess = Annotated[Principal, Depends(require_roles("lead", "admin"))]


async def _verified(request: Request) -> VerifiedAnswers:
    return request.app.state.verified  # type: ignore[no-any-return]


Verified = Annotated[VerifiedAnswers, Depends(_verified)]


@router.get(
    "",
    summary="Verified answers and candidates, newest first (agent counts, no identities). "
    "Roles: lead, admin.",
)
def list_answers(
    service: Verified, _: LeadAccess, status: Literal["candidate", "verified", "retired"] | None = None
) -> list[dict[str, Any]]:
    return service.listing(status)


@router.post(
    "/{answer_id}/promote",
    summary="Make a candidate (or a retired answer whose sources are "
    "unchanged) verified; 409 when a cited source changed. Roles: lead, admin.",
    responses={409: {"description": "a cited source changed since the answer was made"}},
)
def promote(answer_id: str, service: Verified, _: LeadAccess) -> dict[str, Any]:
    return service.promote(answer_id)


@router.post("/{answer_id}/retire", summary="Stop reusing an answer. Roles: lead, admin.")
def retire(answer_id: str, service: Verified, _: LeadAccess) -> dict[str, Any]:
    return service.retire(answer_id)
