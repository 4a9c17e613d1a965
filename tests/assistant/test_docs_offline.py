"""/docs works on a network with no way out: Swagger UI's JS/CSS come from the installed
swagger-ui-bundle package, not from a CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.app import create_app
from assistant.settings import Settings


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


def test_docs_reference_no_external_url(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", page.text), "external URL in /docs"
    assets = re.findall(r"""(?:src|href)=["']?(/[^"' >]+)""", page.text) + re.findall(
        r"url: ?'(/[^']+)'", page.text
    )
    assert "/docs-assets/swagger-ui-bundle.js" in assets and "/docs-assets/swagger-ui.css" in assets
    for path in assets:
        assert client.get(path).status_code == 200, path
    assert '"validatorUrl": null' in page.text  # no badge fetched from the validator service


def test_no_cdn_redoc_and_the_schema_is_served(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
    assert "/api/v1/audit/bundle" in client.get("/openapi.json").json()["paths"]
