"""``create_app(settings)``: the one place the web app is assembled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from assistant.api import admin, changelog, drafts, health, search
from assistant.api import feedback as feedback_routes
from assistant.auth import TokenBook
from assistant.errors import install_error_handlers
from assistant.panel import mount_panel
from assistant.pipeline.drafting.llm import LlmDrafter
from assistant.pipeline.pii import ensure_loaded as ensure_pii_model
from assistant.pipeline.pii import mask_pii
from assistant.services.changelog import ChangelogService
from assistant.services.drafting import DraftingService
from assistant.services.kb_status import KbStatusService
from assistant.services.knowledge import KnowledgeService
from assistant.settings import Settings
from assistant.telemetry import FeedbackMetrics, Telemetry, setup_telemetry
from eval.dashboard import router as dashboard_router  # the one seam where assistant imports eval
from feedback.db import make_engine, migrate
from feedback.drafts import DraftStore
from feedback.events import EventService
from feedback.keys import Pseudonymizer, load_key


def create_app(
    settings: Settings | None = None, telemetry: Telemetry | None = None, llm: LlmDrafter | None = None
) -> FastAPI:
    """``telemetry`` and ``llm`` let tests plug in-memory exporters and intercepted models in."""
    settings = settings or Settings()
    telemetry = telemetry or setup_telemetry(settings.telemetry)
    knowledge = KnowledgeService(settings)
    store = DraftStore(make_engine(settings.database_url))
    drafting = DraftingService(settings, knowledge, store, telemetry, llm)
    key = load_key(
        settings.feedback.pseudonym_key, settings.feedback.pseudonym_key_file, generate=settings.env != "prod"
    )  # prod never invents a key: a lost key splits pseudonyms
    events = EventService(
        store.engine,
        settings.feedback,
        Pseudonymizer(key),
        lambda text: mask_pii(text).text,
        FeedbackMetrics(telemetry.meter).record,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        migrate(settings.database_url)  # the schema is alembic's: upgrade to head before serving
        ensure_pii_model()  # ~8 s once per process; a missing French model fails here, not on a question
        knowledge.start()
        yield
        store.engine.dispose()

    app = FastAPI(
        title="Assistant RH — brouillons de réponses",
        version="0.2.0",
        lifespan=lifespan,
        description="Drafts cited French replies for HR agents, who edit and send them. "
        "The machine never sends and never decides. Authentication: `Authorization: Bearer <token>`; "
        "each route lists the roles it accepts (agent, lead, rep, admin). /health and /ready are open.",
    )
    app.state.settings = settings
    app.state.knowledge = knowledge
    app.state.drafting = drafting
    app.state.store = store
    app.state.events = events
    app.state.changelog = ChangelogService(settings.changelog)
    app.state.kb_status = KbStatusService(settings)
    app.state.tokens = TokenBook.from_settings(settings.auth, settings.env)
    install_error_handlers(app)
    mount_panel(app)
    for router in (
        health.router,
        search.router,
        drafts.router,
        feedback_routes.router,
        changelog.router,
        admin.router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.include_router(dashboard_router)  # the leads' dashboard: /dashboard/ and /api/v1/dashboard/…
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
        # One server span per request is what we use; the per-chunk receive/send spans cost ~10 % of
        # the feedback throughput and say nothing (and /health, /ready are probes).
        exclude_spans=["receive", "send"],
        excluded_urls="/api/v1/health,/api/v1/ready",
    )
    return app
