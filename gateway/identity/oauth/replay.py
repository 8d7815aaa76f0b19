"""One use per client assertion: RFC 7523 §3 lets the server reject a replayed ``jti``.

The check and the record are one atomic operation — SET NX in Redis when it is configured,
otherwise an insert on a primary key in the database — so two gateway processes racing with the
same assertion cannot both accept it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time

import redis
from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError

from gateway.storage.redis_store import PREFIX
from gateway.storage.tables import used_assertions

log = logging.getLogger(__name__)

PURGE_EVERY = 500


class ReplayGuard:
    def __init__(self, engine: Engine, redis_client: redis.Redis | None = None) -> None:
        self.engine = engine
        self._redis = redis_client
        self._counter = itertools.count()

    def first_use(self, client_id: str, jti: str, expires_at: int) -> bool:
        """True the first time (client, jti) is seen; False for a replay."""
        if self._redis is not None:
            ttl = max(1, expires_at - int(time.time()) + 120)
            try:
                return bool(
                    self._redis.set(f"{PREFIX}assertion:{client_id}:{jti}", "1", nx=True, ex=ttl)
                )
            except redis.RedisError as exc:
                log.warning("replay check falls back to the database (%s)", type(exc).__name__)
        expiry = dt.datetime.fromtimestamp(expires_at, dt.UTC)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(used_assertions).values(client_id=client_id, jti=jti, expires_at=expiry)
                )
        except IntegrityError:
            return False
        if next(self._counter) % PURGE_EVERY == 0:
            self.purge()
        return True

    def purge(self) -> None:
        """Forget assertions that have expired: they are refused on their exp anyway."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        with self.engine.begin() as conn:
            conn.execute(delete(used_assertions).where(used_assertions.c.expires_at < cutoff))
