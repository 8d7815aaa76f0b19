"""The per-node circuit breaker, on an injected clock (no test waits for a cool-down)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.upstream.breaker import BreakerPolicy, BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def breaker(clock: Clock, **policy: Any) -> tuple[CircuitBreaker, list[tuple[str, str]]]:
    transitions: list[tuple[str, str]] = []
    made = CircuitBreaker(
        BreakerPolicy(**{"failures": 3, "cooldown": 10.0, "failure_ratio": 0.0, **policy}),
        clock=clock,
        on_transition=lambda before, to: transitions.append((before.value, to.value)),
    )
    return made, transitions


def fail(circuit: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        assert circuit.allow()
        circuit.record_failure()


def test_consecutive_failures_open_the_circuit(clock: Clock) -> None:
    circuit, transitions = breaker(clock)
    fail(circuit, 2)
    assert circuit.state is BreakerState.CLOSED and circuit.consecutive_failures == 2
    fail(circuit, 1)
    assert circuit.state is BreakerState.OPEN
    assert transitions == [("closed", "open")]


def test_a_success_starts_the_count_again(clock: Clock) -> None:
    circuit, _ = breaker(clock)
    fail(circuit, 2)
    circuit.record_success()
    fail(circuit, 2)
    assert circuit.state is BreakerState.CLOSED and circuit.consecutive_failures == 2


def test_an_open_circuit_refuses_every_call_until_the_cooldown_is_over(clock: Clock) -> None:
    circuit, _ = breaker(clock)
    fail(circuit, 3)
    clock.advance(9.99)
    assert not circuit.allow() and not circuit.allow()
    assert circuit.snapshot() == {"state": "open", "failures": 3, "probeInSeconds": 0.01}
    clock.advance(0.01)
    assert circuit.state is BreakerState.HALF_OPEN


def test_half_open_lets_exactly_one_probe_through(clock: Clock) -> None:
    circuit, _ = breaker(clock)
    fail(circuit, 3)
    clock.advance(10)
    assert circuit.allow()
    assert not circuit.allow() and not circuit.allow()


def test_a_successful_probe_closes_the_circuit(clock: Clock) -> None:
    circuit, transitions = breaker(clock)
    fail(circuit, 3)
    clock.advance(10)
    assert circuit.allow()
    circuit.record_success()
    assert circuit.state is BreakerState.CLOSED
    assert circuit.snapshot() == {"state": "closed", "failures": 0}
    assert transitions == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]
    assert circuit.allow() and circuit.allow()


def test_a_failed_probe_opens_the_circuit_for_another_cooldown(clock: Clock) -> None:
    circuit, transitions = breaker(clock)
    fail(circuit, 3)
    clock.advance(10)
    assert circuit.allow()
    circuit.record_failure()
    assert circuit.state is BreakerState.OPEN
    clock.advance(9)
    assert not circuit.allow()
    clock.advance(1)
    assert circuit.allow()
    assert transitions[-2:] == [("half-open", "open"), ("open", "half-open")]


def test_a_probe_whose_outcome_never_comes_back_is_replaced_after_a_cooldown(
    clock: Clock,
) -> None:
    circuit, _ = breaker(clock)
    fail(circuit, 3)
    clock.advance(10)
    assert circuit.allow()  # the probe's exchange gave up on it: no outcome is recorded
    clock.advance(9)
    assert not circuit.allow()
    clock.advance(1)
    assert circuit.allow()


def test_late_outcomes_of_calls_made_before_the_circuit_opened_change_nothing(
    clock: Clock,
) -> None:
    circuit, transitions = breaker(clock)
    fail(circuit, 3)
    circuit.record_success()
    circuit.record_failure()
    clock.advance(10)
    assert circuit.state is BreakerState.HALF_OPEN
    assert transitions == [("closed", "open"), ("open", "half-open")]


def test_a_failure_ratio_over_the_window_opens_the_circuit(clock: Clock) -> None:
    circuit, _ = breaker(clock, failures=0, failure_ratio=0.5, window=30, min_calls=10)
    for _ in range(4):  # failures, never two in a row: the count alone would never open it
        circuit.record_success()
        fail(circuit, 1)
    assert circuit.state is BreakerState.CLOSED  # 8 calls: fewer than min_calls
    circuit.record_success()
    fail(circuit, 1)
    assert circuit.state is BreakerState.OPEN  # 5 of 10 failed


def test_outcomes_older_than_the_window_no_longer_count(clock: Clock) -> None:
    circuit, _ = breaker(clock, failures=0, failure_ratio=0.5, window=30, min_calls=4)
    fail(circuit, 3)
    clock.advance(31)
    for _ in range(3):
        circuit.record_success()
    fail(circuit, 1)
    assert circuit.state is BreakerState.CLOSED  # 1 of 4 in the window


def test_a_closed_circuit_forgets_the_failures_before_it_opened(clock: Clock) -> None:
    circuit, _ = breaker(clock, failures=0, failure_ratio=0.5, window=30, min_calls=4)
    fail(circuit, 4)
    assert circuit.state is BreakerState.OPEN
    clock.advance(10)
    assert circuit.allow()
    circuit.record_success()
    fail(circuit, 1)
    assert circuit.state is BreakerState.CLOSED


@pytest.mark.parametrize(
    ("state", "code"),
    [(BreakerState.CLOSED, 0), (BreakerState.OPEN, 1), (BreakerState.HALF_OPEN, 2)],
)
def test_states_have_the_gauge_values_operators_alert_on(state: BreakerState, code: int) -> None:
    assert state.code == code
