"""Browser tests of the side panel: Debian's Chromium (never `playwright install`) and a live app.

The app runs once per session in a uvicorn thread on a free 127.0.0.1 port (the only host Chromium
may resolve), on the small test corpus with the fake embedder and a SQLite store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from assistant.app import create_app
from assistant.settings import Settings
from knowledge_base.settings import EmbeddingSettings, KnowledgeBaseSettings
from tests.fixtures.app import TOKENS, settings_for
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl
from tests.fixtures.server import serving

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]

# A source whose title, text and URL carry markup: the panel must show it as text, never run it.
HOSTILE_DOC: dict[str, object] = {
    "id": "t:preavis",
    "title": "Préavis de démission <img src=x onerror=\"window.__xss='title'\">",
    "source": "test-mt",
    "url": "javascript:window.__xss='url'",
    "license": "Licence Ouverte 2.0",
    "text": "La durée du préavis de démission dépend de la convention collective. "
    "<script>window.__xss='text'</script> Le salarié peut être dispensé de préavis par l'employeur.",
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 420, "height": 900}, "locale": "fr-FR"}


@pytest.fixture(scope="session")
def panel_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("panel")
    (root / "sources").mkdir()
    corpus = write_jsonl(
        root / "sources" / "kb.jsonl", [*cast(list[dict[str, object]], SMALL_CORPUS), HOSTILE_DOC]
    )
    kb = KnowledgeBaseSettings(
        sources=[corpus],
        index_dir=root / "index",
        embeddings=EmbeddingSettings(models=["fake"], shipped_vectors_dir=root / "no-vectors"),
    )
    return settings_for(kb, root)


@pytest.fixture(scope="session")
def panel_app(panel_settings: Settings) -> FastAPI:
    return create_app(panel_settings)  # create_app mounts the panel


@pytest.fixture(scope="session")
def live_server(panel_app: FastAPI) -> Iterator[str]:
    with serving(panel_app) as base:
        yield base


def with_drafting(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"drafting": settings.drafting.model_copy(update=changes)})


@pytest.fixture(scope="session")
def control_server(panel_settings: Settings) -> Iterator[tuple[str, FastAPI]]:
    """A second app on the same store whose every question falls in the control arm."""
    app = create_app(with_drafting(panel_settings, control_share=1.0))
    with serving(app) as base:
        yield base, app


# What the fake LLM answers: a figure and a web address that no passage contains (flagged).
FLAGGED_ANSWER = (
    "Bonjour,\n\nVous acquérez 2,5 jours ouvrables par mois [1]. Le délai de prévenance est de "
    "45 jours, voir https://intranet.example/conges [2]. Le plafond retenu est de 0,37 PMSS [1]."
    "\n\nCordialement,"
)


@pytest.fixture(scope="session")
def llm_server(panel_settings: Settings) -> Iterator[tuple[str, FastAPI]]:
    """A second app whose drafter is LangChain's fake chat model (a provider mode, real LLM path)."""
    llm = panel_settings.llm.model_copy(update={"provider": "fake", "fake_response": FLAGGED_ANSWER})
    app = create_app(panel_settings.model_copy(update={"llm": llm}))
    with serving(app) as base:
        yield base, app


def login(page: Page, base: str) -> Page:
    page.goto(f"{base}/")
    page.get_by_label("Jeton agent").fill(TOKENS["agent"])
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_label("Question reçue")).to_be_visible()
    return page


@pytest.fixture(autouse=True)
def no_script_errors(page: Page) -> Iterator[None]:
    """Every browser test also fails on an uncaught exception in the panel's modules."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert errors == []


@pytest.fixture
def panel(page: Page, live_server: str) -> Page:
    """The panel, logged in as an agent."""
    return login(page, live_server)
