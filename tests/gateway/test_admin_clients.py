"""Client administration over /v1/admin/clients (scope admin); every change is audited."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import ECKey
from sqlalchemy import select

from gateway.storage.tables import audit_records

from .conftest import basic, bearer

pytestmark = pytest.mark.both_backends


def _admin(token_for: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for('open', scopes=['admin'])}"}


def test_admin_endpoints_need_the_admin_scope(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    assert client.get("/v1/admin/clients").status_code == 401
    response = client.get("/v1/admin/clients", headers=bearer(token_for("regulator")))
    assert response.status_code == 403
    assert 'scope="admin"' in response.headers["WWW-Authenticate"]


def test_create_shows_the_secret_once_and_the_client_can_get_a_token(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    headers = _admin(token_for)
    response = client.post(
        "/v1/admin/clients",
        headers=headers,
        json={
            "name": "天津某银行",
            "region": "120000",
            "tier": "partner",
            "scopes": ["data:read", "catalog:read"],
        },
    )
    assert response.status_code == 201
    created = response.get_json()["data"]
    assert response.headers["Location"] == f"/v1/admin/clients/{created['clientId']}"
    secret = created["clientSecret"]
    shown = client.get(f"/v1/admin/clients/{created['clientId']}", headers=headers).get_json()
    assert "clientSecret" not in shown["data"] and secret not in json.dumps(shown)
    token = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(created["clientId"], secret),
    )
    assert token.status_code == 200
    listing = client.get("/v1/admin/clients?perPage=100", headers=headers).get_json()
    assert created["clientId"] in {c["clientId"] for c in listing["data"]}
    assert listing["meta"]["total"] >= 2


def test_registration_errors_name_each_path(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    response = client.post(
        "/v1/admin/clients",
        headers=_admin(token_for),
        json={"name": "", "region": "110000", "tier": "gold", "scopes": ["root"], "colour": "red"},
    )
    assert response.status_code == 400
    paths = {e["path"] for e in response.get_json()["errors"]}
    assert {"$.name", "$.scopes[0]", "$.colour"} <= paths  # the unknown scope itself
    tier = client.post(
        "/v1/admin/clients",
        headers=_admin(token_for),
        json={"name": "x", "region": "110000", "tier": "gold", "scopes": ["data:read"]},
    )
    assert tier.status_code == 400 and "unknown tier" in tier.get_json()["detail"]


def test_disabling_a_client_rejects_its_live_tokens_at_once(
    client: FlaskClient, token_for: Callable[..., str], register: Callable[..., tuple[str, str]]
) -> None:
    client_id, secret = register("partner")
    token = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).get_json()["access_token"]
    records = "/v1/datasets/market-entity-registration/records?limit=1"
    assert client.get(records, headers=bearer(token, "statistics")).status_code == 200
    headers = _admin(token_for)
    assert (
        client.post(f"/v1/admin/clients/{client_id}/disable", headers=headers).get_json()["data"][
            "status"
        ]
        == "disabled"
    )
    assert client.get(records, headers=bearer(token, "statistics")).status_code == 401
    again = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    )
    assert again.status_code == 401
    client.post(f"/v1/admin/clients/{client_id}/enable", headers=headers)
    # Enabled again, the client gets new tokens; the ones issued before the disable stay dead.
    assert client.get(records, headers=bearer(token, "statistics")).status_code == 401
    fresh = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).get_json()["access_token"]
    assert client.get(records, headers=bearer(fresh, "statistics")).status_code == 200


def test_rotating_a_secret_retires_the_old_one(
    client: FlaskClient, token_for: Callable[..., str], register: Callable[..., tuple[str, str]]
) -> None:
    client_id, old = register("partner")
    new = client.post(
        f"/v1/admin/clients/{client_id}/secret", headers=_admin(token_for)
    ).get_json()["data"]["clientSecret"]
    form = {"grant_type": "client_credentials"}
    assert client.post("/oauth/token", data=form, headers=basic(client_id, old)).status_code == 401
    assert client.post("/oauth/token", data=form, headers=basic(client_id, new)).status_code == 200


def test_setting_a_jwks_switches_the_client_to_private_key_jwt(
    client: FlaskClient, token_for: Callable[..., str], register: Callable[..., tuple[str, str]]
) -> None:
    client_id, _ = register("partner")
    key = ECKey.generate_key("P-256", private=True)
    headers = _admin(token_for)
    bad = client.put(
        f"/v1/admin/clients/{client_id}/jwks",
        headers=headers,
        json={"jwks": {"keys": [key.as_dict(private=True)]}},
    )
    assert bad.status_code == 400
    response = client.put(
        f"/v1/admin/clients/{client_id}/jwks",
        headers=headers,
        json={"jwks": {"keys": [key.as_dict(private=False)]}},
    )
    assert response.status_code == 200
    assert response.get_json()["data"]["authMethod"] == "private_key_jwt"
    assert (
        client.put(
            "/v1/admin/clients/nobody/jwks",
            headers=headers,
            json={"jwksUri": "https://x.example/jwks"},
        ).status_code
        == 404
    )


def test_admin_changes_are_in_the_audit_chain(
    app: Flask,
    client: FlaskClient,
    token_for: Callable[..., str],
    register: Callable[..., tuple[str, str]],
) -> None:
    client_id, _ = register("partner")
    client.post(f"/v1/admin/clients/{client_id}/disable", headers=_admin(token_for))
    with app.extensions["jjj-gateway"].engine.connect() as conn:
        rows = conn.execute(select(audit_records).where(audit_records.c.kind == "admin")).all()
    actions = [json.loads(r.body) for r in rows]
    disable = [a for a in actions if a["action"] == "client.disable"]
    assert disable and disable[0]["target"] == client_id
    assert disable[0]["clientId"] != client_id  # the actor is the administrator
