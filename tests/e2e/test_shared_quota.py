"""With Redis, gateway processes count one quota per client: the 61st request in a minute of a
60-per-minute client is refused whichever process receives it."""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx
import pytest
import redis

from .instances import prepare_instance
from .processes import client_token, free_port, gateway_server

pytestmark = pytest.mark.slow


def test_two_processes_share_one_quota_through_redis(tmp_path: Path, redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as store:
        store.flushdb()
    env, client_id, secret = prepare_instance(tmp_path, tier="open", redis_url=redis_url)
    ports = [free_port(), free_port()]
    processes = [
        gateway_server(f"gateway-{port}", port, env, tmp_path, threads=4, migrate=True)
        for port in ports
    ]
    try:
        for process in processes:
            process.start()
        token = client_token(f"http://127.0.0.1:{ports[0]}", client_id, secret)
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": "statistics"}
        statuses = []
        with httpx.Client(timeout=10) as http:
            for _, port in zip(range(70), itertools.cycle(ports), strict=False):
                answer = http.get(
                    f"http://127.0.0.1:{port}/v1/datasets/patent-grants/records?limit=1",
                    headers=headers,
                )
                statuses.append(answer.status_code)
                if answer.status_code == 429:
                    assert int(answer.headers["Retry-After"]) >= 1
                    assert answer.json()["ruleId"] == "quota-requests"
        assert statuses.count(200) == 60, statuses
        assert statuses[60:] == [429] * 10
    finally:
        for process in processes:
            process.stop()
