"""Who may call Forge over the network: bearer tokens with a scope, and the server policy.

Tokens are random (256 bits) and shown once, at creation; the database keeps only their
SHA-256 (a slow password hash buys nothing for a random 256-bit secret) and a short prefix to
tell them apart in listings. Scopes are ordered: read < write < admin.

The rule every network edge applies (the REST API and web UI, the MCP HTTP endpoint,
`forge serve`) lives in `authorize`:
- a write (anything that changes state or starts work) needs a token of scope write, on any bind;
- on a bind that is not loopback every request needs a token;
- on a loopback bind, reads may go without one when `[auth] open_loopback_reads` is true
  (the default: only this machine can connect, and everything shown is scrubbed).

The server policy is FORGE_HOME/server.toml:

    [auth]
    open_loopback_reads = true      # loopback binds serve reads without a token
    [limits]
    max_body_bytes = 1048576        # request bodies above this are refused (413)
    max_prompt_chars = 200000       # chat prompts above this are refused (400)
    [api]
    source_roots = ["/data/sessions"]  # folders API callers may train from (the bundled example corpus always)
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from forge.config import parse_config
from forge.errors import ConfigError, Forbidden, InputError, NotFound, Unauthorized
from forge.storage.schema import api_tokens, utcnow

SCOPES = ("read", "write", "admin")
TOKEN_PREFIX = "forge_"
TOKEN_HINT = (
    "create one with `forge token create --name NAME --scope write` and send it as `Authorization: Bearer TOKEN`"
)
LAST_USED_EVERY = timedelta(minutes=1)  # how often a token's last-used time is written


def scope_rank(scope: str) -> int:
    return SCOPES.index(scope)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's name and scope, or an anonymous loopback reader."""

    name: str
    scope: str
    token_id: str | None = None

    def allows(self, need: str) -> bool:
        return scope_rank(self.scope) >= scope_rank(need)

    @property
    def actor(self) -> str:
        """The audit-trail actor for what this caller does."""
        return f"token:{self.name}" if self.token_id else self.name


ANONYMOUS_LOOPBACK = Principal("anonymous (loopback)", "read")


@dataclass
class TokenInfo:
    id: str
    name: str
    scope: str
    prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scope": self.scope,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "active": self.revoked_at is None,
        }


def _info(row: Any) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        scope=row.scope,
        prefix=row.prefix,
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_name(name: str) -> None:
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
        raise InputError(f"token name {name!r}: use 1-64 letters, digits, '-', '_' or '.'")


class TokenStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def create(self, name: str, scope: str, *, actor: str) -> tuple[TokenInfo, str]:
        """A new token: (its record, the secret). The secret is not kept and cannot be shown again."""
        _check_name(name)
        if scope not in SCOPES:
            raise InputError(f"scope {scope!r}: must be one of {', '.join(SCOPES)}")
        if any(t.name == name and t.revoked_at is None for t in self.list()):
            raise InputError(
                f"an active token named {name!r} exists",
                hint=f"`forge token revoke {name}` first, or pick another name",
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "tok-" + secrets.token_hex(4)
        with self.engine.begin() as conn:
            conn.execute(
                api_tokens.insert().values(
                    id=token_id,
                    name=name,
                    scope=scope,
                    token_sha256=token_digest(secret),
                    prefix=secret[: len(TOKEN_PREFIX) + 6],
                    created_at=utcnow(),
                    created_by=actor,
                    last_used_at=None,
                    revoked_at=None,
                )
            )
        return self.get(token_id), secret

    def list(self) -> list[TokenInfo]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created_at)).all()
        return [_info(r) for r in rows]

    def get(self, ref: str) -> TokenInfo:
        """By id (tok-…) or by name (the active token of that name, else the newest)."""
        matches = [t for t in self.list() if ref in (t.id, t.name)]
        if not matches:
            raise NotFound(f"no token {ref!r}", hint="`forge token list` shows them")
        active = [t for t in matches if t.revoked_at is None]
        return (active or matches)[-1]

    def revoke(self, ref: str) -> TokenInfo:
        token = self.get(ref)
        if token.revoked_at is None:
            with self.engine.begin() as conn:
                conn.execute(update(api_tokens).where(api_tokens.c.id == token.id).values(revoked_at=utcnow()))
        return self.get(token.id)

    def verify(self, secret: str) -> Principal | None:
        """The principal a presented secret stands for; None when unknown or revoked."""
        digest = token_digest(secret)
        with self.engine.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.token_sha256 == digest)).first()
        # a lookup by digest leaks nothing usable through timing: the digest of a guess says
        # nothing about the digest of the real secret
        if row is None or row.revoked_at is not None:
            return None
        now = utcnow()
        last = row.last_used_at
        if last is not None and last.tzinfo is None:  # SQLite returns naive datetimes
            last = last.replace(tzinfo=now.tzinfo)
        if last is None or now - last > LAST_USED_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
        return Principal(row.name, row.scope, row.id)


# -- the server policy -----------------------------------------------------------------------
@dataclass
class AuthSection:
    open_loopback_reads: bool = True

    def problems(self) -> list[str]:
        return []


@dataclass
class LimitsSection:
    max_body_bytes: int = 1024 * 1024
    max_prompt_chars: int = 200_000

    def problems(self) -> list[str]:
        return [
            f"'limits.{k}': must be at least 1, got {getattr(self, k)}"
            for k in ("max_body_bytes", "max_prompt_chars")
            if getattr(self, k) < 1
        ]


@dataclass
class ApiSection:
    source_roots: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [
            f"'api.source_roots': {r!r} is not an absolute path" for r in self.source_roots if not Path(r).is_absolute()
        ]


@dataclass
class ServerConfig:
    auth: AuthSection = field(default_factory=AuthSection)
    limits: LimitsSection = field(default_factory=LimitsSection)
    api: ApiSection = field(default_factory=ApiSection)


SECTIONS: dict[str, type] = {"auth": AuthSection, "limits": LimitsSection, "api": ApiSection}


def load_server_config(home: Path) -> ServerConfig:
    """FORGE_HOME/server.toml (every key optional; defaults when the file is absent)."""
    path = Path(home) / "server.toml"
    if not path.is_file():
        return ServerConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"invalid TOML: {exc}"], source=str(path)) from None
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise ConfigError([f"'{k}': unknown section (known: {', '.join(SECTIONS)})" for k in unknown], source=str(path))
    parts: dict[str, Any] = {
        name: parse_config(cls, data.get(name, {}), source=str(path), prefix=f"{name}.")
        for name, cls in SECTIONS.items()
    }
    return ServerConfig(**parts)


def is_loopback(host: str) -> bool:
    """Whether a bind address (or a client address) is this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bearer_token(authorization: str | None) -> str | None:
    """The token in an `Authorization: Bearer TOKEN` header; None when there is no header."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be `Bearer TOKEN`", hint=TOKEN_HINT)
    return token.strip()


def authorize(tokens: TokenStore, config: ServerConfig, token: str | None, need: str, *, loopback: bool) -> Principal:
    """The caller behind `token` if it may do something that needs scope `need`; else
    Unauthorized (401: no or bad token) or Forbidden (403: a valid token, too small a scope)."""
    if need not in SCOPES:
        raise ValueError(f"unknown scope {need!r}")
    if token is None:
        if loopback and need == "read" and config.auth.open_loopback_reads:
            return ANONYMOUS_LOOPBACK
        why = "this server is not bound to loopback" if not loopback else f"this needs scope {need}"
        raise Unauthorized(f"a bearer token is required: {why}", hint=TOKEN_HINT)
    principal = tokens.verify(token)
    if principal is None:
        raise Unauthorized("the bearer token is not valid (unknown or revoked)", hint=TOKEN_HINT)
    if not principal.allows(need):
        raise Forbidden(
            f"token {principal.name!r} has scope {principal.scope}; this needs {need}",
            hint=f"use a token with scope {need}: `forge token create --name NAME --scope {need}`",
        )
    return principal
