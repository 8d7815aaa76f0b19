"""The authorisation server: discovery, client authentication, introspection, revocation,
rotation and federation (RFC 8414, 6749, 7523, 7662, 7009, 9068)."""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from gateway import create_app
from gateway.core.settings import load_settings
from gateway.services import Configuration, load_configuration
from gateway.storage import upgrade
from policies.documents import default_directory as policies_directory

from .conftest import basic, bearer

pytestmark = pytest.mark.both_backends

ME = "/v1/datasets/market-entity-registration/records?limit=1"
TOKEN_ENDPOINT = "http://gateway.test/oauth/token"


def _token(client: FlaskClient, **kwargs: Any) -> Any:
    return client.post("/oauth/token", **kwargs)


def _data(client: FlaskClient, token: str) -> int:
    return client.get(ME, headers=bearer(token, "statistics")).status_code


# -- discovery --------------------------------------------------------------------------------


def test_discovery_metadata_lists_endpoints_methods_and_scopes(client: FlaskClient) -> None:
    meta = client.get("/.well-known/oauth-authorization-server").get_json()
    assert meta["issuer"] == "http://gateway.test"
    assert meta["token_endpoint"] == TOKEN_ENDPOINT
    assert meta["jwks_uri"].endswith("/oauth/jwks")
    assert meta["introspection_endpoint"].endswith("/oauth/introspect")
    assert meta["revocation_endpoint"].endswith("/oauth/revoke")
    assert meta["grant_types_supported"] == ["client_credentials"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert "ES256" in meta["token_endpoint_auth_signing_alg_values_supported"]
    assert set(meta["scopes_supported"]) == {"data:read", "catalog:read", "audit:read", "admin"}


# -- client authentication --------------------------------------------------------------------


def test_client_secret_post_authenticates_a_post_client_only(
    app: Flask, client: FlaskClient
) -> None:
    store = app.extensions["jjj-gateway"].clients
    created, secret = store.create(
        name="post",
        region="110000",
        tier="open",
        scopes=["data:read"],
        auth_method="client_secret_post",
    )
    form = {
        "grant_type": "client_credentials",
        "client_id": created.client_id,
        "client_secret": secret,
    }
    assert _token(client, data=form).status_code == 200
    basic_try = _token(
        client, data={"grant_type": "client_credentials"}, headers=basic(created.client_id, secret)
    )
    assert basic_try.status_code == 401  # a client uses the method it registered


def _jwt_client(app: Flask, key: ECKey | RSAKey, **extra: Any) -> str:
    store = app.extensions["jjj-gateway"].clients
    public = key.as_dict(private=False) | {"kid": key.kid or "k1", "use": "sig"}
    created, secret = store.create(
        name="pkj",
        region="120000",
        tier="partner",
        scopes=["data:read"],
        auth_method="private_key_jwt",
        jwks={"keys": [public]},
        **extra,
    )
    assert secret is None
    return created.client_id


def _assertion(
    client_id: str,
    key: Any,
    *,
    alg: str = "ES256",
    aud: str = TOKEN_ENDPOINT,
    lifetime: int = 60,
    jti: str | None = None,
    kid: str = "k1",
) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or secrets.token_hex(8),
    }
    return jwt.encode({"alg": alg, "kid": kid}, claims, key)


def _assert_form(assertion: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }


def _assert_invalid_client(response: Any) -> None:
    # RFC 6749 §5.2: invalid_client is 401 when the client used the Authorization header, and
    # may be 400 when it authenticated in the body (as a client assertion does).
    assert response.status_code in (400, 401), response.get_json()
    assert response.get_json()["error"] == "invalid_client"


@pytest.fixture
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)


def test_private_key_jwt_issues_a_token(app: Flask, client: FlaskClient, ec_key: ECKey) -> None:
    client_id = _jwt_client(app, ec_key)
    response = _token(client, data=_assert_form(_assertion(client_id, ec_key)))
    assert response.status_code == 200, response.get_json()
    assert _data(client, response.get_json()["access_token"]) == 200


def test_private_key_jwt_with_an_rsa_key(app: Flask, client: FlaskClient) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    client_id = _jwt_client(app, key)
    response = _token(client, data=_assert_form(_assertion(client_id, key, alg="RS256")))
    assert response.status_code == 200


def test_replayed_client_assertion_is_rejected(
    app: Flask, client: FlaskClient, ec_key: ECKey
) -> None:
    client_id = _jwt_client(app, ec_key)
    assertion = _assertion(client_id, ec_key)
    assert _token(client, data=_assert_form(assertion)).status_code == 200
    replay = _token(client, data=_assert_form(assertion))
    _assert_invalid_client(replay)


def test_assertion_with_wrong_audience_is_rejected(
    app: Flask, client: FlaskClient, ec_key: ECKey
) -> None:
    client_id = _jwt_client(app, ec_key)
    for aud in ("http://gateway.test", "https://other.example/oauth/token"):
        _assert_invalid_client(
            _token(client, data=_assert_form(_assertion(client_id, ec_key, aud=aud)))
        )


def test_long_lived_assertion_is_rejected(app: Flask, client: FlaskClient, ec_key: ECKey) -> None:
    client_id = _jwt_client(app, ec_key)
    _assert_invalid_client(
        _token(client, data=_assert_form(_assertion(client_id, ec_key, lifetime=3600)))
    )


def test_assertion_signed_by_another_key_is_rejected(
    app: Flask, client: FlaskClient, ec_key: ECKey
) -> None:
    client_id = _jwt_client(app, ec_key)
    other = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    _assert_invalid_client(_token(client, data=_assert_form(_assertion(client_id, other))))


def test_hmac_assertion_is_rejected(app: Flask, client: FlaskClient, ec_key: ECKey) -> None:
    client_id = _jwt_client(app, ec_key)
    secret_key = OctKey.import_key(secrets.token_bytes(32))
    assertion = _assertion(client_id, secret_key, alg="HS256")
    _assert_invalid_client(_token(client, data=_assert_form(assertion)))


def test_a_registered_jwks_must_hold_public_keys_only(app: Flask, ec_key: ECKey) -> None:
    from gateway.audit.actions import Actor
    from gateway.identity.clients import ClientError

    admin = app.extensions["jjj-gateway"].admin
    with pytest.raises(ClientError, match="public keys only"):
        admin.create(
            Actor("t"),
            name="x",
            region="110000",
            tier="open",
            scopes=["data:read"],
            auth_method="private_key_jwt",
            jwks={"keys": [ec_key.as_dict(private=True)]},
        )


# -- introspection and revocation -------------------------------------------------------------


def _introspect(client: FlaskClient, token: str, who: tuple[str, str]) -> dict[str, Any]:
    response = client.post("/oauth/introspect", data={"token": token}, headers=basic(*who))
    assert response.status_code == 200, response.get_json()
    return dict(response.get_json())


def _issue(client: FlaskClient, who: tuple[str, str]) -> str:
    response = _token(client, data={"grant_type": "client_credentials"}, headers=basic(*who))
    return str(response.get_json()["access_token"])


def test_introspection_of_an_own_active_token_returns_its_claims(
    client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    me = register("partner", region="120000")
    answer = _introspect(client, _issue(client, me), me)
    assert answer["active"] is True and answer["client_id"] == me[0]
    assert answer["tier"] == "partner" and answer["region"] == "120000"
    assert answer["token_type"] == "Bearer" and answer["exp"] > time.time()


def test_introspection_is_inactive_for_others_expired_revoked_and_garbage(
    app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    me, other = register("partner"), register("open")
    theirs = _issue(client, other)
    assert _introspect(client, theirs, me) == {"active": False}
    admin = register("open", scopes=["admin"])
    assert _introspect(client, theirs, admin)["active"] is True
    ring = app.extensions["jjj-gateway"].keys
    past = int(time.time()) - 7200
    expired = jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": ring.current_kid()},
        {
            "iss": "http://gateway.test",
            "aud": "http://gateway.test/v1",
            "client_id": me[0],
            "jti": "old",
            "iat": past,
            "exp": past + 600,
        },
        ring.signing_key(),
    )
    assert _introspect(client, expired, me) == {"active": False}
    assert _introspect(client, "garbage", me) == {"active": False}
    mine = _issue(client, me)
    client.post("/oauth/revoke", data={"token": mine}, headers=basic(*me))
    assert _introspect(client, mine, me) == {"active": False}


def test_introspection_needs_client_authentication(client: FlaskClient) -> None:
    response = client.post("/oauth/introspect", data={"token": "x"})
    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_a_revoked_token_is_refused_on_every_request(
    client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    me = register("partner")
    token = _issue(client, me)
    assert _data(client, token) == 200
    response = client.post(
        "/oauth/revoke",
        data={"token": token, "token_type_hint": "access_token"},
        headers=basic(*me),
    )
    assert response.status_code == 200
    refused = client.get(ME, headers=bearer(token, "statistics"))
    assert refused.status_code == 401 and "revoked" in refused.get_json()["detail"]


def test_revoking_garbage_is_not_an_error_and_others_tokens_are_not_revocable(
    client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    me, other = register("partner"), register("open")
    assert (
        client.post("/oauth/revoke", data={"token": "garbage"}, headers=basic(*me)).status_code
        == 200
    )
    theirs = _issue(client, other)
    assert (
        client.post("/oauth/revoke", data={"token": theirs}, headers=basic(*me)).status_code == 400
    )
    assert _data(client, theirs) == 200


def test_revocation_holds_across_processes_through_the_database(
    app: Flask,
    client: FlaskClient,
    register: Callable[..., tuple[str, str]],
    settings_overrides: dict[str, Any],
    configuration: Configuration,
) -> None:
    me = register("partner")
    token = _issue(client, me)
    other = create_app(load_settings(settings_overrides, environ={}), configuration=configuration)
    try:
        assert _data(other.test_client(), token) == 200
        client.post("/oauth/revoke", data={"token": token}, headers=basic(*me))
        time.sleep(1.1)  # the other process re-reads the deny-list at most once a second
        assert _data(other.test_client(), token) == 401
    finally:
        other.extensions["jjj-gateway"].close()


# -- algorithm and key attacks ----------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": "http://gateway.test",
        "aud": "http://gateway.test/v1",
        "sub": "c",
        "client_id": "c",
        "scope": "data:read",
        "tier": "regulator",
        "region": "110000",
        "jti": secrets.token_hex(6),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    } | changes


def test_hs256_signed_with_the_public_key_is_rejected(app: Flask, client: FlaskClient) -> None:
    public = client.get("/oauth/jwks").get_json()["keys"][0]
    confused = OctKey.import_key(json.dumps(public).encode())
    token = jwt.encode({"alg": "HS256", "typ": "at+jwt", "kid": public["kid"]}, _claims(), confused)
    assert _data(client, token) == 401


def test_unknown_kid_is_rejected(app: Flask, client: FlaskClient) -> None:
    key = ECKey.generate_key("P-256", private=True)
    token = jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": "not-a-key-of-ours"}, _claims(), key
    )
    assert _data(client, token) == 401


def test_missing_typ_is_rejected(app: Flask, client: FlaskClient) -> None:
    ring = app.extensions["jjj-gateway"].keys
    token = jwt.encode({"alg": "ES256", "kid": ring.current_kid()}, _claims(), ring.signing_key())
    assert _data(client, token) == 401


def test_a_validly_signed_token_from_an_untrusted_issuer_is_rejected(client: FlaskClient) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "them"}, private=True)
    token = jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": "them"}, _claims(iss="https://rogue.example"), key
    )
    response = client.get(ME, headers=bearer(token, "statistics"))
    assert response.status_code == 401 and "not trusted" in response.get_json()["detail"]


# -- rotation ---------------------------------------------------------------------------------


def test_tokens_signed_before_a_rotation_work_until_expiry_and_new_ones_carry_the_new_kid(
    app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    me = register("partner")
    before = _issue(client, me)
    ring = app.extensions["jjj-gateway"].keys
    old_kid = ring.current_kid()
    new_kid, previous = ring.rotate()
    assert previous == old_kid != new_kid
    assert _data(client, before) == 200
    after = _issue(client, me)
    assert (
        jwt.decode(after, KeySet.import_key_set(client.get("/oauth/jwks").get_json())).header["kid"]
        == new_kid
    )
    assert {k["kid"] for k in client.get("/oauth/jwks").get_json()["keys"]} == {old_kid, new_kid}


# -- federation (inline keys; the URL case runs against a live issuer in tests/e2e) -------------


@pytest.fixture
def tianjin_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "tj-1"}, private=True)


@pytest.fixture
def federated_app(
    tmp_path: Path, settings_overrides: dict[str, Any], tianjin_key: ECKey
) -> Iterator[Flask]:
    policies = tmp_path / "policies"
    shutil.copytree(policies_directory(), policies)
    trust = {
        "issuers": [
            {
                "issuer": "https://auth.tj.example.gov.cn",
                "jwks": {"keys": [tianjin_key.as_dict(private=False)]},
                "audience": "http://gateway.test/v1",
                "organisationClaim": "org_name",
                "regionClaim": "region_code",
                "tierClaim": "org_class",
                "tierMap": {"gov": "government", "ent": "partner"},
                "scopes": ["data:read", "catalog:read"],
            }
        ]
    }
    (policies / "trust.yaml").write_text(json.dumps(trust), "utf-8")
    settings = load_settings(settings_overrides | {"policies_dir": policies}, environ={})
    settings.instance_path.mkdir(parents=True)
    upgrade(settings.sqlalchemy_url)
    app = create_app(settings, configuration=load_configuration(settings))
    yield app
    app.extensions["jjj-gateway"].close()


def _tianjin_token(key: ECKey, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://auth.tj.example.gov.cn",
        "aud": "http://gateway.test/v1",
        "client_id": "tj-credit-01",
        "org_name": "天津某银行",
        "region_code": "120000",
        "org_class": "ent",
        "scope": "data:read admin",
        "jti": secrets.token_hex(6),
        "iat": now,
        "exp": now + 300,
    } | changes
    return jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, claims, key)


def test_a_trusted_issuers_token_is_accepted_with_the_mapped_tier(
    federated_app: Flask, tianjin_key: ECKey
) -> None:
    client = federated_app.test_client()
    response = client.get(
        "/v1/datasets/tax-credit-rating/records?limit=1",
        headers=bearer(_tianjin_token(tianjin_key), "credit-check"),
    )
    assert response.status_code == 200  # level 2: partner tier (org_class ent) may read it
    gov = client.get(
        "/v1/datasets/real-estate-registration/records?limit=1",
        headers=bearer(_tianjin_token(tianjin_key, org_class="ent"), "credit-check"),
    )
    assert gov.get_json()["ruleId"] == "level-exceeds-tier"


def test_a_trusted_issuers_token_never_carries_scopes_it_may_not_grant(
    federated_app: Flask, tianjin_key: ECKey
) -> None:
    services = federated_app.extensions["jjj-gateway"]
    principal = services.verifier.verify(_tianjin_token(tianjin_key))
    assert principal.scopes == frozenset({"data:read"})  # admin is never delegated
    assert principal.client_id == "https://auth.tj.example.gov.cn#tj-credit-01"
    assert principal.tier == "partner" and principal.region == "120000"


def test_a_trusted_issuers_token_for_another_audience_is_rejected(
    federated_app: Flask, tianjin_key: ECKey
) -> None:
    token = _tianjin_token(tianjin_key, aud="https://elsewhere.example")
    assert _data(federated_app.test_client(), token) == 401


def test_introspection_reports_foreign_tokens_inactive(
    federated_app: Flask, tianjin_key: ECKey
) -> None:
    store = federated_app.extensions["jjj-gateway"].clients
    me, secret = store.create(name="x", region="110000", tier="open", scopes=["data:read"])
    response = federated_app.test_client().post(
        "/oauth/introspect",
        data={"token": _tianjin_token(tianjin_key)},
        headers=basic(me.client_id, secret),
    )
    assert response.get_json() == {"active": False}


# -- shared state in Redis --------------------------------------------------------------------


def test_with_redis_a_revocation_holds_on_every_replica_at_once(
    two_replicas: tuple[Flask, Flask],
) -> None:
    one, two = (app.test_client() for app in two_replicas)
    store = two_replicas[0].extensions["jjj-gateway"].clients
    created, secret = store.create(name="r", region="110000", tier="partner", scopes=["data:read"])
    me = (created.client_id, secret)
    token = _issue(one, me)
    assert _data(two, token) == 200  # replica two has read the deny-list just now
    one.post("/oauth/revoke", data={"token": token}, headers=basic(*me))
    assert _data(two, token) == 401  # no wait: replica two reads Redis on every request


def test_with_redis_an_assertion_is_accepted_by_one_replica_only(
    two_replicas: tuple[Flask, Flask], ec_key: ECKey
) -> None:
    client_id = _jwt_client(two_replicas[0], ec_key)
    assertion = _assertion(client_id, ec_key)
    first, second = (app.test_client() for app in two_replicas)
    assert _token(first, data=_assert_form(assertion)).status_code == 200
    _assert_invalid_client(_token(second, data=_assert_form(assertion)))
