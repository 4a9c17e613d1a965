"""The contract is the code: the OpenAPI says every status a route can return, with the one error
body (``Error``: ``{"code", "detail"}``), and request bodies are capped before they are read whole.

The error statuses of an operation are derived from the route itself, not typed by hand on each
decorator: a role dependency (``require_roles``, ``logged_read``) → 401/403/429 and the bearer
scheme; any parameter or body → 400/422; a body → 413; a path parameter → 404; everything but a
few routes that touch neither the index nor the store → 503. A status a decorator already declares
(404 "no checkpoint yet", 409…) keeps its description and gets the same body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BeforeValidator
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.auth import ROLES
from assistant.errors import ErrorBody, PayloadTooLargeError, error_response

ERROR = {"$ref": "#/components/schemas/Error"}
# « Not blank », said the same way to the schema (an ECMA pattern, searched) and to the server (``re``):
# one character at least that neither Python's ``str.isspace`` nor ECMA's ``\s`` calls a space.
NOT_BLANK = (
    "[^\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]"
)
BLANK_QUESTION = "question is blank / la question est vide"


def is_blank(text: str) -> bool:
    return re.search(NOT_BLANK, text) is None


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _rfc3339(value: object) -> object:
    if isinstance(value, str) and not _RFC3339.fullmatch(value):
        raise ValueError("a date-time as 2026-11-28T09:00:00+01:00 (RFC 3339) / une date et une heure")
    return value


# A date-time query parameter as the schema says it (RFC 3339, with its offset): not « 0.5 » read as
# a Unix timestamp, as pydantic would.
Instant = Annotated[datetime, BeforeValidator(_rfc3339)]


def topic_ids(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a topic field: the schema lists the topic ids (the server also reads
    an id or a label spelt loosely)."""
    from assistant.pipeline.topics import taxonomy

    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string":
            branch["enum"] = [topic["id"] for topic in taxonomy().listing()]


BEARER = "bearer"
# Routes that read neither the index nor the store: they cannot be « unavailable » (503).
NEVER_UNAVAILABLE = frozenset({"/api/v1/health", "/api/v1/topics", "/api/v1/changelog", "/api/v1/whoami"})

_DESCRIPTIONS = {
    "400": "Malformed request: the body is not JSON (invalid_json), or a parameter is refused by a "
    "rule the schema cannot say (bad_request).",
    "401": "Missing, unknown or revoked bearer token (unauthorized).",
    "403": "The token's role may not use this route (forbidden).",
    "404": "Not found (not_found).",
    "409": "Conflict with what is stored (conflict).",
    "413": "Request body larger than HRA_SERVER__MAX_BODY_BYTES (payload_too_large).",
    "422": "Invalid input (invalid_request): one « where: why » per problem.",
    "429": "Too many requests for this credential (rate_limited): retry after Retry-After seconds.",
    "503": "Not available now: drafting slots full (busy), feedback store refused (store_unavailable), "
    "index not ready (index_unavailable) or a system library missing (feature_unavailable); "
    "Retry-After when a retry is expected to work.",
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 0},
}


def install_contract(app: FastAPI, max_body_bytes: int) -> None:
    """The body cap (outside the routes: nothing reads a body over it) and the OpenAPI hook."""
    app.add_middleware(BodySizeCap, max_bytes=max_body_bytes)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate(), app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in _dependants(dependant):
        yield sub.call


def roles_of(route: Any) -> tuple[str, ...] | None:
    """The roles a route accepts (its ``require_roles``/``logged_read`` dependency), None if open."""
    for call in _calls(route.dependant):
        roles = getattr(call, "roles", None)
        if roles is not None:
            return tuple(roles)
    return None


def error_statuses(route: Any, path: str) -> set[str]:
    """``route``: an ``APIRoute`` or FastAPI's ``RouteContext`` of one (an included router's)."""
    dependants = list(_dependants(route.dependant))
    has_body = route.body_field is not None
    has_path = any(d.path_params for d in dependants)
    has_params = has_body or has_path or any(d.query_params for d in dependants)
    statuses = set()
    roles = roles_of(route)
    if roles is not None:
        statuses |= {"401", "429"} if set(roles) == set(ROLES) else {"401", "403", "429"}
    if has_params:
        statuses |= {"400", "422"}
    if has_body:
        statuses.add("413")
    if has_path:
        statuses.add("404")
    if path not in NEVER_UNAVAILABLE:
        statuses.add("503")
    return statuses


def complete(spec: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ErrorBody.model_json_schema()
    schemas["Error"]["title"] = "Error"
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    batch = schemas.get("Batch", {}).get("properties", {}).get("events")
    if batch is not None:  # the limit is a setting: the schema says this deployment's
        batch["maxItems"] = app.state.settings.feedback.batch_max_events
    spec["components"]["securitySchemes"] = {
        BEARER: {"type": "http", "scheme": "bearer", "description": "A token per role (HRA_AUTH__TOKENS)."}
    }
    routes = {
        (context.path_format, method.lower()): context
        for context in routing.iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method))
            if route is None:
                continue
            responses = operation.setdefault("responses", {})
            roles = roles_of(route)
            if roles is not None:
                operation["security"] = [{BEARER: []}]
                operation["x-roles"] = list(roles)
            declared = {status for status in responses if status[:1] in "45"}
            for status in sorted(error_statuses(route, path) | declared):
                response = responses.setdefault(status, {})
                if not response.get("description") or status == "422":
                    response["description"] = _DESCRIPTIONS.get(status, "Error.")
                response["content"] = {"application/json": {"schema": ERROR}}
                if status == "401":
                    response["headers"] = {
                        "WWW-Authenticate": {"required": True, "schema": {"type": "string"}}
                    }
                elif status == "429":
                    response["headers"] = {"Retry-After": {**_RETRY_AFTER, "required": True}}
                elif status == "503":
                    response["headers"] = {"Retry-After": _RETRY_AFTER}
    return spec


class BodyTooLarge(StarletteHTTPException):
    """Raised in the app's ``receive`` when a chunked body passes the cap (the error handlers turn it
    into the 413 ``Error``; FastAPI lets an HTTPException out of its body parsing as it is)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


class BodySizeCap:
    """Refuse a body over ``max_bytes`` with 413: at once when Content-Length says so (the route
    never runs, nothing is read), else while it is read, stopping at the cap."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        read = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, watched_send)
        except BodyTooLarge:
            if started:  # read by a streaming route after its answer began: nothing more to say
                return
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(PayloadTooLargeError(_too_large(self.max_bytes)))
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)


def _too_large(limit: int) -> str:
    return f"request body over {limit} bytes / corps de la requête au-delà de {limit} octets"
