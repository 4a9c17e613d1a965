"""Who is calling: a role AND a subject (the agent), both taken from the credential, never from the
request body. Every route declares the roles it accepts with ``require_roles``.

Roles: agent (drafts, feedback), lead (project dashboards), rep (workers' representatives:
aggregate audit view), admin (operations). The subject is the person behind the credential: drafts
are owned by it and feedback events are attributed to it (as an HMAC pseudonym, see
feedback/keys.py). Two tokens are two agents unless ``HRA_AUTH__SUBJECTS`` names the same subject
for both; a token with no named subject gets a stable one derived from the token itself.

The seam for SSO: ``IdentityProvider`` turns a request into a ``Principal``. ``TokenBook`` is the
bearer-token implementation; an OIDC one would verify the ID/access token (issuer, audience,
signature against the provider's JWKS, expiry), take the subject from the ``sub`` (or
``preferred_username``) claim and the role from a groups/roles claim, and be installed by
``create_app`` in place of the token book (``app.state.tokens``). Nothing downstream changes: routes
only ever see ``Principal(role, subject)``.

In dev, tokens are generated on first start, written to a file outside the repository and printed
once; in prod they must come from settings and the dev file is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from fastapi import Depends, Request
from pydantic import BaseModel, Field, SecretStr, model_validator

from assistant.errors import ForbiddenError, UnauthorizedError

Role = Literal["agent", "lead", "rep", "admin"]
ROLES: tuple[Role, ...] = ("agent", "lead", "rep", "admin")
MIN_PROD_TOKEN_LENGTH = 32
DEV_AGENT_TOKENS = 2  # two dev agents, so that draft isolation can be tried in dev too
log = logging.getLogger(__name__)


class AuthSettings(BaseModel):
    tokens: dict[Role, list[SecretStr]] = Field(
        default_factory=dict,
        description='Bearer tokens per role, e.g. HRA_AUTH__TOKENS=\'{"agent": ["…"]}\'. Empty in dev: '
        "tokens are generated into dev_token_file on first start.",
    )
    subjects: dict[str, list[SecretStr]] = Field(
        default_factory=dict,
        description="Who is behind each token: subject (the agent's login) → its tokens, e.g. "
        'HRA_AUTH__SUBJECTS=\'{"m.martin": ["<token 1>", "<token 2>"]}\'. Tokens of one subject '
        "share one pseudonym and see the same drafts. A token not listed here is its own subject "
        "('token:' + a SHA-256 prefix of the token). Every token listed must also be in "
        "HRA_AUTH__TOKENS.",
    )
    dev_token_file: Path = Field(
        default=Path("var/dev-tokens.json"),
        description="Where dev tokens are kept (never used when env=prod).",
    )

    @model_validator(mode="after")
    def _subjects_name_known_tokens(self) -> AuthSettings:
        known = {t.get_secret_value() for values in self.tokens.values() for t in values}
        owner: dict[str, str] = {}
        for subject, values in self.subjects.items():
            problem = "a subject is blank" if not subject.strip() else None
            for token in (t.get_secret_value() for t in values):
                if known and token not in known:
                    problem = f"a token of {subject!r} has no role in HRA_AUTH__TOKENS"
                elif owner.setdefault(token, subject) != subject:
                    problem = f"one token is named for {owner[token]!r} and {subject!r}"
            if problem:
                raise ValueError(f"HRA_AUTH__SUBJECTS: {problem}")
        return self


class Principal(BaseModel):
    role: Role
    subject: str = Field(description="The person behind the credential (never typed by the client).")

    @property
    def sees_all_drafts(self) -> bool:
        """Admins may read any draft (including those written before drafts had an owner)."""
        return self.role == "admin"


def derived_subject(token: str) -> str:
    """The subject of a token nobody named: stable, distinct per token, reveals nothing of it."""
    return "token:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


class IdentityProvider(Protocol):
    """The seam for authentication: a request in, a ``Principal`` out (or a 401)."""

    def authenticate(self, request: Request) -> Principal: ...


class TokenBook:
    """The bearer-token ``IdentityProvider``: token → (role, subject), looked up in constant time
    per candidate."""

    def __init__(self, tokens: dict[Role, list[str]], subjects: dict[str, list[str]] | None = None) -> None:
        self._tokens = tokens
        self._subjects = subjects or {}

    @classmethod
    def from_settings(cls, settings: AuthSettings, env: str) -> TokenBook:
        configured = {
            role: [t.get_secret_value() for t in values] for role, values in settings.tokens.items()
        }
        subjects = {
            subject: [t.get_secret_value() for t in values] for subject, values in settings.subjects.items()
        }
        if env == "prod" or any(configured.values()):
            return cls(configured, subjects)
        stored = cls._dev_tokens(settings.dev_token_file)
        return cls(stored["tokens"], stored["subjects"])

    @staticmethod
    def _dev_tokens(path: Path) -> dict[str, Any]:
        """The file holds role → tokens (as before subjects existed, so ``["agent"][0]`` still reads
        the first agent token) plus ``"subjects"``: "dev-agent-<n>" → [its token]. An older file
        without subjects gets them on load, one per agent token."""
        if path.exists():
            stored = json.loads(path.read_text())
            tokens = {role: values for role, values in stored.items() if role in ROLES}
            subjects = stored.get("subjects") or {
                f"dev-agent-{i}": [t] for i, t in enumerate(tokens.get("agent", []), start=1)
            }
            return {"tokens": tokens, "subjects": subjects}
        tokens = {role: [f"dev-{role}-{secrets.token_urlsafe(16)}"] for role in ROLES}
        tokens["agent"] = [f"dev-agent-{secrets.token_urlsafe(16)}" for _ in range(DEV_AGENT_TOKENS)]
        subjects = {f"dev-agent-{i}": [t] for i, t in enumerate(tokens["agent"], start=1)}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**tokens, "subjects": subjects}, indent=1))
        path.chmod(0o600)
        print(f"Dev tokens generated in {path} (dev only):")
        for role, values in tokens.items():
            for i, value in enumerate(values, start=1):
                who = f" (dev-agent-{i})" if role == "agent" else ""
                print(f"  {role:6} {value}{who}")
        return {"tokens": tokens, "subjects": subjects}

    def identify(self, token: str) -> Principal | None:
        """Every candidate is compared (no early exit): the time does not say which one matched."""
        role: Role | None = None
        for candidate_role, values in self._tokens.items():
            for candidate in values:
                if hmac.compare_digest(candidate.encode(), token.encode()):
                    role = candidate_role
        if role is None:
            return None
        subject = derived_subject(token)
        for name, values in self._subjects.items():
            for candidate in values:
                if hmac.compare_digest(candidate.encode(), token.encode()):
                    subject = name
        return Principal(role=role, subject=subject)

    def role_of(self, token: str) -> Role | None:
        found = self.identify(token)
        return found.role if found else None

    def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("missing bearer token / jeton d'accès manquant")
        principal = self.identify(token.strip())
        if principal is None:
            raise UnauthorizedError("unknown or revoked token / jeton inconnu ou révoqué")
        return principal


def authorize(request: Request, roles: tuple[Role, ...]) -> Principal:
    """401 without a valid credential, 429 past its rate, 403 when its role is not in ``roles``.

    Nothing here blocks (token comparisons, an in-memory bucket): the role dependencies run it on
    the event loop, not in a worker thread — four thread hand-offs a draft were 1.9 % of its CPU."""
    provider: IdentityProvider = request.app.state.tokens
    principal = provider.authenticate(request)
    limiter = getattr(request.app.state, "limiter", None)
    if limiter is not None:  # per credential, before any work (429 with Retry-After)
        limiter.take(f"{principal.role}:{principal.subject}")
    if principal.role not in roles:
        raise ForbiddenError(
            f"role '{principal.role}' may not use this route / rôle non autorisé ici "
            f"(accepted: {', '.join(roles)})"
        )
    return principal


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: 401 without a valid credential, 403 when its role is not accepted here."""

    async def check(request: Request) -> Principal:
        return authorize(request, roles)

    check.__name__ = f"require_{'_'.join(roles)}"
    check.roles = roles  # type: ignore[attr-defined]  # read by the OpenAPI (assistant/api/contract.py)
    return check


AgentAccess = Annotated[Principal, Depends(require_roles("agent", "admin"))]
AnyRole = Annotated[Principal, Depends(require_roles(*ROLES))]
AdminAccess = Annotated[Principal, Depends(require_roles("admin"))]
