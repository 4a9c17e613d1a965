"""The agents' side panel: static HTML/CSS/ES modules served by the app at ``/panel/``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

import feedback

STATIC_DIR = Path(__file__).parent / "static"
REPS_STATIC_DIR = Path(feedback.__file__).parent / "reps" / "static"  # the representatives' space

# The page only loads its own files and talks to its own API: injected markup can run nothing.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class _PanelFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def mount_panel(app: FastAPI) -> None:
    """Serve the panel at ``/panel/`` (and send ``/`` there) and the representatives' space at
    ``/reps/``."""

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/panel/", status_code=307)

    app.mount("/panel", _PanelFiles(directory=STATIC_DIR, html=True), name="panel")

    @app.get("/reps", include_in_schema=False)
    def _reps() -> RedirectResponse:
        return RedirectResponse("/reps/", status_code=307)

    # The representatives' space: same shell (the panel's login, stylesheet and modules).
    app.mount("/reps", _PanelFiles(directory=REPS_STATIC_DIR, html=True), name="reps")
