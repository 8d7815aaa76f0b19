"""The records-per-day quota under concurrency (docs/access-and-tiers.md rule 5): a page is reserved
from the day's records before the nodes are asked and settled after, so concurrent exchanges — in
one process or on several replicas sharing Redis — never deliver more than the quota."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from gateway import create_app
from gateway.access.quotas import Quotas
from gateway.core.settings import load_settings
from gateway.services import Configuration
from gateway.storage import upgrade
from policies import Tier

from .conftest import basic, bearer

ME = "/v1/datasets/market-entity-registration"
STORES = ("memory", "redis")
CONCURRENT = 10


def _flushed(redis_url: str) -> str:
    import redis

    with redis.Redis.from_url(redis_url) as flusher:
        flusher.flushdb()
    return redis_url


@pytest.fixture(params=STORES)
def quotas(request: pytest.FixtureRequest) -> Iterator[Quotas]:
    url = _flushed(request.getfixturevalue("redis_url")) if request.param == "redis" else ""
    store = Quotas(url)
    yield store
    store.close()


@pytest.fixture
def open_tier(configuration: Configuration) -> Tier:
    tier = configuration.policies.tiers["open"]
    assert tier.records_per_day == 5000
    return tier


def _together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same moment."""
    start = threading.Barrier(count)

    def run(i: int) -> Any:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_reservations_never_exceed_the_records_quota(
    quotas: Quotas, open_tier: Tier
) -> None:
    assert quotas.reserve_records("c1", open_tier, 4900) == 4900
    granted = _together(CONCURRENT, lambda _: quotas.reserve_records("c1", open_tier, 100))
    assert sum(granted) == 100 and sorted(granted)[-1] == 100
    assert quotas.state("c1", open_tier).records_remaining == 0
    assert quotas.reserve_records("c1", open_tier, 1) == 0


def test_a_reservation_is_capped_to_what_remains_and_the_rest_is_given_back(
    quotas: Quotas, open_tier: Tier
) -> None:
    assert quotas.reserve_records("c2", open_tier, 4950) == 4950
    assert quotas.reserve_records("c2", open_tier, 100) == 50
    assert quotas.state("c2", open_tier).records_remaining == 0
    quotas.release_records("c2", open_tier, 30)
    assert quotas.state("c2", open_tier).records_remaining == 30
    # Giving back more than was counted never leaves the client in credit.
    quotas.release_records("c2", open_tier, 10_000)
    assert quotas.state("c2", open_tier).records_remaining == 5000


@pytest.fixture(params=STORES)
def replicas(
    request: pytest.FixtureRequest,
    settings_overrides: dict[str, Any],
    configuration: Configuration,
) -> Iterator[tuple[Flask, ...]]:
    """memory: one gateway process; redis: two replicas on one database and one Redis."""
    overrides = dict(settings_overrides)
    if request.param == "redis":
        overrides["redis_url"] = _flushed(request.getfixturevalue("redis_url"))
    settings = load_settings(overrides, environ={})
    settings.instance_path.mkdir(parents=True)
    upgrade(settings.sqlalchemy_url)
    count = 2 if request.param == "redis" else 1
    apps = tuple(create_app(settings, configuration=configuration) for _ in range(count))
    yield apps
    for app in apps:
        app.extensions["jjj-gateway"].close()


def test_concurrent_pages_never_deliver_beyond_the_records_quota(
    replicas: tuple[Flask, ...], open_tier: Tier
) -> None:
    services = replicas[0].extensions["jjj-gateway"]
    client, secret = services.clients.create(
        name="quota test", region="110000", tier="open", scopes=["data:read"]
    )
    assert secret is not None
    issued = (
        replicas[0]
        .test_client()
        .post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(client.client_id, secret),
        )
    )
    headers = bearer(issued.get_json()["access_token"], "statistics")
    # 4,900 of the day's 5,000 records are already used.
    assert services.quotas.reserve_records(client.client_id, open_tier, 4900) == 4900

    def page(i: int) -> tuple[int, int]:
        response = (
            replicas[i % len(replicas)]
            .test_client()
            .post(f"{ME}/query", json={"limit": 100, "fields": ["creditCode"]}, headers=headers)
        )
        body = response.get_json()
        return response.status_code, len(body["data"]) if response.status_code == 200 else 0

    answers = _together(CONCURRENT, page)
    delivered = sum(count for _, count in answers)
    assert {status for status, _ in answers} <= {200, 429}
    assert 0 < delivered <= 100, answers
    # What the pages reserved and did not carry was given back: the counter holds what left.
    left = services.quotas.state(client.client_id, open_tier).records_remaining
    assert left == 100 - delivered
