"""A circuit breaker per node: a node that keeps failing is left alone for a while.

Closed, calls go through and their outcomes are counted. After too many failures the circuit
opens: calls fail fast with the source status ``unavailable`` and touch no network, so a dead or
lying node costs the gateway neither threads nor the caller's time, and the node gets room to
recover. After a cool-down the circuit is half-open and lets one probe through: its success
closes the circuit, its failure opens it again for another cool-down.

Failures are what the node did wrong — timeouts, unavailability, 5xx, malformed or oversized
answers, records that break the catalogue's schema. A request the node refused as the caller's
mistake (4xx) is an answer, not a failure.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.protocol import AdapterUnavailable
from gateway.core.settings import DEFAULTS, Settings

Clock = Callable[[], float]

#: The ratio window is kept as this many buckets of counts, so memory does not grow with traffic.
WINDOW_BUCKETS = 10


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"

    @property
    def code(self) -> int:
        """The value of the ``jjj_node_breaker_state`` gauge: 0 closed, 1 open, 2 half-open."""
        return {"closed": 0, "open": 1, "half-open": 2}[self.value]


class CircuitOpen(AdapterUnavailable):
    """The node was not called: its circuit is open."""


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When a node's circuit opens and how long it stays open."""

    #: Consecutive failures that open the circuit (0: never by count).
    failures: int = DEFAULTS.node_breaker_failures
    #: Share of failed calls within ``window`` that opens the circuit (0: never by ratio) …
    failure_ratio: float = DEFAULTS.node_breaker_failure_ratio
    #: … over this many seconds of recent calls …
    window: float = DEFAULTS.node_breaker_window
    #: … once at least this many calls were made in it.
    min_calls: int = DEFAULTS.node_breaker_min_calls
    #: Seconds an open circuit waits before it lets one probe through.
    cooldown: float = DEFAULTS.node_breaker_cooldown

    @classmethod
    def from_settings(cls, settings: Settings) -> BreakerPolicy:
        return cls(
            failures=settings.node_breaker_failures,
            failure_ratio=settings.node_breaker_failure_ratio,
            window=settings.node_breaker_window,
            min_calls=settings.node_breaker_min_calls,
            cooldown=settings.node_breaker_cooldown,
        )


Transition = Callable[[BreakerState, BreakerState], None]


class CircuitBreaker:
    """One node's circuit. Thread-safe; the clock is injected so tests never sleep."""

    def __init__(
        self,
        policy: BreakerPolicy,
        *,
        clock: Clock = time.monotonic,
        on_transition: Transition | None = None,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._on_transition = on_transition
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._opened_at = 0.0
        #: When the half-open probe was let through; None while no probe is out.
        self._probe_since: float | None = None
        #: bucket index → [calls, failures], for the ratio over the window
        self._buckets: dict[int, list[int]] = {}

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current(self._clock())

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._consecutive

    def snapshot(self) -> dict[str, Any]:
        """What ``/readyz`` shows of this circuit."""
        with self._lock:
            now = self._clock()
            state = self._current(now)
            out: dict[str, Any] = {"state": state.value, "failures": self._consecutive}
            if state is BreakerState.OPEN:
                out["probeInSeconds"] = round(self._opened_at + self.policy.cooldown - now, 3)
            return out

    def allow(self) -> bool:
        """Whether a call may go to the node now. In half-open, only one probe at a time."""
        with self._lock:
            now = self._clock()
            state = self._current(now)
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.OPEN:
                return False
            # A probe whose outcome never came back (its exchange gave up on it) does not hold
            # the circuit half-open forever: after a cool-down another probe may go.
            if self._probe_since is None or now - self._probe_since >= self.policy.cooldown:
                self._probe_since = now
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            now = self._clock()
            state = self._current(now)
            if state is BreakerState.OPEN:
                return  # a late answer to a call made before the circuit opened
            if state is BreakerState.HALF_OPEN:
                self._move(BreakerState.CLOSED, now)
                return
            self._consecutive = 0
            self._count(now, failed=False)

    def record_failure(self) -> None:
        with self._lock:
            now = self._clock()
            state = self._current(now)
            if state is BreakerState.OPEN:
                return  # already open: a late failure does not extend the cool-down
            self._consecutive += 1
            if state is BreakerState.HALF_OPEN:
                self._move(BreakerState.OPEN, now)
                return
            calls, failures = self._count(now, failed=True)
            policy = self.policy
            by_count = policy.failures > 0 and self._consecutive >= policy.failures
            by_ratio = (
                policy.failure_ratio > 0
                and calls >= max(1, policy.min_calls)
                and failures / calls >= policy.failure_ratio
            )
            if by_count or by_ratio:
                self._move(BreakerState.OPEN, now)

    # -- under the lock -----------------------------------------------------------------------

    def _current(self, now: float) -> BreakerState:
        """The state at ``now``: an open circuit turns half-open once its cool-down is over."""
        if self._state is BreakerState.OPEN and now - self._opened_at >= self.policy.cooldown:
            self._move(BreakerState.HALF_OPEN, now)
        return self._state

    def _move(self, to: BreakerState, now: float) -> None:
        before, self._state = self._state, to
        self._probe_since = None
        if to is BreakerState.OPEN:
            self._opened_at = now
        elif to is BreakerState.CLOSED:
            self._consecutive = 0
            self._buckets.clear()
        if self._on_transition is not None:
            self._on_transition(before, to)

    def _count(self, now: float, *, failed: bool) -> tuple[int, int]:
        """Count one outcome in the window; the window's (calls, failures)."""
        width = max(self.policy.window, 1e-6) / WINDOW_BUCKETS
        index = int(now // width)
        for old in [i for i in self._buckets if i <= index - WINDOW_BUCKETS]:
            del self._buckets[old]
        bucket = self._buckets.setdefault(index, [0, 0])
        bucket[0] += 1
        bucket[1] += int(failed)
        calls = sum(b[0] for b in self._buckets.values())
        failures = sum(b[1] for b in self._buckets.values())
        return calls, failures


__all__ = ["BreakerPolicy", "BreakerState", "CircuitBreaker", "CircuitOpen"]
