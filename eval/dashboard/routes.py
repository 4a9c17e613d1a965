"""The leads' weekly dashboard: the page (``/dashboard/``, sharing the panel's shell: login,
stylesheet, modules), its JSON (``/api/v1/dashboard/…``, roles lead and admin) and the export;
plus ``/api/v1/whoami``, which tells the shared login where a role lands."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from assistant.api.access import logged_read
from assistant.auth import AnyRole, Principal, require_roles
from assistant.errors import DomainError, NotFoundError
from assistant.panel import SECURITY_HEADERS
from eval.dashboard import export, service
from eval.dashboard.gap_vectors import GapEmbedder
from eval.dashboard.labels import LABELS
from eval.dashboard.store import week_version
from eval.dashboard.weeks import WEEK_PATTERN, bounds, current_week
from feedback.reuse import Reused, json_bytes

STATIC = FilePath(__file__).parent / "static"
LeadAccess = Annotated[Principal, Depends(require_roles("lead", "admin"))]
# Reads of the aggregates are logged in the audit chain (feedback.access), as the reps' are.
WeekRead = Annotated[Principal, Depends(logged_read("dashboard.week", ("lead", "admin")))]
TrendRead = Annotated[Principal, Depends(logged_read("dashboard.trend", ("lead", "admin")))]
ExportRead = Annotated[Principal, Depends(logged_read("dashboard.export", ("lead", "admin")))]
Week = Annotated[
    str | None, Query(pattern=WEEK_PATTERN, description="ISO week, e.g. 2026-W48 (default: this week).")
]

router = APIRouter(tags=["dashboard"])
_WEEKS: Reused[bytes] = Reused(week_version)  # the week's JSON, rendered once per computation


def _engine_and_threshold(request: Request) -> tuple[Any, int]:
    state = request.app.state
    return state.events.engine, state.settings.feedback.min_agents_per_cell


def _week_data(request: Request, week: str | None) -> dict[str, Any]:
    engine, min_agents = _engine_and_threshold(request)
    max_age = request.app.state.settings.feedback.measures_max_age_s
    return service.week_data(
        engine, _checked(week), min_agents, embed=_gap_embedder(request), measures_max_age_s=max_age
    )


def _gap_embedder(request: Request) -> GapEmbedder:
    """One per app (its cache outlives a request): the knowledge service's index embeds the gaps."""
    state = request.app.state
    if getattr(state, "gap_embedder", None) is None:
        state.gap_embedder = GapEmbedder(state.knowledge)
    return state.gap_embedder  # type: ignore[no-any-return]


def _checked(week: str | None) -> str | None:
    if week is not None:
        try:
            bounds(week)
        except ValueError as exc:
            raise DomainError(str(exc)) from exc
    return week


@router.get(
    "/api/v1/whoami",
    summary="The role of the credential (the shared login lands on the page of that role). Roles: all.",
)
def whoami(principal: AnyRole) -> dict[str, str]:
    return {"role": principal.role}


@router.get(
    "/api/v1/dashboard/week",
    summary="One ISO week, aggregated; every section from fewer "
    "than 5 agents is suppressed and says why. Reused for up to HRA_FEEDBACK__AGGREGATES_MAX_AGE_S "
    "after new data arrived (`computed_at` says when it was computed). Roles: lead, admin.",
    response_model=dict[str, Any],
)
def week(request: Request, _: WeekRead, week: Week = None) -> Response:
    checked = _checked(week) or current_week()
    engine, min_agents = _engine_and_threshold(request)
    max_age = request.app.state.settings.feedback.aggregates_max_age_s

    def render() -> bytes:
        data = {**_week_data(request, checked), "labels": LABELS, "max_age_s": max_age}
        data["computed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        # Rendered here, in the worker thread, once: FastAPI would encode the dict on the event loop
        # at every read (tens of ms for a busy week, during which /health waited).
        return json_bytes(jsonable_encoder(data))

    body = _WEEKS.get((checked, min_agents), engine, render, max_age).value
    return Response(body, media_type="application/json")


@router.get("/api/v1/dashboard/trend", summary="The last N weeks up to `until`. Roles: lead, admin.")
def trend(
    request: Request,
    _: TrendRead,
    until: Week = None,
    weeks: Annotated[int, Query(ge=2, le=52)] = 8,
) -> dict[str, Any]:
    engine, min_agents = _engine_and_threshold(request)
    return service.trend_data(engine, _checked(until), weeks, min_agents)


@router.get(
    "/api/v1/dashboard/export",
    summary="The week as one self-contained HTML file (inline CSS and SVG), or as a PDF with "
    "format=pdf. Roles: lead, admin.",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "HTML (default) or PDF (format=pdf)",
        }
    },
)
def export_week(
    request: Request,
    _: ExportRead,
    week: Week = None,
    format: Annotated[Literal["html", "pdf"], Query(description="html (default) or pdf.")] = "html",
) -> Response:
    engine, min_agents = _engine_and_threshold(request)
    report = _week_data(request, week)
    trend_data = service.trend_data(engine, report["week"], 8, min_agents)
    name = f"tableau-de-bord-{report['week']}"
    headers = {"Cache-Control": "no-store"}
    if format == "pdf":
        return Response(
            export.render_pdf(report, trend_data),
            media_type="application/pdf",
            headers={**headers, "Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return HTMLResponse(
        export.render(report, trend_data),
        headers={**headers, "Content-Disposition": f'attachment; filename="{name}.html"'},
    )


@router.get("/dashboard", include_in_schema=False)
def _dashboard_slash() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=307)


@router.get("/dashboard/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)


@router.get("/dashboard/static/{name}", include_in_schema=False)
def static_file(name: Annotated[str, Path(pattern=r"^[a-z0-9_-]+\.(js|css)$")]) -> FileResponse:
    path = STATIC / name
    if not path.is_file():
        raise NotFoundError(f"no file {name} / fichier introuvable")
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if name.endswith(".js"):
        media = "text/javascript"
    return FileResponse(path, media_type=media, headers=SECURITY_HEADERS)
