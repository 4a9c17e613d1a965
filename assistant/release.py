"""What identifies a release beside the KB version, the prompt and the drafter: a short hash of the
settings that change a draft (retrieval, decision, drafting). Recorded on every draft, and on every
gold-set evaluation run (eval.gold), so that runs and feedback of the same release line up."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from assistant.settings import Settings


def release_settings(settings: Settings) -> dict[str, Any]:
    return {
        "retrieval": settings.retrieval.model_dump(mode="json"),
        "decision": settings.decision.model_dump(mode="json"),
        "drafting": settings.drafting.model_dump(mode="json"),
    }


def settings_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys), first 12 hex digits."""
    blob = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def release_settings_hash(settings: Settings) -> str:
    return settings_hash(release_settings(settings))
