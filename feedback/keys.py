"""Secrets kept outside the database: the pseudonym key and the checkpoint key."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from pydantic import SecretStr


class KeyMissingError(Exception):
    """A required key is not configured (prod never generates keys)."""


def load_key(value: SecretStr | None, path: Path, generate: bool) -> bytes:
    if value is not None:
        return bytes.fromhex(value.get_secret_value())
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    if not generate:
        raise KeyMissingError(f"no key configured and no key file at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    path.write_text(key.hex())
    path.chmod(0o600)
    return key


class Pseudonymizer:
    """agent id → HMAC-SHA256 pseudonym. The raw id is never stored, and without the key the
    pseudonym cannot be recomputed from a guessed id."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, agent_id: str) -> str:
        return hmac.new(self._key, agent_id.strip().encode("utf-8"), hashlib.sha256).hexdigest()
