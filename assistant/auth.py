"""Bearer tokens per role. Every route declares the roles it accepts with ``require_roles``.

Roles: agent (drafts, feedback), lead (project dashboards), rep (workers' representatives:
aggregate audit view), admin (operations). In dev, tokens are generated on first start, written to
a file outside the repository and printed once; in prod they must come from settings and the dev
file is refused.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import BaseModel, Field, SecretStr

from assistant.errors import ForbiddenError, UnauthorizedError

Role = Literal["agent", "lead", "rep", "admin"]
ROLES: tuple[Role, ...] = ("agent", "lead", "rep", "admin")
MIN_PROD_TOKEN_LENGTH = 32
log = logging.getLogger(__name__)


class AuthSettings(BaseModel):
    tokens: dict[Role, list[SecretStr]] = Field(
        default_factory=dict,
        description='Bearer tokens per role, e.g. HRA_AUTH__TOKENS=\'{"agent": ["…"]}\'. Empty in dev: '
        "tokens are generated into dev_token_file on first start.",
    )
    dev_token_file: Path = Field(
        default=Path("var/dev-tokens.json"),
        description="Where dev tokens are kept (never used when env=prod).",
    )


class Principal(BaseModel):
    role: Role


class TokenBook:
    """Looks a presented token up in constant time per candidate."""

    def __init__(self, tokens: dict[Role, list[str]]) -> None:
        self._tokens = tokens

    @classmethod
    def from_settings(cls, settings: AuthSettings, env: str) -> TokenBook:
        configured = {
            role: [t.get_secret_value() for t in values] for role, values in settings.tokens.items()
        }
        if env == "prod" or any(configured.values()):
            return cls(configured)
        return cls(cls._dev_tokens(settings.dev_token_file))

    @staticmethod
    def _dev_tokens(path: Path) -> dict[Role, list[str]]:
        if path.exists():
            stored: dict[Role, list[str]] = json.loads(path.read_text())
            return stored
        tokens: dict[Role, list[str]] = {role: [f"dev-{role}-{secrets.token_urlsafe(16)}"] for role in ROLES}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens, indent=1))
        path.chmod(0o600)
        print(f"Dev tokens generated in {path} (dev only):")
        for role, values in tokens.items():
            print(f"  {role:6} {values[0]}")
        return tokens

    def role_of(self, token: str) -> Role | None:
        found: Role | None = None
        for role, values in self._tokens.items():
            for candidate in values:
                if hmac.compare_digest(candidate.encode(), token.encode()):
                    found = role
        return found


def require_roles(*roles: Role) -> Callable[[Request], Principal]:
    """A dependency: 401 without a valid bearer token, 403 when its role is not accepted here."""

    def check(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("missing bearer token / jeton d'accès manquant")
        book: TokenBook = request.app.state.tokens
        role = book.role_of(token.strip())
        if role is None:
            raise UnauthorizedError("unknown or revoked token / jeton inconnu ou révoqué")
        if role not in roles:
            raise ForbiddenError(
                f"role '{role}' may not use this route / rôle non autorisé ici (accepted: {', '.join(roles)})"
            )
        return Principal(role=role)

    check.__name__ = f"require_{'_'.join(roles)}"
    return check


AgentAccess = Annotated[Principal, Depends(require_roles("agent", "admin"))]
AnyRole = Annotated[Principal, Depends(require_roles(*ROLES))]
AdminAccess = Annotated[Principal, Depends(require_roles("admin"))]
