"""Registered partner systems (docs/architecture.md#domain-model, Client): stored in the database,
secrets hashed."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, insert, select, update

from gateway.core.instants import rfc3339, utc_now
from gateway.identity.auth_methods import AUTH_METHODS, DEFAULT_AUTH_METHOD
from gateway.identity.scopes import SCOPE_IDS
from gateway.storage.bounds import can_hold
from gateway.storage.tables import clients

CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{3,64}")


def is_client_id(value: object) -> bool:
    """Whether a value can be a client id (whole-string match: no trailing newline either)."""
    return isinstance(value, str) and CLIENT_ID.fullmatch(value) is not None


# argon2id with the library's defaults (RFC 9106 second recommendation): slow to brute-force.
# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): slow enough to make a
# stolen table of hashes useless against 256-bit random secrets, cheap enough (~20 ms, 19 MiB)
# that token issuance does not exhaust a worker's memory under load.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verifying against a dummy hash keeps an unknown client as slow as a wrong secret.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# At most this many argon2 verifications run at once in a process: each takes its memory cost,
# and a burst of wrong secrets must not be able to exhaust a worker.
_VERIFYING = threading.BoundedSemaphore(4)
# A secret proven against a hash is remembered (as its SHA-256, never in clear) for a while, so
# that a client asking for a token every few minutes does not pay argon2 each time. A rotated
# secret has a new hash, which misses this memory.
_PROVEN: dict[tuple[str, str], tuple[float, bytes]] = {}
PROVEN_SECONDS = 300.0


def _argon2_verify(hashed: str, secret: str) -> bool:
    with _VERIFYING:
        try:
            return bool(_hasher.verify(hashed, secret))
        except (VerificationError, InvalidHashError):
            return False


class ClientError(ValueError):
    """A client registration or change that cannot be accepted."""


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    name: str
    region: str
    tier: str
    scopes: frozenset[str]
    auth_method: str
    status: str
    secret_hash: str | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    created_at: dt.datetime | None = None
    tokens_valid_after: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def accepts_token_issued_at(self, issued_at: float) -> bool:
        """Whether a token issued at this epoch second may still be used: never one issued
        before the client was last disabled, or before a rotation that revoked its tokens."""
        cutoff = self.tokens_valid_after
        return cutoff is None or issued_at >= cutoff.timestamp()

    def check_secret(self, secret: str) -> bool:
        if not self.secret_hash:
            _argon2_verify(_DUMMY_HASH, secret)  # as slow as a real check
            return False
        digest = hashlib.sha256(secret.encode("utf-8")).digest()
        key = (self.client_id, self.secret_hash)
        proven = _PROVEN.get(key)
        if (
            proven is not None
            and proven[0] > time.monotonic()
            and hmac.compare_digest(proven[1], digest)
        ):
            return True
        if not _argon2_verify(self.secret_hash, secret):
            return False
        if len(_PROVEN) > 10000:
            _PROVEN.clear()
        _PROVEN[key] = (time.monotonic() + PROVEN_SECONDS, digest)
        return True

    def public(self) -> dict[str, Any]:
        """What the admin API shows: never the secret hash."""
        return {
            "clientId": self.client_id,
            "name": self.name,
            "region": self.region,
            "tier": self.tier,
            "scopes": sorted(self.scopes),
            "authMethod": self.auth_method,
            "status": self.status,
            "jwksUri": self.jwks_uri,
            "hasJwks": self.jwks is not None,
            "createdAt": rfc3339(self.created_at),
            "tokensValidAfter": rfc3339(self.tokens_valid_after),
        }


def unregistered(client_id: str) -> Client:
    """A stand-in for a client id nobody registered: it fails authentication exactly as a
    registered client with a wrong secret does, after the same argon2 verification, so that
    the answer does not tell which client ids exist."""
    return Client(
        client_id=client_id,
        name="",
        region="",
        tier="",
        scopes=frozenset(),
        auth_method="",
        status="unregistered",
    )


def _row_to_client(row: Any) -> Client:
    return Client(
        client_id=row.client_id,
        name=row.name,
        region=row.region,
        tier=row.tier,
        scopes=frozenset(row.scopes.split()),
        auth_method=row.auth_method,
        status=row.status,
        secret_hash=row.secret_hash,
        jwks=row.jwks,
        jwks_uri=row.jwks_uri,
        created_at=row.created_at,
        tokens_valid_after=row.tokens_valid_after,
    )


class ClientStatusCache:
    """A client's status and token cut-off, re-read at most once a second: disabling a client,
    or revoking its tokens, rejects its live tokens on every replica within a second, without a
    database read per request."""

    def __init__(self, store: ClientStore, ttl: float = 1.0) -> None:
        self._store = store
        self._ttl = ttl
        self._seen: dict[str, tuple[float, Client | None]] = {}

    def get(self, client_id: str) -> Client | None:
        now = time.monotonic()
        cached = self._seen.get(client_id)
        if cached and cached[0] > now:
            return cached[1]
        client = self._store.get(client_id)
        self._seen[client_id] = (now + self._ttl, client)
        return client

    def forget(self, client_id: str) -> None:
        self._seen.pop(client_id, None)


class ClientStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, client_id: str) -> Client | None:
        if not can_hold(clients, "client_id", client_id):
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(clients).where(clients.c.client_id == client_id)).first()
        return _row_to_client(row) if row else None

    def list(self) -> list[Client]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(clients).order_by(clients.c.client_id)).all()
        return [_row_to_client(r) for r in rows]

    def create(
        self,
        *,
        name: str,
        region: str,
        tier: str,
        scopes: Iterable[str],
        auth_method: str = DEFAULT_AUTH_METHOD,
        client_id: str | None = None,
        jwks: dict[str, Any] | None = None,
        jwks_uri: str | None = None,
        conn: Connection | None = None,
    ) -> tuple[Client, str | None]:
        """Register a client; returns it and its secret, shown this once and never stored."""
        scope_set = frozenset(scopes)
        unknown = sorted(scope_set - set(SCOPE_IDS))
        if unknown:
            raise ClientError(
                f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPE_IDS)}"
            )
        if auth_method not in AUTH_METHODS:
            raise ClientError(
                f"unknown auth method {auth_method!r}; known: {', '.join(AUTH_METHODS)}"
            )
        if not name.strip():
            raise ClientError("a client needs a name")
        secret = None
        secret_hash = None
        if auth_method == "private_key_jwt":
            if (jwks is None) == (jwks_uri is None):
                raise ClientError("private_key_jwt needs exactly one of a JWKS or a JWKS URI")
        else:
            secret = secrets.token_urlsafe(32)
            secret_hash = _hasher.hash(secret)
        client_id = client_id or f"jjj-{secrets.token_hex(8)}"
        if not is_client_id(client_id):
            raise ClientError("a client id is 3–64 letters, digits, '.', '_' or '-'")
        now = dt.datetime.now(dt.UTC)
        with self._transaction(conn) as conn:
            if conn.execute(
                select(clients.c.client_id).where(clients.c.client_id == client_id)
            ).first():
                raise ClientError(f"client {client_id!r} exists")
            conn.execute(
                insert(clients).values(
                    client_id=client_id,
                    name=name.strip(),
                    region=region,
                    tier=tier,
                    scopes=" ".join(sorted(scope_set)),
                    auth_method=auth_method,
                    secret_hash=secret_hash,
                    jwks=jwks,
                    jwks_uri=jwks_uri,
                    status="active",
                    created_at=now,
                    updated_at=now,
                )
            )
            row = conn.execute(select(clients).where(clients.c.client_id == client_id)).one()
        return _row_to_client(row), secret

    def set_status(self, client_id: str, status: str, *, conn: Connection | None = None) -> Client:
        # Disabling also cuts off every token issued so far, so that enabling the client again
        # does not bring back tokens issued before it was disabled.
        cutoff = {"tokens_valid_after": utc_now()} if status == "disabled" else {}
        return self._update(client_id, conn, status=status, **cutoff)

    def rotate_secret(
        self, client_id: str, *, revoke_tokens: bool = False, conn: Connection | None = None
    ) -> tuple[Client, str]:
        """A new secret; with ``revoke_tokens`` the tokens issued so far stop working too."""
        secret = secrets.token_urlsafe(32)
        cutoff = {"tokens_valid_after": utc_now()} if revoke_tokens else {}
        client = self._update(client_id, conn, secret_hash=_hasher.hash(secret), **cutoff)
        return client, secret

    def set_keys(
        self,
        client_id: str,
        *,
        jwks: dict[str, Any] | None,
        jwks_uri: str | None,
        revoke_tokens: bool = False,
        conn: Connection | None = None,
    ) -> Client:
        """Register a private_key_jwt client's keys (the client then authenticates with them);
        with ``revoke_tokens`` the tokens issued so far stop working too."""
        cutoff = {"tokens_valid_after": utc_now()} if revoke_tokens else {}
        return self._update(
            client_id,
            conn,
            jwks=jwks,
            jwks_uri=jwks_uri,
            secret_hash=None,
            auth_method="private_key_jwt",
            **cutoff,
        )

    def _transaction(self, conn: Connection | None) -> AbstractContextManager[Connection]:
        return contextlib.nullcontext(conn) if conn is not None else self.engine.begin()

    def _update(self, client_id: str, conn: Connection | None, **values: Any) -> Client:
        if not can_hold(clients, "client_id", client_id):
            raise ClientError(f"no client {client_id!r}")
        with self._transaction(conn) as conn:
            result = conn.execute(
                update(clients)
                .where(clients.c.client_id == client_id)
                .values(**values, updated_at=dt.datetime.now(dt.UTC))
            )
            if result.rowcount == 0:
                raise ClientError(f"no client {client_id!r}")
            row = conn.execute(select(clients).where(clients.c.client_id == client_id)).one()
        return _row_to_client(row)
