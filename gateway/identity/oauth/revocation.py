"""The access-token deny-list (RFC 7009 for JWTs): revoked ``jti`` values, kept until expiry.

Every request checks it. The database holds the truth; each process keeps a snapshot refreshed
at most once a second, so a revocation made by one replica holds on all within a second. With
Redis configured, a revocation is also written there and read on every request, so it holds on
every replica at once; if Redis fails, the database snapshot still answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time

import redis
from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError

from gateway.storage.redis_store import PREFIX
from gateway.storage.tables import revoked_tokens

log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0


def foreign_token_key(issuer: str, jti: str) -> str:
    """The deny-list key of a trusted issuer's token: its ``jti`` is unique for that issuer
    only, so it is qualified by the issuer (hashed, to fit the key column)."""
    digest = hashlib.sha256(f"{issuer}\n{jti}".encode()).hexdigest()
    return f"iss:{digest[:60]}"


class RevocationList:
    def __init__(self, engine: Engine, redis_client: redis.Redis | None = None) -> None:
        self.engine = engine
        self._redis = redis_client
        self._lock = threading.Lock()
        self._revoked: dict[str, float] = {}  # jti → expiry (epoch seconds)
        self._checked_at = 0.0
        self._high_water: dt.datetime | None = None

    def revoke(self, jti: str, *, client_id: str | None, expires_at: int) -> None:
        try:
            with self.engine.begin() as conn:
                self.record(conn, jti, client_id=client_id, expires_at=expires_at)
        except IntegrityError:
            pass  # already revoked: revocation is idempotent (RFC 7009 §2.2)
        self.remember(jti, expires_at=expires_at)

    def record(self, conn: Connection, jti: str, *, client_id: str | None, expires_at: int) -> None:
        """Write a revocation in the caller's transaction; ``remember`` it once committed."""
        conn.execute(
            revoked_tokens.insert().values(
                jti=jti,
                client_id=client_id,
                revoked_at=dt.datetime.now(dt.UTC),
                expires_at=dt.datetime.fromtimestamp(expires_at, dt.UTC),
            )
        )

    def is_recorded(self, conn: Connection, jti: str) -> bool:
        query = select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti)
        return conn.execute(query).first() is not None

    def remember(self, jti: str, *, expires_at: int) -> None:
        """Make a committed revocation hold here at once, and on every replica through Redis."""
        with self._lock:
            self._revoked[jti] = float(expires_at)
        if self._redis is not None:
            ttl = max(1, int(expires_at - time.time()) + 60)
            try:
                self._redis.set(f"{PREFIX}revoked:{jti}", "1", ex=ttl)
            except redis.RedisError as exc:
                log.warning(
                    "revocation not mirrored to Redis (%s); replicas see it within "
                    "a second through the database",
                    type(exc).__name__,
                )

    def is_revoked(self, jti: str) -> bool:
        self._refresh()
        if jti in self._revoked:
            return True
        if self._redis is not None:
            try:
                return bool(self._redis.exists(f"{PREFIX}revoked:{jti}"))
            except redis.RedisError:
                return False  # the database snapshot above has answered already
        return False

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < REFRESH_SECONDS:
            return
        with self._lock:
            if now - self._checked_at < REFRESH_SECONDS:
                return
            query = select(
                revoked_tokens.c.jti, revoked_tokens.c.expires_at, revoked_tokens.c.revoked_at
            )
            if self._high_water is not None:
                # Re-read a little before the high-water mark: clocks of replicas differ.
                query = query.where(
                    revoked_tokens.c.revoked_at >= self._high_water - dt.timedelta(seconds=5)
                )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            wall = time.time()
            for jti, expires_at, revoked_at in rows:
                expiry = expires_at.timestamp()
                if expiry > wall:
                    self._revoked[jti] = expiry
                if self._high_water is None or revoked_at > self._high_water:
                    self._high_water = revoked_at
            if self._high_water is None:
                self._high_water = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
            self._revoked = {j: e for j, e in self._revoked.items() if e > wall}
            self._checked_at = now

    def purge_expired(self) -> int:
        """Drop entries whose tokens have expired anyway."""
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(revoked_tokens).where(revoked_tokens.c.expires_at < dt.datetime.now(dt.UTC))
            )
        return result.rowcount
