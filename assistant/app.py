"""``create_app(settings)``: the one place the web app is assembled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from assistant.api import admin, changelog, drafts, health, journal, search, topics, verified
from assistant.api import feedback as feedback_routes
from assistant.api.contract import install_contract
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
from assistant.services.limits import DraftAdmission, RateLimiter
from assistant.settings import Settings
from assistant.telemetry import FeedbackMetrics, Telemetry, setup_telemetry
from eval.dashboard import router as dashboard_router  # the one seam where assistant imports eval
from feedback.audit import AuditError, ensure_recent_checkpoint
from feedback.chain import set_lock_timeout
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
    set_lock_timeout(settings.feedback.lock_timeout_s)
    store = DraftStore(make_engine(settings.database_url, settings.feedback.lock_timeout_s))
    drafting = DraftingService(settings, knowledge, store, telemetry, llm)
    # Prod never invents a key (a lost key splits pseudonyms), and neither does a replica of several
    # (shared KB store): each would invent its own, and the same agent would get one pseudonym per
    # replica. Both keys then come from one secret source: HRA_FEEDBACK__*_KEY or *_KEY_FILE.
    generate = settings.env != "prod" and settings.kb.store == "local"
    key = load_key(settings.feedback.pseudonym_key, settings.feedback.pseudonym_key_file, generate=generate)
    events = EventService(
        store.engine,
        settings.feedback,
        Pseudonymizer(key),
        lambda text: mask_pii(text).text,
        FeedbackMetrics(telemetry.meter).record,
    )

    fb = settings.feedback
    audit_key = load_key(fb.audit_key, fb.audit_key_file, generate=generate)
    checkpoint_every = timedelta(hours=settings.feedback.checkpoint_every_hours)

    def checkpoint_if_due() -> None:
        """Sign a checkpoint when the latest is older than checkpoint_every (a log that does not
        verify is never signed: logged, the app still serves)."""
        try:
            ensure_recent_checkpoint(store.engine, audit_key, checkpoint_every)
        except AuditError as exc:
            logging.getLogger("hra.audit").error("no checkpoint signed: %s", exc)

    async def checkpoint_daily() -> None:
        while True:
            await asyncio.sleep(min(checkpoint_every.total_seconds(), 3600.0))
            await asyncio.to_thread(checkpoint_if_due)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        migrate(settings.database_url)  # the schema is alembic's: upgrade to head before serving
        checkpoint_if_due()
        ensure_pii_model()  # ~8 s once per process; a missing French model fails here, not on a question
        knowledge.start()
        task = asyncio.create_task(checkpoint_daily())
        yield
        task.cancel()
        knowledge.stop()
        with suppress(asyncio.CancelledError):
            await task
        store.engine.dispose()

    app = FastAPI(
        title="Assistant RH — brouillons de réponses",
        version="0.2.0",
        lifespan=lifespan,
        docs_url=None,  # served below from the swagger-ui-bundle package: no CDN
        redoc_url=None,
        description="Drafts cited French replies for HR agents, who edit and send them. "
        "The machine never sends and never decides. Authentication: `Authorization: Bearer <token>`; "
        "each route lists the roles it accepts (agent, lead, rep, admin). /health and /ready are open.",
    )
    app.state.settings = settings
    app.state.knowledge = knowledge
    app.state.drafting = drafting
    app.state.store = store
    app.state.events = events
    app.state.verified = drafting.verified  # the loop: sends make answers, drafts reuse them
    app.state.audit_key = audit_key  # Ed25519 seed signing checkpoints (never served)
    app.state.changelog = ChangelogService(settings.changelog)
    app.state.kb_status = KbStatusService(settings)
    app.state.tokens = TokenBook.from_settings(settings.auth, settings.env)
    app.state.admission = DraftAdmission(settings.limits)
    app.state.limiter = RateLimiter(*settings.limits.per_process(settings.server.workers))
    install_error_handlers(app)
    install_contract(app, settings.server.max_body_bytes)
    install_offline_docs(app)
    mount_panel(app)
    for router in (
        health.router,
        search.router,
        drafts.router,
        feedback_routes.router,
        changelog.router,
        admin.router,
        topics.router,
        verified.router,
        journal.router,
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


def app_from_environment() -> FastAPI:
    """The factory each server process calls (``hra serve`` with HRA_SERVER__WORKERS > 1)."""
    return create_app(Settings())


def install_offline_docs(app: FastAPI) -> None:
    """/docs with Swagger UI's JS/CSS from the installed swagger-ui-bundle package (no CDN, no
    validator badge): the page works on a network with no way out."""
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
