"""Redis unreachable: quotas fail closed (503) unless configured to fail open; revocation and
assertion replay fall back to the database; readiness reports it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from gateway import create_app
from gateway.core.settings import load_settings
from gateway.services import Configuration
from gateway.storage import upgrade

from .conftest import basic, bearer

RECORDS = "/v1/datasets/patent-grants/records?limit=1"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.fixture(params=[False, True], ids=["fail-closed", "fail-open"])
def outage_app(
    request: pytest.FixtureRequest, settings_overrides: dict[str, Any], configuration: Configuration
) -> Iterator[Flask]:
    settings = load_settings(
        settings_overrides
        | {
            "redis_url": f"redis://127.0.0.1:{_closed_port()}/0",
            "quota_fail_open": request.param,
        },
        environ={},
    )
    settings.instance_path.mkdir(parents=True)
    upgrade(settings.sqlalchemy_url)
    app = create_app(settings, configuration=configuration)
    yield app
    app.extensions["jjj-gateway"].close()


def _token(app: Flask) -> tuple[str, tuple[str, str]]:
    client, secret = app.extensions["jjj-gateway"].clients.create(
        name="t", region="110000", tier="partner", scopes=["data:read"]
    )
    assert secret
    answer = app.test_client().post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(client.client_id, secret),
    )
    return answer.get_json()["access_token"], (client.client_id, secret)


def test_data_requests_follow_the_configured_quota_behaviour(outage_app: Flask) -> None:
    token, _ = _token(outage_app)
    response = outage_app.test_client().get(RECORDS, headers=bearer(token, "statistics"))
    if outage_app.extensions["jjj-gateway"].settings.quota_fail_open:
        assert response.status_code == 200
    else:
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert response.get_json()["type"] == "/problems/service-unavailable"
        assert "data" not in response.get_json()


def test_revocation_still_holds_through_the_database(outage_app: Flask) -> None:
    client = outage_app.test_client()
    token, who = _token(outage_app)
    assert (
        client.post("/oauth/revoke", data={"token": token}, headers=basic(*who)).status_code == 200
    )
    assert client.get(RECORDS, headers=bearer(token, "statistics")).status_code == 401


def test_readiness_reports_redis(outage_app: Flask) -> None:
    body = outage_app.test_client().get("/readyz").get_json()
    assert body["checks"]["redis"]["status"] == "unavailable"
