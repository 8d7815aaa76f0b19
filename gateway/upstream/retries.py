"""Retries of a node's reads: only where sending the read again is safe and may help.

A ``POST /query`` to an adapter is a read (idempotent), so it is sent again — at most
``RetryPolicy.retries`` times, after an exponential backoff with jitter — when the node was not
reached (connect error), the connection was lost before an answer (reset), or the node answered
502, 503 or 504. Never after a read timeout (the node may still be working on it: asking again
doubles its load), never on a 4xx, an invalid or oversized answer. A retry never starts past the
exchange's deadline, and every attempt's timeouts are cut to what is left of it.

A per-node budget keeps retries from multiplying the load on a node that is failing: each
request earns a fraction of a retry (``budget_ratio``), each retry spends a whole one.

The retries happen in the node's ``httpx`` transport, the one place that sees connect errors and
statuses before the HTTP adapter turns them into adapter errors.
"""

from __future__ import annotations

import contextlib
import contextvars
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from gateway.core.settings import DEFAULTS, Settings

Clock = Callable[[], float]

#: Statuses that say "not now" rather than "no": the node (or its proxy) did not do the read.
RETRY_STATUSES = frozenset({502, 503, 504})
#: Each backoff is this many times the one before (50 ms, 150 ms, …).
BACKOFF_MULTIPLIER = 3.0
#: The budget holds at most this many retries, and starts full.
BUDGET_CAPACITY = 10.0
#: A quiet node still earns a retry every ten seconds, so it is not left with none.
BUDGET_FLOOR_PER_SECOND = 0.1

#: The monotonic time by which the current exchange must have its answer (None: no deadline).
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "jjj_exchange_deadline", default=None
)


@contextlib.contextmanager
def exchange_deadline(at: float | None) -> Iterator[None]:
    """Node calls made inside this block neither wait nor retry past ``at`` (monotonic time)."""
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    #: Attempts after the first (0: never retry).
    retries: int = DEFAULTS.node_retries
    #: Seconds before the first retry; each next waits ``BACKOFF_MULTIPLIER`` times longer.
    backoff: float = DEFAULTS.node_retry_backoff
    #: Retries a node may get per request it was sent, over recent requests.
    budget_ratio: float = DEFAULTS.node_retry_budget

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            retries=settings.node_retries,
            backoff=settings.node_retry_backoff,
            budget_ratio=settings.node_retry_budget,
        )

    def delay(self, retry: int, rng: random.Random) -> float:
        """The wait before retry ``retry`` (0-based): exponential, jittered over its upper half so
        that the gateway's threads do not come back to a recovering node in step."""
        ceiling = self.backoff * BACKOFF_MULTIPLIER**retry
        return ceiling / 2 + rng.random() * ceiling / 2


class RetryBudget:
    """A token bucket of retries for one node: requests fill it, retries drain it."""

    def __init__(
        self,
        ratio: float,
        *,
        capacity: float = BUDGET_CAPACITY,
        floor_per_second: float = BUDGET_FLOOR_PER_SECOND,
        clock: Clock = time.monotonic,
    ) -> None:
        self.ratio = ratio
        self.capacity = capacity
        self.floor_per_second = floor_per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = capacity
        self._refilled_at = clock()

    @property
    def tokens(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens

    def record_request(self) -> None:
        """A first attempt was sent: it earns ``ratio`` of a retry."""
        with self._lock:
            self._refill()
            self._tokens = min(self.capacity, self._tokens + self.ratio)

    def try_spend(self) -> bool:
        """Take one retry from the budget; False when none is left."""
        with self._lock:
            self._refill()
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._refilled_at)
        self._refilled_at = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.floor_per_second)


def _is_query(request: httpx.Request) -> bool:
    """An exchange's read, ``POST /query``. A health check is not retried: it is a probe whose
    answer should show the node as it is."""
    return request.method == "POST" and request.url.path.rstrip("/").endswith("/query")


def _failure_reason(exc: httpx.TransportError) -> str | None:
    """Why an attempt failed, if sending it again is safe and may help; None otherwise."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return "connect"  # the request never reached the node
    if isinstance(exc, httpx.TimeoutException):
        return None  # sent, and the node may still be working on it
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return "reset"  # the connection was lost before an answer
    return None


class RetryingTransport(httpx.BaseTransport):
    """The ``httpx`` transport of one node: each attempt bounded by the exchange deadline, and
    reads retried per the policy and the node's budget."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        policy: RetryPolicy,
        budget: RetryBudget,
        on_retry: Callable[[str], None] | None = None,
        on_budget_exhausted: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._inner = inner
        self.policy = policy
        self.budget = budget
        self._on_retry = on_retry
        self._on_budget_exhausted = on_budget_exhausted
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 — jitter, not secrecy

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not _is_query(request):
            return self._attempt(request)
        self.budget.record_request()
        timeouts = dict(request.extensions.get("timeout", {}))
        retry = 0
        while True:
            try:
                response = self._attempt(request, timeouts)
            except httpx.TransportError as exc:
                reason = _failure_reason(exc)
                delay = self._retry_delay(retry) if reason else None
                if reason is None or delay is None:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                reason, delay = str(response.status_code), self._retry_delay(retry)
                if delay is None:
                    return response
                response.close()
            if self._on_retry is not None:
                self._on_retry(reason)
            self._sleep(delay)
            retry += 1

    def close(self) -> None:
        self._inner.close()

    def _retry_delay(self, retry: int) -> float | None:
        """How long to wait before retry number ``retry`` (0-based); None: it may not go."""
        if retry >= self.policy.retries:
            return None
        delay = self.policy.delay(retry, self._rng)
        deadline = _deadline.get()
        if deadline is not None and self._clock() + delay >= deadline:
            return None
        if not self.budget.try_spend():
            if self._on_budget_exhausted is not None:
                self._on_budget_exhausted()
            return None
        return delay

    def _attempt(
        self, request: httpx.Request, timeouts: dict[str, float | None] | None = None
    ) -> httpx.Response:
        """One attempt, its timeouts cut to what is left before the exchange deadline."""
        deadline = _deadline.get()
        if deadline is not None:
            left = deadline - self._clock()
            if left <= 0:
                raise httpx.TimeoutException("the exchange deadline has passed", request=request)
            base = timeouts if timeouts is not None else request.extensions.get("timeout", {})
            capped = {name: left if t is None else min(t, left) for name, t in base.items()}
            request.extensions = {**request.extensions, "timeout": capped}
        return self._inner.handle_request(request)


__all__ = [
    "RETRY_STATUSES",
    "RetryBudget",
    "RetryPolicy",
    "RetryingTransport",
    "exchange_deadline",
]
