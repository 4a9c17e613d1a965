"""The contract is the code: what /openapi.json declares is what the app answers — one error body
for every status, the media types served, the rules on questions — and bodies over the cap are
refused before they are read whole (Content-Length or chunked, in process and on a real socket)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.api.contract import NOT_BLANK, is_blank
from assistant.app import create_app
from assistant.settings import Settings
from tests.fixtures.app import bearer
from tests.fixtures.server import serving

CAP = 4096  # bytes: HRA_SERVER__MAX_BODY_BYTES in these tests
ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def capped(app_settings: Settings) -> Settings:
    app_settings.server.max_body_bytes = CAP
    return app_settings


@pytest.fixture
def client(capped: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(capped), headers=bearer()) as c:
        yield c


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()  # type: ignore[no-any-return]


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def test_every_error_status_is_declared_with_the_one_error_body(spec: dict[str, Any]) -> None:
    assert spec["components"]["schemas"]["Error"]["required"] == ["code", "detail"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    checked = 0
    for method, path, op in operations(spec):
        responses = op["responses"]
        errors = {status for status in responses if status[0] in "45"}
        for status in errors:
            assert responses[status]["content"] == {"application/json": {"schema": ERROR}}, (method, path)
        if "x-roles" in op:  # authenticated: the bearer scheme, 401 (+ WWW-Authenticate) and 429
            assert op["security"] == [{"bearer": []}]
            assert {"401", "429"} <= errors, (method, path)
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
            assert responses["429"]["headers"]["Retry-After"]["required"] is True
            assert ("403" in errors) == (len(op["x-roles"]) < 4), (method, path)
        if "requestBody" in op:
            assert {"400", "413", "422"} <= errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        checked += 1
    assert checked >= 28
    ops = {(m, p): op for m, p, op in operations(spec)}
    assert (
        "x-roles" not in ops[("GET", "/api/v1/health")]
        and "503" in ops[("GET", "/api/v1/ready")]["responses"]
    )
    assert {"404", "409"} <= set(
        ops[("POST", "/api/v1/drafts")]["responses"]
    )  # regenerate_of, force_draft_of
    assert {"404", "409"} <= set(ops[("POST", "/api/v1/feedback/events")]["responses"])


def test_media_types_are_declared_as_served(client: TestClient, spec: dict[str, Any]) -> None:
    declared = {
        (m, p): set(op["responses"]["200" if "200" in op["responses"] else "201"]["content"])
        for m, p, op in operations(spec)
    }
    assert declared[("GET", "/api/v1/audit/stats.csv")] == {"text/csv"}
    assert declared[("GET", "/api/v1/audit/journal.csv")] == {"text/csv"}
    assert declared[("GET", "/api/v1/audit/verifier")] == {"text/markdown"}
    assert declared[("GET", "/api/v1/audit/verifier.py")] == {"text/x-python"}
    assert declared[("GET", "/api/v1/dashboard/export")] == {"text/html", "application/pdf"}
    assert declared[("POST", "/api/v1/drafts/stream")] == {"text/event-stream"}
    served = {
        "/api/v1/audit/stats.csv": "text/csv",
        "/api/v1/audit/journal.csv": "text/csv",
        "/api/v1/audit/verifier": "text/markdown",
        "/api/v1/audit/verifier.py": "text/x-python",
    }
    for path, media in served.items():
        res = client.get(path, headers=bearer("rep"))
        assert res.status_code == 200 and res.headers["content-type"].split(";")[0] == media
        assert media in declared[("GET", path)]


def test_blank_questions_are_refused_and_the_schema_says_so(client: TestClient, spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for model in ("DraftCreate", "SearchRequest"):
        assert schemas[model]["properties"]["question"]["pattern"] == NOT_BLANK
    # The same rule for the schema's reader (ECMA \s) and the server (str.isspace): every space of
    # either is blank, anything else is not.
    ecma_spaces = "\t\n\v\f\r \u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
    python_spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert all(is_blank(c * 2) for c in [*ecma_spaces, *python_spaces])
    assert not is_blank("\u200b?") and not is_blank(" congés ")
    for path in ("/api/v1/drafts", "/api/v1/search"):
        res = client.post(path, json={"question": " \u3000\ufeff\x1c"})
        assert res.status_code == 422 and res.json()["code"] == "invalid_request"
        assert "vide" in res.json()["detail"] and "blank" in res.json()["detail"]


def test_framework_errors_use_the_error_body(client: TestClient) -> None:
    bad_json = client.post(
        "/api/v1/drafts", content=b'{"question": "cong', headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and bad_json.json()["code"] == "invalid_json"
    assert set(bad_json.json()) == {"code", "detail"}
    no_route = client.get("/api/v1/nowhere")
    assert no_route.status_code == 404 and no_route.json()["code"] == "not_found"
    wrong_method = client.delete("/api/v1/audit/checkpoint", headers=bearer("rep"))
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"
    assert set(wrong_method.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}  # both routes'
    # /drafts/stream is not a draft id: GET there is 405, not a 422 from /drafts/{draft_id}.
    assert client.get("/api/v1/drafts/stream").status_code == 405
    assert (
        client.get("/api/v1/audit/stats", params={"since": "0.5"}, headers=bearer("rep")).status_code == 422
    )
    since = client.get("/api/v1/audit/stats", params={"since": "2026-01-05T00:00:00Z"}, headers=bearer("rep"))
    assert since.status_code == 200


def test_a_batch_over_the_limit_is_422_and_the_schema_says_the_limit(
    client: TestClient, spec: dict[str, Any]
) -> None:
    limit = spec["components"]["schemas"]["Batch"]["properties"]["events"]["maxItems"]
    assert limit == client.app.state.settings.feedback.batch_max_events  # type: ignore[attr-defined]
    events = [{"type": "shown"}] * (limit + 1)
    res = client.post("/api/v1/feedback/events/batch", json={"events": events})
    assert res.status_code == 422 and res.json()["code"] == "invalid_request"


def test_reading_kb_status_leaves_the_server_ready(client: TestClient) -> None:
    """kb status writes its freshness memo beside the index build: not a change of the index."""
    assert client.get("/api/v1/admin/kb/status", headers=bearer("admin")).status_code == 200
    ready = client.get("/api/v1/ready")
    assert ready.status_code == 200, ready.text


def test_a_body_over_the_cap_is_refused_by_its_length_before_any_work(client: TestClient) -> None:
    question = "x" * (CAP + 1)
    res = client.post(
        "/api/v1/drafts", json={"question": question}, headers={"Authorization": "Bearer nobody"}
    )
    # 413 before the route runs: not even the token was looked at (it would be 401).
    assert res.status_code == 413 and res.json()["code"] == "payload_too_large"
    assert str(CAP) in res.json()["detail"]
    small = client.post("/api/v1/search", json={"question": "congés payés"})
    assert small.status_code == 200


async def test_a_chunked_body_is_read_up_to_the_cap_only(capped: Settings) -> None:
    app = create_app(capped)
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1000):  # 1 MB offered, 1 KB at a time
            pulled += 1
            yield b" " * 1024

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        res = await http.post(
            "/api/v1/drafts",
            content=chunks(),
            headers={**bearer(), "Content-Type": "application/json"},
        )
    assert "content-length" not in {k.lower() for k in res.request.headers}
    assert res.status_code == 413 and res.json()["code"] == "payload_too_large"
    assert pulled <= CAP // 1024 + 2  # stopped at the cap: the rest was never read


def test_a_real_server_refuses_a_chunked_body_over_the_cap(capped: Settings) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(16):
            yield b"y" * 1024
        yield b'"}'

    with serving(create_app(capped)) as base:
        res = httpx.post(
            f"{base}/api/v1/drafts",
            content=chunks(),
            headers={**bearer(), "Content-Type": "application/json"},
            timeout=30,
        )
        assert res.status_code == 413 and res.json()["code"] == "payload_too_large"
        by_length = httpx.post(
            f"{base}/api/v1/drafts", content=b"{" * (CAP + 1), headers=bearer(), timeout=30
        )
        assert by_length.status_code == 413
        assert httpx.get(f"{base}/api/v1/health").json() == {"status": "ok"}  # still serving


def test_the_declared_statuses_match_what_the_error_classes_say() -> None:
    """Each DomainError's status is one the OpenAPI can declare (no status outside the contract)."""
    import assistant.errors as errors

    statuses = {
        cls.status_code
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DomainError)
    }
    assert statuses == {400, 401, 403, 404, 409, 413, 422, 429, 503}
