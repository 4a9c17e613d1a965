"""Domain errors and the one place that maps them to HTTP (``{"code", "detail"}``)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from feedback.chain import StoreBusyError

log = logging.getLogger("hra.store")


class ErrorBody(BaseModel):
    """Every error the API returns, whatever its status (the OpenAPI's ``Error``)."""

    code: str = Field(description="A stable machine-readable code, e.g. invalid_request, not_found, busy.")
    detail: str = Field(description="What went wrong, in English / en français.")


class DomainError(Exception):
    status_code = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds: sent as Retry-After (429, 503)

    def __init__(self, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if retry_after is not None:
            self.retry_after = retry_after

    def headers(self) -> dict[str, str] | None:
        if self.status_code == 401:
            return {"WWW-Authenticate": "Bearer"}
        if self.retry_after is not None:
            return {"Retry-After": str(self.retry_after)}
        return None


class InvalidRequestError(DomainError):
    """Well-formed but refused by a rule the schema cannot say (e.g. a date outside the window)."""

    status_code = 422
    code = "invalid_request"


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"


class UnauthorizedError(DomainError):
    status_code = 401
    code = "unauthorized"


class ForbiddenError(DomainError):
    status_code = 403
    code = "forbidden"


class PayloadTooLargeError(DomainError):
    status_code = 413
    code = "payload_too_large"


class RateLimitedError(DomainError):
    """Too many requests for one credential (per-token bucket): retry after the given delay."""

    status_code = 429
    code = "rate_limited"
    retry_after = 1


class BusyError(DomainError):
    """Every drafting slot is taken and the queue is full: shed load rather than stall everyone."""

    status_code = 503
    code = "busy"
    retry_after = 1


class StoreUnavailableError(DomainError):
    """The feedback store refused a read or a write (locked, unwritable, down): nothing was stored,
    the client keeps the event and retries."""

    status_code = 503
    code = "store_unavailable"
    retry_after = 2


class IndexUnavailableError(DomainError):
    status_code = 503
    code = "index_unavailable"


class FeatureUnavailableError(DomainError):
    """A feature whose system library is missing on this machine (e.g. Pango for the PDF export)."""

    status_code = 503
    code = "feature_unavailable"


# Codes of the errors the framework raises itself (the router's 404/405, a body over the cap…).
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
_HTTP_DETAILS = {
    404: "no such route / cette adresse n'existe pas",
    405: "method not allowed on this route / méthode non autorisée ici",
    413: "request body too large / corps de la requête trop volumineux",
}


def error_response(exc: DomainError) -> JSONResponse:
    """The one shape of an error on the wire: ``{"code", "detail"}`` (+ Retry-After, WWW-Authenticate)."""
    return JSONResponse(
        {"code": exc.code, "detail": exc.detail}, status_code=exc.status_code, headers=exc.headers()
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(err.get("type") == "json_invalid" for err in errors):
            # Not JSON at all: FastAPI says 422 json_invalid; it is a malformed request (400).
            return JSONResponse(
                {"code": "invalid_json", "detail": "the body is not valid JSON / le corps n'est pas du JSON"},
                status_code=400,
            )
        # One readable line per problem, e.g. "body.question: String should have at least 1 character".
        problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in errors]
        return JSONResponse({"code": "invalid_request", "detail": "; ".join(problems)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # The router's own 404/405 and any framework HTTPException: the same {"code", "detail"}.
        status = exc.status_code
        code = _HTTP_CODES.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_")
        default = HTTPStatus(status).phrase
        detail = _HTTP_DETAILS.get(status, exc.detail) if exc.detail == default else str(exc.detail)
        headers = dict(exc.headers or {})
        if status == 405:  # every method of the path, not only those of the first route matched
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse({"code": code, "detail": detail}, status_code=status, headers=headers)

    @app.exception_handler(DBAPIError)
    async def _store(_: Request, exc: DBAPIError) -> JSONResponse:
        # The driver's class only: str(exc) can carry the statement's parameters (masked questions,
        # pseudonyms), which must reach neither the log nor the traces.
        log.error("feedback store error: %s", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        return await _domain(_, store_unavailable(exc))

    @app.exception_handler(StoreBusyError)
    async def _busy(_: Request, exc: StoreBusyError) -> JSONResponse:
        log.warning("feedback store busy: %s", exc)
        return await _domain(
            _,
            StoreUnavailableError(
                "the feedback store is busy (locked); nothing was stored, retry"
                " / la base est occupée ; rien n'a été enregistré, réessayer"
            ),
        )


def store_unavailable(exc: DBAPIError) -> StoreUnavailableError:
    """A French/English reason the client can show; the event stays in the panel's queue."""
    text = str(exc.orig).lower() if exc.orig is not None else ""
    if "locked" in text or "busy" in text:
        why = "the feedback store is busy (locked) / la base est occupée"
    elif "readonly" in text or "read-only" in text or "permission" in text:
        why = "the feedback store is not writable / la base n'accepte pas l'écriture"
    else:
        why = "the feedback store is unavailable / la base est indisponible"
    return StoreUnavailableError(f"{why}; nothing was stored, retry / rien n'a été enregistré, réessayer")


def allowed_methods(request: Request) -> list[str]:
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for context in routing.iter_route_contexts(request.app.routes):
        regex, route_methods = getattr(context, "path_regex", None), getattr(context, "methods", None)
        if regex is not None and route_methods and regex.match(path):
            methods |= set(route_methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
