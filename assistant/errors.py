"""Domain errors and the one place that maps them to HTTP (``{"code", "detail"}``)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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


class StoreUnavailableError(DomainError):
    status_code = 503
    code = "store_unavailable"


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
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            {"code": exc.code, "detail": exc.detail}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # One readable line per problem, e.g. "body.question: String should have at least 1 character".
        problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        return JSONResponse({"code": "invalid_request", "detail": "; ".join(problems)}, status_code=422)
