"""Settings of the feedback store and audit (nested as ``HRA_FEEDBACK__…``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


class FeedbackSettings(BaseModel):
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="HMAC key turning agent ids into pseudonyms (kept outside the database). "
        "Unset: read from pseudonym_key_file (generated in dev).",
    )
    pseudonym_key_file: Path = Field(
        default=Path("var/pseudonym.key"), description="Hex key file (mode 600)."
    )
    audit_key: SecretStr | None = Field(
        default=None,
        description="Ed25519 private seed (32 bytes, hex) signing audit checkpoints. Unset: read from "
        "audit_key_file (generated in dev, required in prod). Its public key is served at "
        "/api/v1/audit/public-key.",
    )
    audit_key_file: Path = Field(
        default=Path("var/audit.key"), description="Hex Ed25519 seed file for checkpoints (mode 600)."
    )
    checkpoint_every_hours: float = Field(
        default=24,
        gt=0,
        description="A checkpoint is signed at startup and then by a background task whenever the "
        "latest one is older than this.",
    )
    retention_days: int = Field(
        default=365, ge=30, description="Event payloads older than this may be purged."
    )
    accepted_max_distance: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Final text this close to the draft (normalised character "
        "edit distance) counts as accepted as is.",
    )
    rewritten_min_distance: float = Field(
        default=0.5, ge=0, le=1, description="From this distance on, the draft counts as rewritten."
    )
    min_agents_per_cell: int = Field(
        default=5,
        ge=2,
        description="Aggregates built from fewer distinct agents are suppressed (shown as '< 5').",
    )
    aggregates_max_age_s: float = Field(
        default=30,
        ge=0,
        le=3600,
        description="How long the leads' week (/dashboard/week) and the weekly statistics (/audit/stats) "
        "may be reused after new drafts or events arrived (each read otherwise recomputes them over the "
        "period's rows: ~80 ms of CPU at 6,000 events). Responses say when they were computed "
        "(computed_at; X-Computed-At for the statistics). 0: recomputed whenever the data changed.",
    )
    measures_max_age_s: float = Field(
        default=60,
        ge=0,
        le=3600,
        description="How long the dashboard's « Temps gagné » section (bootstrapped intervals over 4 "
        "weeks, about a second of CPU per 2,000 drafts) may be reused after new drafts or events "
        "arrived; the page says when it was computed. 0: recomputed whenever the data changed.",
    )
    lock_timeout_s: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="How long a write waits for a lock held elsewhere (another process, a backup) "
        "before answering 503 with Retry-After; the panel keeps the event and retries.",
    )
    occurred_at_past_days: float = Field(
        default=30,
        gt=0,
        description="An event's occurred_at may be at most this far in the server's past (the panel's "
        "queue may hold events offline for weeks); older → 422. Retention and purge use received_at.",
    )
    occurred_at_future_s: float = Field(
        default=300,
        ge=0,
        description="…and at most this far in the server's future (clock skew); later → 422.",
    )
    batch_max_events: int = Field(
        default=100, ge=1, le=1000, description="Events accepted in one batch call."
    )
