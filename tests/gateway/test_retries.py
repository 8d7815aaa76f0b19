"""Retries of node reads: which failures are retried, backoff, deadline and budget — on a mock
transport with an injected clock and sleep (nothing here waits)."""

from __future__ import annotations

import random

import httpx
import pytest

from gateway.upstream.retries import RetryBudget, RetryingTransport, RetryPolicy, exchange_deadline


class Clock:
    """Monotonic time that only moves when the code under test sleeps (or a test moves it)."""

    def __init__(self) -> None:
        self.now = 500.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


Outcome = int | Exception


class Node:
    """A mock node answering each attempt with the next outcome (a status or a transport error)."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = list(outcomes)
        self.seen: list[httpx.Request] = []
        #: the timeouts of each attempt (the request object is the same for all of them)
        self.timeouts: list[dict[str, float]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        self.timeouts.append(dict(request.extensions["timeout"]))
        outcome = self.outcomes.pop(0) if self.outcomes else 200
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome, json={"records": [], "nextCursor": None})


def client_for(
    node: Node,
    clock: Clock,
    *,
    policy: RetryPolicy | None = None,
    budget: RetryBudget | None = None,
    retries: list[str] | None = None,
    exhausted: list[int] | None = None,
) -> httpx.Client:
    transport = RetryingTransport(
        httpx.MockTransport(node),
        policy=policy or RetryPolicy(retries=2, backoff=0.05),
        budget=budget or RetryBudget(0.2, clock=clock),
        on_retry=retries.append if retries is not None else None,
        on_budget_exhausted=(lambda: exhausted.append(1)) if exhausted is not None else None,
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(7),
    )
    return httpx.Client(
        base_url="http://node.test",
        transport=transport,
        timeout=httpx.Timeout(connect=2, read=10, write=10, pool=2),
    )


def query(client: httpx.Client) -> httpx.Response:
    return client.post("/query", json={"dataset": "d"})


def connect_error() -> httpx.ConnectError:
    return httpx.ConnectError("connection refused")


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (connect_error(), "connect"),
        (httpx.ConnectTimeout("no SYN-ACK"), "connect"),
        (httpx.ReadError("connection reset by peer"), "reset"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "reset"),
        (502, "502"),
        (503, "503"),
        (504, "504"),
    ],
)
def test_a_read_the_node_did_not_answer_is_sent_again(
    clock: Clock, failure: Outcome, reason: str
) -> None:
    node, retries = Node(failure), list[str]()
    response = query(client_for(node, clock, retries=retries))
    assert response.status_code == 200
    assert len(node.seen) == 2 and retries == [reason]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("sent, no answer"),
        httpx.WriteTimeout("slow upload"),
        httpx.PoolTimeout("no free connection"),
        500,
        501,
        400,
        401,
        404,
        429,
    ],
)
def test_timeouts_after_sending_and_other_answers_are_not_retried(
    clock: Clock, failure: Outcome
) -> None:
    node, retries = Node(failure), list[str]()
    client = client_for(node, clock, retries=retries)
    if isinstance(failure, Exception):
        with pytest.raises(type(failure)):
            query(client)
    else:
        assert query(client).status_code == failure
    assert len(node.seen) == 1 and retries == [] and clock.slept == []


def test_only_queries_are_retried(clock: Clock) -> None:
    node = Node(503, 503, 503)
    client = client_for(node, clock)
    assert client.post("/admin", json={}).status_code == 503
    assert client.get("/health").status_code == 503  # a probe shows the node as it is
    assert client.post("/query", json={}).status_code == 200
    assert [r.url.path for r in node.seen] == ["/admin", "/health", "/query", "/query"]


def test_at_most_the_configured_retries_then_the_last_answer_stands(clock: Clock) -> None:
    node, retries = Node(503, 503, 503, 503), list[str]()
    response = query(client_for(node, clock, retries=retries))
    assert response.status_code == 503
    assert len(node.seen) == 3 and retries == ["503", "503"]


def test_the_last_transport_error_stands_when_retries_are_spent(clock: Clock) -> None:
    node = Node(connect_error(), connect_error(), connect_error())
    with pytest.raises(httpx.ConnectError):
        query(client_for(node, clock))
    assert len(node.seen) == 3


def test_backoff_grows_exponentially_with_jitter(clock: Clock) -> None:
    query(client_for(Node(503, 503), clock))
    first, second = clock.slept
    assert 0.025 <= first <= 0.05
    assert 0.075 <= second <= 0.15


def test_no_retry_starts_past_the_exchange_deadline(clock: Clock) -> None:
    node = Node(503, 503)
    with exchange_deadline(clock.now + 0.02):  # shorter than the first backoff
        response = query(client_for(node, clock))
    assert response.status_code == 503 and len(node.seen) == 1 and clock.slept == []


def test_every_attempt_waits_no_longer_than_what_is_left_of_the_deadline(clock: Clock) -> None:
    node = Node(503)
    with exchange_deadline(clock.now + 1.5):
        query(client_for(node, clock))
    first, second = node.timeouts
    assert first == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}
    assert max(second.values()) == pytest.approx(1.5 - clock.slept[0])


def test_a_call_after_the_deadline_is_not_sent(clock: Clock) -> None:
    node = Node()
    with exchange_deadline(clock.now), pytest.raises(httpx.TimeoutException, match="deadline"):
        query(client_for(node, clock))
    assert node.seen == []


def test_outside_an_exchange_the_configured_timeouts_apply(clock: Clock) -> None:
    node = Node()
    query(client_for(node, clock))
    assert node.timeouts[0] == {"connect": 2, "read": 10, "write": 10, "pool": 2}


def test_a_spent_budget_stops_retries(clock: Clock) -> None:
    budget = RetryBudget(0.2, capacity=1.0, floor_per_second=0.0, clock=clock)
    node, exhausted = Node(503, 503, 503), list[int]()
    response = query(client_for(node, clock, budget=budget, exhausted=exhausted))
    assert response.status_code == 503
    assert len(node.seen) == 2 and exhausted == [1]  # one retry (the budget held 1.2), then none


# --- the budget ----------------------------------------------------------------------------


def spend_all(budget: RetryBudget) -> int:
    spent = 0
    while budget.try_spend():
        spent += 1
    return spent


def test_the_budget_starts_full_and_each_retry_spends_one(clock: Clock) -> None:
    budget = RetryBudget(0.2, capacity=10, floor_per_second=0.0, clock=clock)
    assert spend_all(budget) == 10
    assert not budget.try_spend()


def test_retries_add_at_most_the_ratio_on_top_of_requests(clock: Clock) -> None:
    budget = RetryBudget(0.2, capacity=10, floor_per_second=0.0, clock=clock)
    spend_all(budget)
    retries = 0
    for _ in range(1000):  # a failing node asked a thousand times: every request wants retries
        budget.record_request()
        retries += spend_all(budget)
    assert retries == 200


def test_a_quiet_node_earns_a_retry_now_and_then(clock: Clock) -> None:
    budget = RetryBudget(0.2, capacity=10, floor_per_second=0.1, clock=clock)
    spend_all(budget)
    clock.now += 9.9
    assert not budget.try_spend()
    clock.now += 0.1
    assert budget.try_spend()


def test_the_budget_never_holds_more_than_its_capacity(clock: Clock) -> None:
    budget = RetryBudget(0.2, capacity=3, floor_per_second=0.1, clock=clock)
    for _ in range(100):
        budget.record_request()
    clock.now += 3600
    assert budget.tokens == 3
    assert spend_all(budget) == 3


def test_the_policy_reads_its_settings() -> None:
    from gateway.core.settings import load_settings

    settings = load_settings(
        {},
        environ={
            "GATEWAY_NODE_RETRIES": "1",
            "GATEWAY_NODE_RETRY_BACKOFF": "0.2",
            "GATEWAY_NODE_RETRY_BUDGET": "0.1",
        },
    )
    assert RetryPolicy.from_settings(settings) == RetryPolicy(1, 0.2, 0.1)
