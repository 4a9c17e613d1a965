"""Secrets kept outside the database: the pseudonym key (HMAC) and the checkpoint key (Ed25519
private seed; its public half is published so anyone can check a checkpoint)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
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


# --------------------------------------------------------------------------- Ed25519 (checkpoints)

SigningKeyLike = bytes | Ed25519PrivateKey | Ed25519PublicKey


def signing_key(seed: bytes) -> Ed25519PrivateKey:
    """The checkpoint key file holds the 32-byte Ed25519 private seed, hex (like the other keys)."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_of(key: SigningKeyLike) -> Ed25519PublicKey:
    if isinstance(key, bytes):
        key = signing_key(key)
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def public_raw(key: SigningKeyLike) -> bytes:
    return public_key_of(key).public_bytes(Encoding.Raw, PublicFormat.Raw)


def fingerprint(key: SigningKeyLike) -> str:
    """SHA-256 of the raw 32-byte public key, hex: what representatives compare by eye."""
    return hashlib.sha256(public_raw(key)).hexdigest()


def grouped(hex_digest: str, size: int = 4) -> str:
    return " ".join(hex_digest[i : i + size] for i in range(0, len(hex_digest), size))
