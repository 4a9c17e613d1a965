"""Domain errors and the one place that maps them to HTTP (``{"code", "detail"}``)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from feedback.chain import StoreBusyError

log = logging.getLogger("hra.store")


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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            {"code": exc.code, "detail": exc.detail}, status_code=exc.status_code, headers=exc.headers()
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # One readable line per problem, e.g. "body.question: String should have at least 1 character".
        problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        return JSONResponse({"code": "invalid_request", "detail": "; ".join(problems)}, status_code=422)

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
