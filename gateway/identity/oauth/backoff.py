"""Back-off after failed client authentication at /oauth/token, /oauth/introspect and
/oauth/revoke: each failure costs the gateway an argon2 check, and unlimited tries would let one
caller guess secrets or spend every worker's CPU.

Failures are counted three ways, and the first two can make a caller wait (exponential back-off,
answered 429 with ``Retry-After`` before any secret is checked):

- per (client id, address): a few free failures, then 1 s, 2 s, 4 s … up to the ceiling; a
  success from that pair forgets its failures;
- per address, whatever client ids it names: a larger budget, then the same back-off — this is
  what stops one address from spraying guesses over many ids;
- per client id, from any address: this budget only slows — once it is used up, a pair that
  fails starts backing off at its first failure instead of after its free ones. It never blocks
  an address that has not failed, so an attacker cannot lock a real client out of its own
  addresses; nor does the address budget block a pair that authenticated recently, so a real
  client behind the same address as an attacker keeps working.

The counters live in Redis when it is configured (so every replica counts the same failures),
in process memory otherwise, and in memory too while Redis cannot be reached. Client ids are kept
only as a hash, so a guessed id is never stored as it was typed.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis

from gateway.storage.redis_store import PREFIX

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    #: Failures of one client id from one address before it must wait.
    pair_free: int = 5
    #: Failures from one address, whatever client ids it names, before it must wait.
    address_free: int = 30
    #: Failures of one client id from every address before its failing pairs wait at once.
    client_free: int = 50
    #: The first wait, doubled after each further failure, up to the ceiling (seconds).
    base: float = 1.0
    ceiling: float = 300.0
    #: Failures are forgotten this long after the last one (seconds).
    memory: float = 900.0
    #: How long a pair that authenticated counts as the real client at that address (seconds).
    trusted: float = 86400.0

    def wait(self, failures: int, free: int) -> float:
        """Seconds to wait after ``failures`` failures of which ``free`` cost nothing."""
        over = failures - free
        if over <= 0:
            return 0.0
        return min(self.ceiling, self.base * 2 ** min(over - 1, 32))


class _MemoryCounters:
    """Counters, blocks and marks with expiry, in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[int, float]] = {}  # key → (value, expires at)

    def _live(self, key: str, now: float) -> int:
        value = self._values.get(key)
        return value[0] if value and value[1] > now else 0

    def increment(self, key: str, ttl: float) -> int:
        with self._lock:
            now = self._clock()
            if len(self._values) > 100_000:  # forget what has expired; never grow without bound
                self._values = {k: v for k, v in self._values.items() if v[1] > now}
            count = self._live(key, now) + 1
            self._values[key] = (count, now + ttl)
            return count

    def set(self, key: str, ttl: float) -> None:
        with self._lock:
            self._values[key] = (1, self._clock() + ttl)

    def remaining(self, key: str) -> float:
        with self._lock:
            value = self._values.get(key)
            return max(0.0, value[1] - self._clock()) if value else 0.0

    def exists(self, key: str) -> bool:
        with self._lock:
            return self._live(key, self._clock()) > 0

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)


class _RedisCounters:
    """The same, in Redis (expiry by Redis, so replicas need not agree on a clock)."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def increment(self, key: str, ttl: float) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(PREFIX + key)
        pipe.pexpire(PREFIX + key, int(ttl * 1000))
        count, _ = pipe.execute()
        return int(count)

    def set(self, key: str, ttl: float) -> None:
        self._redis.set(PREFIX + key, "1", px=max(1, int(ttl * 1000)))

    def remaining(self, key: str) -> float:
        milliseconds = int(self._redis.pttl(PREFIX + key))
        return max(0.0, milliseconds / 1000)

    def exists(self, key: str) -> bool:
        return bool(self._redis.exists(PREFIX + key))

    def delete(self, key: str) -> None:
        self._redis.delete(PREFIX + key)


Counters = _MemoryCounters | _RedisCounters


class AuthenticationBackoff:
    def __init__(
        self,
        redis_client: redis.Redis | None = None,
        policy: BackoffPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or BackoffPolicy()
        self._memory = _MemoryCounters(clock)
        self._redis = _RedisCounters(redis_client) if redis_client is not None else None

    def _run(self, action: Callable[[Counters], T]) -> T:
        if self._redis is not None:
            try:
                return action(self._redis)
            except redis.RedisError as exc:
                log.warning("authentication back-off counted in memory (%s)", type(exc).__name__)
        return action(self._memory)

    @staticmethod
    def _keys(client_id: str, address: str) -> tuple[str, str, str]:
        who = hashlib.sha256(client_id.encode("utf-8", "replace")).hexdigest()[:32]
        return f"authfail:pair:{who}:{address}", f"authfail:addr:{address}", f"authfail:id:{who}"

    def retry_after(self, client_id: str, address: str) -> int:
        """Whole seconds the caller must wait before its credentials are checked; 0: go on."""
        pair, by_address, _ = self._keys(client_id, address)

        def wait(store: Counters) -> float:
            pair_wait = store.remaining("block:" + pair)
            if store.exists("trusted:" + pair):
                return pair_wait
            return max(pair_wait, store.remaining("block:" + by_address))

        return math.ceil(self._run(wait))

    def failed(self, client_id: str, address: str) -> None:
        pair, by_address, by_client = self._keys(client_id, address)
        policy = self.policy

        def count(store: Counters) -> None:
            client_failures = store.increment("count:" + by_client, policy.memory)
            pair_free = 0 if client_failures > policy.client_free else policy.pair_free
            for key, free in ((pair, pair_free), (by_address, policy.address_free)):
                seconds = policy.wait(store.increment("count:" + key, policy.memory), free)
                if seconds > 0:
                    store.set("block:" + key, seconds)

        self._run(count)

    def succeeded(self, client_id: str, address: str) -> None:
        pair, _, _ = self._keys(client_id, address)

        def forget(store: Counters) -> None:
            store.delete("count:" + pair)
            store.delete("block:" + pair)
            store.set("trusted:" + pair, self.policy.trusted)

        self._run(forget)
