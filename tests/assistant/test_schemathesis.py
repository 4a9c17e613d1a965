"""The OpenAPI against the app, in process: Schemathesis reads /openapi.json, generates requests
(schema examples, boundary « coverage » cases, valid and invalid fuzzed data) for every operation, as
each role, and every check it has must pass — not only « no 5xx »: status codes, content types,
response bodies and headers conform to the schema, invalid input is refused, valid input accepted,
undocumented methods are 405, a request without its token is refused.

Bounded: a fixed number of fuzzed examples per operation and phase, a fixed seed (the same cases on
every run, so CI is reproducible; HRA_SCHEMATHESIS_EXAMPLES and HRA_SCHEMATHESIS_SEED look harder or
elsewhere). Run through Schemathesis' engine (what its CLI runs): its pytest plugin does not work
with pytest 9 (it sets ``Function._nodeid``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events
from schemathesis.python import asgi

from assistant.app import create_app
from knowledge_base.settings import EmbeddingSettings, KnowledgeBaseSettings
from tests.fixtures.app import TOKENS, settings_for
from tests.fixtures.corpus import SMALL_CORPUS, write_jsonl

EXAMPLES = int(os.environ.get("HRA_SCHEMATHESIS_EXAMPLES", "10"))
SEED = int(os.environ.get("HRA_SCHEMATHESIS_SEED", "16"))
# Every check Schemathesis 4 has (`--checks all`); max_response_time needs a limit and is off.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    directory: Path = tmp_path_factory.mktemp("schemathesis")
    (directory / "sources").mkdir()
    kb = KnowledgeBaseSettings(
        sources=[write_jsonl(directory / "sources" / "kb.jsonl", SMALL_CORPUS)],
        index_dir=directory / "index",
        embeddings=EmbeddingSettings(models=["fake"], shipped_vectors_dir=directory / "no-vectors"),
    )
    yield create_app(settings_for(kb, directory))
    asgi.shutdown_lifespans()  # the app's lifespan, started by Schemathesis on its first call


# Rules no static schema can say, so schema-valid data may still be refused there (422), each with
# its reason; every other check stays on for these operations, and every check for all others.
REFUSED_THOUGH_VALID = [
    {
        # occurred_at must fall within a window around the server's clock (HRA_FEEDBACK__OCCURRED_AT_
        # PAST_DAYS, …_FUTURE_S): the schema can say « a date-time », not « within 30 days of now ».
        "include-path-regex": "^/api/v1/feedback/events$",
        "include-method": "POST",
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}
        },
    },
    {
        # ISO weeks: the pattern says the shape (YYYY-Www), not which weeks exist (W00, W54, a W53
        # in a year of 52 weeks) → 400 with the reason.
        "include-path-regex": "^/api/v1/(audit/journal|audit/journal\\.csv|dashboard/(week|trend|export))$",
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409"]}
        },
    },
]


def config_for(role: str) -> SchemathesisConfig:
    generation: dict[str, Any] = {"max-examples": EXAMPLES, "database": "none"}
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {TOKENS[role]}"},
            "generation": generation,
            "phases": {"stateful": {"enabled": False}},
            "checks": {name: {"enabled": True} for name in CHECKS},
            "operations": REFUSED_THOUGH_VALID,
        }
    )


def run(app: FastAPI, role: str) -> tuple[list[str], int]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config_for(role))
    problems: list[str] = []
    scenarios = 0
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            scenarios += 1
            for case_id, check in event.recorder.checks.items():
                for result in check:
                    if result.failure_info is not None:
                        failure = result.failure_info.failure
                        interaction = event.recorder.interactions.get(case_id)
                        answer = interaction.response if interaction else None
                        got = f"{answer.status_code} {answer.content[:300]!r}" if answer else "no response"
                        problems.append(
                            f"{event.label}: {result.name}: {failure.title}\n{failure.message}\n"
                            f"{result.failure_info.code_sample}\n→ {got}"
                        )
                    elif result.status != Status.SUCCESS:
                        problems.append(f"{event.label}: {result.name}: {result.status}")
        elif isinstance(event, events.NonFatalError | events.FatalError):
            problems.append(f"error: {event!r}")
    return problems, scenarios


@pytest.mark.parametrize("role", sorted(TOKENS))
def test_the_api_keeps_its_contract(app: FastAPI, role: str) -> None:
    problems, scenarios = run(app, role)
    assert scenarios > 0
    assert problems == [], "\n".join(sorted(set(problems)))
