"""``create_app(settings)``: the one place the web app is assembled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assistant.api import health, search
from assistant.errors import install_error_handlers
from assistant.services.knowledge import KnowledgeService
from assistant.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    knowledge = KnowledgeService(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        knowledge.start()
        yield

    app = FastAPI(
        title="Assistant RH — brouillons de réponses",
        version="0.1.0",
        lifespan=lifespan,
        description="Drafts cited French replies for HR agents, who edit and send them. "
        "The machine never sends and never decides.",
    )
    app.state.settings = settings
    app.state.knowledge = knowledge
    install_error_handlers(app)
    app.include_router(health.router, prefix="/api/v1")
    app.include_router(search.router, prefix="/api/v1")
    return app
