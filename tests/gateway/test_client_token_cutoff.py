"""A client's token cut-off: disabling refuses its tokens for good (enabling does not revive
them), and a rotation of its secret or keys can refuse the tokens issued before it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select

from gateway import create_app
from gateway.audit.actions import Actor
from gateway.cli.main import main
from gateway.storage.tables import audit_records

from .conftest import basic
from .test_oauth import _assert_form, _assertion, _data, _issue, _jwt_client

pytestmark = pytest.mark.both_backends

OPERATOR = Actor("cli:test")


def _active(client: FlaskClient, token: str, me: tuple[str, str]) -> bool:
    answer = client.post("/oauth/introspect", data={"token": token}, headers=basic(*me))
    return bool(answer.get_json()["active"])


@pytest.fixture
def partner(register: Callable[..., tuple[str, str]]) -> tuple[str, str]:
    return register("partner")


def test_enabling_a_disabled_client_does_not_revive_the_tokens_issued_before(
    app: Flask, client: FlaskClient, partner: tuple[str, str]
) -> None:
    admin = app.extensions["jjj-gateway"].admin
    old = _issue(client, partner)
    assert _data(client, old) == 200
    admin.set_status(OPERATOR, partner[0], "disabled")
    assert _data(client, old) == 401
    admin.set_status(OPERATOR, partner[0], "active")
    assert _data(client, old) == 401
    assert not _active(client, old, partner)
    new = _issue(client, partner)  # issued in the same second as the change, very likely
    assert _data(client, new) == 200
    assert _active(client, new, partner)


def test_the_cut_off_holds_on_another_replica_through_the_database(
    app: Flask, client: FlaskClient, partner: tuple[str, str]
) -> None:
    old = _issue(client, partner)
    admin = app.extensions["jjj-gateway"].admin
    admin.set_status(OPERATOR, partner[0], "disabled")
    admin.set_status(OPERATOR, partner[0], "active")
    settings = app.extensions["jjj-gateway"].settings
    other = create_app(settings, configuration=app.extensions["jjj-gateway"].config)
    try:
        assert _data(other.test_client(), old) == 401
    finally:
        other.extensions["jjj-gateway"].close()


def _admin_headers(token_for: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('open', scopes=['admin'])}"}


def test_a_secret_rotation_with_revoke_tokens_refuses_the_tokens_issued_before(
    app: Flask, client: FlaskClient, partner: tuple[str, str], token_for: Callable[..., str]
) -> None:
    old = _issue(client, partner)
    answer = client.post(
        f"/v1/admin/clients/{partner[0]}/secret",
        headers=_admin_headers(token_for),
        json={"revokeTokens": True},
    )
    assert answer.status_code == 200, answer.get_json()
    rotated = answer.get_json()["data"]
    assert rotated["tokensValidAfter"] is not None
    assert _data(client, old) == 401
    new = _issue(client, (partner[0], rotated["clientSecret"]))
    assert _data(client, new) == 200
    with app.extensions["jjj-gateway"].engine.connect() as conn:
        bodies = conn.execute(select(audit_records.c.body)).scalars().all()
    assert any('"revokeTokens":true' in body for body in bodies)


def test_a_secret_rotation_without_revoke_tokens_lets_the_tokens_live_out_their_lifetime(
    client: FlaskClient, partner: tuple[str, str], token_for: Callable[..., str]
) -> None:
    old = _issue(client, partner)
    answer = client.post(
        f"/v1/admin/clients/{partner[0]}/secret", headers=_admin_headers(token_for)
    )
    assert answer.status_code == 200
    assert _data(client, old) == 200


@pytest.mark.parametrize("body", [{"revokeTokens": "yes"}, {"revoke": True}])
def test_a_secret_rotation_body_is_checked(
    client: FlaskClient, partner: tuple[str, str], token_for: Callable[..., str], body: Any
) -> None:
    answer = client.post(
        f"/v1/admin/clients/{partner[0]}/secret", headers=_admin_headers(token_for), json=body
    )
    assert answer.status_code == 400
    assert answer.get_json()["type"].endswith("/validation-failed")


def test_a_key_rotation_with_revoke_tokens_refuses_the_tokens_issued_before(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    client_id = _jwt_client(app, key)
    answer = client.post("/oauth/token", data=_assert_form(_assertion(client_id, key)))
    old = answer.get_json()["access_token"]
    assert _data(client, old) == 200
    answer = client.put(
        f"/v1/admin/clients/{client_id}/jwks",
        headers=_admin_headers(token_for),
        json={"jwks": {"keys": [key.as_dict(private=False)]}, "revokeTokens": True},
    )
    assert answer.status_code == 200, answer.get_json()
    assert _data(client, old) == 401


@pytest.fixture
def cli(app: Flask) -> Iterator[Callable[..., Any]]:
    settings = app.extensions["jjj-gateway"].settings
    env = {"GATEWAY_DATABASE_URL": settings.database_url} if settings.database_url else {}

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["--instance", str(settings.instance_path), *args], env=env)

    yield run


def test_clients_rotate_secret_revoke_tokens_refuses_the_tokens_issued_before(
    client: FlaskClient, partner: tuple[str, str], cli: Callable[..., Any]
) -> None:
    old = _issue(client, partner)
    result = cli("clients", "rotate-secret", "--revoke-tokens", partner[0])
    assert result.exit_code == 0, result.output
    assert _data(client, old) == 401  # read from the database


def test_a_token_issued_in_the_second_of_a_cut_off_says_the_next_second(app: Flask) -> None:
    issuer = app.extensions["jjj-gateway"].issuer
    cut_off = time.time() + 0.5
    token, _ = issuer.access_token(
        client_id="jjj-c", scope="", region="110000", tier="open", valid_after=cut_off
    )
    claims = jwt.decode(token, app.extensions["jjj-gateway"].keys.public_key_set()).claims
    assert claims["iat"] == math.ceil(cut_off) and claims["nbf"] <= time.time()
