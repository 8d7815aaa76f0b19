"""Fetching others' keys (RFC 7523 client JWKS, trusted issuers' JWKS) never stalls the gateway:
a fetch ends by its wall-clock deadline however slowly the other side answers, no lock is held
meanwhile, and a request that needs the keys being fetched waits at most that deadline."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from joserfc.jwk import ECKey

from adapters.jwks import KeysUnavailable
from gateway.identity.oauth.jwks import KeySetDirectory
from tests.drip import DripServer, drip_server

from .conftest import basic
from .test_oauth import _assert_form, _assertion

pytestmark = pytest.mark.both_backends

DEADLINE = 0.5


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return settings_overrides | {"jwks_fetch_timeout": DEADLINE}


@pytest.fixture
def key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)


@pytest.fixture
def dripping_jwks(key: ECKey) -> Iterator[DripServer]:
    """A JWKS URL whose answer's headers come a byte every 50 ms (about six seconds in all)."""
    public = key.as_dict(private=False) | {"kid": "k1", "use": "sig"}
    with drip_server(json.dumps({"keys": [public]}).encode(), path="/jwks.json") as server:
        yield server


def _client_with_jwks_uri(app: Flask, url: str) -> str:
    created, _ = app.extensions["jjj-gateway"].clients.create(
        name="slow keys",
        region="120000",
        tier="partner",
        scopes=["data:read"],
        auth_method="private_key_jwt",
        jwks_uri=url,
    )
    return created.client_id


def _assertion_form(client_id: str, key: ECKey) -> dict[str, str]:
    return _assert_form(_assertion(client_id, key))


def test_a_token_request_gives_up_on_a_dripping_jwks_by_the_fetch_deadline(
    app: Flask, key: ECKey, dripping_jwks: DripServer
) -> None:
    client_id = _client_with_jwks_uri(app, dripping_jwks.url)
    response = app.test_client().post("/oauth/token", data=_assertion_form(client_id, key))
    assert response.status_code in (400, 401)
    assert response.get_json()["error"] == "invalid_client"
    assert not dripping_jwks.finished.is_set()  # given up on while the keys still drip


def test_while_a_jwks_drips_other_requests_are_answered_and_its_waiters_give_up_by_the_deadline(
    app: Flask, key: ECKey, dripping_jwks: DripServer, register: Any
) -> None:
    slow = _client_with_jwks_uri(app, dripping_jwks.url)
    first: list[Any] = []
    fetching = threading.Thread(
        target=lambda: first.append(
            app.test_client().post("/oauth/token", data=_assertion_form(slow, key))
        )
    )
    fetching.start()
    try:
        assert dripping_jwks.dripping.wait(10), "the JWKS was never asked for"
        client = app.test_client()
        # Needs the keys being fetched: waits for that fetch, but no longer than its deadline.
        waiter = client.post("/oauth/token", data=_assertion_form(slow, key))
        assert waiter.get_json()["error"] == "invalid_client"
        assert not dripping_jwks.finished.is_set()
        assert client.get("/healthz").status_code == 200
        other = register("partner")
        token = client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(*other)
        )
        assert token.status_code == 200
    finally:
        fetching.join()
    assert first[0].get_json()["error"] == "invalid_client"
    assert dripping_jwks.requests == 1  # one fetch in flight per URL, however many wait for it


def test_a_trusted_issuers_dripping_jwks_is_given_up_on_by_the_deadline(
    dripping_jwks: DripServer,
) -> None:
    remote = KeySetDirectory(deadline=DEADLINE).get(dripping_jwks.url)
    with pytest.raises(KeysUnavailable):
        remote.keys_for("k1")
    assert not dripping_jwks.finished.is_set()
