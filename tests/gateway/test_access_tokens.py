"""Access tokens (RFC 9068) issued at /oauth/token and checked on every data request."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from .conftest import basic, bearer

pytestmark = pytest.mark.both_backends

ME = "/v1/datasets/market-entity-registration/records?limit=1"


def _claims(app: Flask, **changes: Any) -> dict[str, Any]:
    settings = app.extensions["jjj-gateway"].settings
    now = int(time.time())
    claims = {
        "iss": settings.issuer,
        "sub": "c1",
        "aud": settings.resource_id,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": f"j{now}{len(changes)}",
        "client_id": "c1",
        "scope": "data:read",
        "region": "110000",
        "tier": "partner",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(
    app: Flask, claims: dict[str, Any], *, key: ECKey | None = None, typ: str = "at+jwt"
) -> str:
    ring = app.extensions["jjj-gateway"].keys
    key = key or ring.signing_key()
    return jwt.encode({"alg": "ES256", "typ": typ, "kid": ring.current_kid()}, claims, key)


def _status(client: FlaskClient, token: str) -> tuple[int, dict[str, Any], str]:
    response = client.get(ME, headers=bearer(token, "statistics"))
    return response.status_code, response.get_json(), response.headers.get("WWW-Authenticate", "")


def test_token_endpoint_issues_an_rfc9068_jwt(
    app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    client_id, secret = register("partner", region="120000")
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    jwks = client.get("/oauth/jwks").get_json()
    token = jwt.decode(body["access_token"], KeySet.import_key_set(jwks), algorithms=["ES256"])
    assert token.header["typ"] == "at+jwt" and token.header["kid"] in {
        k["kid"] for k in jwks["keys"]
    }
    claims = token.claims
    settings = app.extensions["jjj-gateway"].settings
    assert claims["iss"] == settings.issuer
    assert claims["aud"] == settings.resource_id != client_id
    assert claims["exp"] - claims["iat"] == 600
    assert claims["client_id"] == client_id and claims["tier"] == "partner"
    assert claims["region"] == "120000"
    assert set(claims["scope"].split()) == {"data:read", "catalog:read"}


def test_wrong_secret_and_unknown_client_get_invalid_client(
    client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    client_id, _ = register("partner")
    for cid, secret in ((client_id, "wrong"), ("nobody", "wrong")):
        response = client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(cid, secret)
        )
        assert response.status_code == 401
        assert response.get_json()["error"] == "invalid_client"


def test_a_scope_the_client_was_not_given_is_refused(
    client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    client_id, secret = register("partner")
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        headers=basic(client_id, secret),
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_scope"


def test_a_missing_token_gets_a_bare_challenge(client: FlaskClient) -> None:
    response = client.get(ME, headers={"X-Purpose": "statistics"})
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    # RFC 6750 §3.1: no error code; RFC 9728 §5.1: where the resource's metadata is.
    assert challenge == (
        'Bearer realm="jjj-gateway", '
        'resource_metadata="http://gateway.test/.well-known/oauth-protected-resource/v1"'
    )
    assert response.get_json()["type"] == "/problems/unauthorized"


def test_malformed_tokens_are_rejected(client: FlaskClient) -> None:
    for header in (
        "Bearer",
        "Bearer not-a-jwt",
        "Basic abc",
        "Bearer a.b.c",
        "Bearer " + "x" * 8000,
    ):
        response = client.get(ME, headers={"Authorization": header, "X-Purpose": "statistics"})
        assert response.status_code == 401, header
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_expired_token_is_rejected(app: Flask, client: FlaskClient) -> None:
    past = int(time.time()) - 3600
    status, problem, challenge = _status(
        client, _sign(app, _claims(app, iat=past, nbf=past, exp=past + 600))
    )
    assert status == 401 and 'error="invalid_token"' in challenge
    assert "expired" in problem["detail"]


def test_token_not_yet_valid_is_rejected(app: Flask, client: FlaskClient) -> None:
    future = int(time.time()) + 3600
    assert _status(client, _sign(app, _claims(app, nbf=future)))[0] == 401


def test_wrongly_signed_token_is_rejected(app: Flask, client: FlaskClient) -> None:
    other = ECKey.generate_key("P-256", private=True)
    status, problem, _ = _status(client, _sign(app, _claims(app), key=other))
    assert status == 401 and "signature" in problem["detail"]


def test_wrong_audience_is_rejected(app: Flask, client: FlaskClient) -> None:
    assert _status(client, _sign(app, _claims(app, aud="c1")))[0] == 401


def test_wrong_issuer_is_rejected(app: Flask, client: FlaskClient) -> None:
    assert _status(client, _sign(app, _claims(app, iss="https://elsewhere.example")))[0] == 401


def test_missing_or_wrong_typ_is_rejected(app: Flask, client: FlaskClient) -> None:
    assert _status(client, _sign(app, _claims(app), typ="JWT"))[0] == 401


def test_alg_none_is_rejected(app: Flask, client: FlaskClient) -> None:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    token = f"{b64({'alg': 'none', 'typ': 'at+jwt'})}.{b64(_claims(app))}."
    assert _status(client, token)[0] == 401


def test_tampered_payload_is_rejected(app: Flask, client: FlaskClient) -> None:
    header, payload, signature = _sign(app, _claims(app)).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["tier"] = "regulator"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _status(client, f"{header}.{forged}.{signature}")[0] == 401


def test_a_disabled_client_loses_its_live_tokens(
    app: Flask, client: FlaskClient, token_for: Callable[..., str]
) -> None:
    token = token_for("partner", client_id="soon-disabled")
    assert _status(client, token)[0] == 200
    services = app.extensions["jjj-gateway"]
    services.clients.set_status("soon-disabled", "disabled")
    services.client_status.forget("soon-disabled")
    status, problem, _ = _status(client, token)
    assert status == 401 and "disabled" in problem["detail"]


def test_jwks_publishes_public_keys_only(client: FlaskClient) -> None:
    keys = client.get("/oauth/jwks").get_json()["keys"]
    assert keys and all("d" not in k and k["alg"] == "ES256" and k["kid"] for k in keys)
