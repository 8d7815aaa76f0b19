"""Quotas per client by tier (docs/access-and-tiers.md rule 5): requests per minute in a moving
window and records per day, counted with the `limits` library — in process memory by default, in
Redis when GATEWAY_REDIS_URL is set so that every replica counts against one quota.

The answer carries the IETF RateLimit-Policy and RateLimit fields
(draft-ietf-httpapi-ratelimit-headers): one policy per quota, ``q`` the quota, ``w`` the window
in seconds, ``r`` what remains and ``t`` the seconds until the window resets.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerDay, RateLimitItemPerMinute
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from policies import Tier

log = logging.getLogger(__name__)


#: Redis: lower a counter by ARGV[1], but not below zero (a window that expired meanwhile
#: must not start the next day in credit).
_RELEASE = b"""
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = math.min(tonumber(ARGV[1]), current)
if amount > 0 then redis.call('DECRBY', KEYS[1], amount) end
return current - amount
"""


class QuotaStoreUnavailable(Exception):
    """The quota store cannot be reached."""


@dataclass(frozen=True, slots=True)
class QuotaState:
    tier: Tier
    requests_remaining: int
    requests_reset: int
    records_remaining: int
    records_reset: int

    def headers(self) -> dict[str, str]:
        # draft-ietf-httpapi-ratelimit-headers §4/§5: a list of named quota policies and their
        # current state; the records quota counts records returned, not requests.
        return {
            "RateLimit-Policy": (
                f'"requests";q={self.tier.requests_per_minute};w=60, '
                f'"records";q={self.tier.records_per_day};w=86400;qu="records"'
            ),
            "RateLimit": (
                f'"requests";r={max(0, self.requests_remaining)};t={self.requests_reset}, '
                f'"records";r={max(0, self.records_remaining)};t={self.records_reset}'
            ),
        }


class Quotas:
    def __init__(self, redis_url: str = "", *, fail_open: bool = False) -> None:
        storage = (
            storage_from_string(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
            if redis_url
            else MemoryStorage()
        )
        assert isinstance(storage, Storage)  # the synchronous kind, never limits.aio
        self.storage = storage
        self.fail_open = fail_open
        self._requests = MovingWindowRateLimiter(self.storage)
        self._records = FixedWindowRateLimiter(self.storage)
        if isinstance(storage, RedisStorage):
            self._release = storage.get_connection().register_script(_RELEASE)

    @staticmethod
    def _items(tier: Tier) -> tuple[RateLimitItemPerMinute, RateLimitItemPerDay]:
        return (
            RateLimitItemPerMinute(tier.requests_per_minute, namespace="jjj-requests"),
            RateLimitItemPerDay(tier.records_per_day, namespace="jjj-records"),
        )

    def take_request(self, client_id: str, tier: Tier) -> tuple[bool, QuotaState]:
        """Count one request; False when the minute's quota is used up (it is then not counted)."""
        per_minute, _ = self._items(tier)
        try:
            allowed = self._requests.hit(per_minute, client_id)
        except Exception as exc:  # the store's own errors (Redis down, timeouts)
            raise QuotaStoreUnavailable(type(exc).__name__) from exc
        return allowed, self.state(client_id, tier)

    def state(self, client_id: str, tier: Tier) -> QuotaState:
        per_minute, per_day = self._items(tier)
        try:
            requests = self._requests.get_window_stats(per_minute, client_id)
            records = self._records.get_window_stats(per_day, client_id)
        except Exception as exc:
            raise QuotaStoreUnavailable(type(exc).__name__) from exc
        now = time.time()
        return QuotaState(
            tier=tier,
            requests_remaining=requests.remaining,
            requests_reset=max(0, math.ceil(requests.reset_time - now)),
            records_remaining=records.remaining,
            records_reset=max(0, math.ceil(records.reset_time - now)),
        )

    def reserve_records(self, client_id: str, tier: Tier, wanted: int) -> int:
        """Reserve up to ``wanted`` of the day's records before the nodes are asked; the answer
        is how many may be delivered (0: none remain).

        The counter is raised by ``wanted`` first (one atomic INCRBY, in Redis across replicas)
        and what lies beyond the quota is given back at once: concurrent exchanges each see the
        reservations made before theirs, so together they never exceed the quota."""
        if wanted <= 0:
            return 0
        _, per_day = self._items(tier)
        key = per_day.key_for(client_id)
        try:
            used = self.storage.incr(key, per_day.get_expiry(), amount=wanted)
        except Exception as exc:
            raise QuotaStoreUnavailable(type(exc).__name__) from exc
        granted = max(0, min(wanted, tier.records_per_day - (used - wanted)))
        self.release_records(client_id, tier, wanted - granted)
        return granted

    def release_records(self, client_id: str, tier: Tier, count: int) -> None:
        """Give back reserved records an answer did not carry (never below zero)."""
        if count <= 0:
            return
        _, per_day = self._items(tier)
        key = per_day.key_for(client_id)
        try:
            if isinstance(self.storage, MemoryStorage):
                self.storage.decr(key, count)
            elif isinstance(self.storage, RedisStorage):
                self._release([self.storage.prefixed_key(key)], [count])
            else:
                self.storage.incr(key, per_day.get_expiry(), amount=-count)
        except Exception as exc:
            # The records stay counted: the client may get fewer than its quota, never more.
            log.warning("records of %s not given back: %s", client_id, type(exc).__name__)

    def close(self) -> None:
        reset = getattr(self.storage, "reset", None)
        if isinstance(self.storage, MemoryStorage) and callable(reset):
            reset()
