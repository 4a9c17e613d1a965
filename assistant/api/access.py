"""Reads of the log and the aggregates are themselves logged (``feedback.access``): a dependency
that checks the role, then records « this role read that » in the audit chain before answering."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from assistant.auth import Principal, Role, authorize
from feedback.access import record_access

READER_ROLES: tuple[Role, ...] = ("rep", "lead", "admin")


def logged_read(what: str, roles: tuple[Role, ...] = READER_ROLES) -> Callable[[Request], Principal]:
    def dependency(request: Request) -> Principal:  # a thread: recording the read is a database write
        principal = authorize(request, roles)
        record_access(request.app.state.events.engine, principal.role, what)
        return principal

    dependency.roles = roles  # type: ignore[attr-defined]  # read by the OpenAPI (api/contract.py)
    return dependency
