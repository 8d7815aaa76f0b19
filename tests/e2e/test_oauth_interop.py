"""Standard OAuth clients against the running gateway: discovery, each client authentication
method, a data call, the token verified with joserfc against the JWKS fetched over HTTP; and
federation with another region's authorisation server trusted by JWKS URL."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import pytest
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from oauthlib.oauth2 import BackendApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from gateway.identity.clients import ClientStore
from gateway.storage import create_db_engine

from .conftest import Deployment

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib insists on https; these tests talk to the gateway on loopback only.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


RECORDS = "/v1/datasets/market-entity-registration/records?limit=2"


def _register(deployment: Deployment, **kwargs: Any) -> tuple[str, str | None]:
    engine = create_db_engine(f"sqlite:///{deployment.instance / 'gateway.sqlite3'}")
    try:
        client, secret = ClientStore(engine).create(
            name="interop",
            region="120000",
            tier="partner",
            scopes=["data:read", "catalog:read"],
            **kwargs,
        )
    finally:
        engine.dispose()
    return client.client_id, secret


def _discover(deployment: Deployment) -> dict[str, Any]:
    response = httpx.get(f"{deployment.base_url}/.well-known/oauth-authorization-server")
    response.raise_for_status()
    return dict(response.json())


def _check_token_and_call(deployment: Deployment, metadata: dict[str, Any], token: str) -> None:
    jwks = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).json())
    decoded = jwt.decode(token, jwks, algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt"
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": f"{deployment.base_url}/v1"},
        exp={"essential": True},
    )
    registry.validate(decoded.claims)
    answer = httpx.get(
        deployment.base_url + RECORDS,
        headers={"Authorization": f"Bearer {token}", "X-Purpose": "statistics"},
    )
    assert answer.status_code == 200 and len(answer.json()["data"]) == 2


def test_client_secret_basic_with_requests_oauthlib(deployment: Deployment) -> None:
    metadata = _discover(deployment)
    client_id, secret = _register(deployment)
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    assert secret is not None
    token = session.fetch_token(metadata["token_endpoint"], auth=HTTPBasicAuth(client_id, secret))
    assert token["token_type"] == "Bearer" and token["expires_in"] == 600
    _check_token_and_call(deployment, metadata, token["access_token"])


def test_client_secret_post_with_requests_oauthlib(deployment: Deployment) -> None:
    metadata = _discover(deployment)
    client_id, secret = _register(deployment, auth_method="client_secret_post")
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    token = session.fetch_token(
        metadata["token_endpoint"],
        client_id=client_id,
        client_secret=secret,
        include_client_id=True,
    )
    _check_token_and_call(deployment, metadata, token["access_token"])


def _jwt_client(metadata: dict[str, Any], client_id: str, key: ECKey) -> AuthlibSession:
    client = AuthlibSession(client_id, key, token_endpoint_auth_method="private_key_jwt")
    # The gateway accepts assertions that live at most five minutes (Authlib's default is an
    # hour), so the client states its expiry; a fresh claims object per client keeps jti unique.
    client.register_client_auth_method(
        PrivateKeyJWT(
            metadata["token_endpoint"],
            alg="ES256",
            headers={"kid": key.kid},
            claims={"exp": int(time.time()) + 120},
        )
    )
    return client


def test_private_key_jwt_with_authlib_and_an_inline_jwks(deployment: Deployment) -> None:
    metadata = _discover(deployment)
    key = ECKey.generate_key("P-256", parameters={"kid": "partner-1"}, private=True)
    client_id, _ = _register(
        deployment, auth_method="private_key_jwt", jwks={"keys": [key.as_dict(private=False)]}
    )
    with _jwt_client(metadata, client_id, key) as client:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    _check_token_and_call(deployment, metadata, token["access_token"])


def test_private_key_jwt_with_keys_published_by_url_survives_the_clients_rotation(
    deployment: Deployment,
) -> None:
    metadata = _discover(deployment)
    path = f"/partners/{secrets.token_hex(4)}/jwks.json"
    first = ECKey.generate_key("P-256", parameters={"kid": "p-1"}, private=True)
    deployment.key_server.documents[path] = {"keys": [first.as_dict(private=False)]}
    client_id, _ = _register(
        deployment, auth_method="private_key_jwt", jwks_uri=deployment.key_server.url + path
    )
    with _jwt_client(metadata, client_id, first) as client:
        client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    second = ECKey.generate_key("P-256", parameters={"kid": "p-2"}, private=True)
    deployment.key_server.documents[path] = {
        "keys": [first.as_dict(private=False), second.as_dict(private=False)]
    }
    with _jwt_client(metadata, client_id, second) as client:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    _check_token_and_call(deployment, metadata, token["access_token"])


def test_a_trusted_regional_issuers_token_is_accepted_with_its_mapped_tier(
    deployment: Deployment,
) -> None:
    issuer = deployment.issuer
    headers = {"X-Purpose": "credit-check"}
    response = httpx.get(
        f"{deployment.base_url}/v1/datasets/tax-credit-rating/records?limit=1",
        headers=headers | {"Authorization": f"Bearer {issuer.token()}"},
    )
    assert response.status_code == 200, response.text  # level 2: the mapped partner tier
    denied = httpx.get(
        f"{deployment.base_url}/v1/datasets/real-estate-registration/records",
        headers=headers | {"Authorization": f"Bearer {issuer.token()}"},
    )
    assert denied.status_code == 403 and denied.json()["ruleId"] == "level-exceeds-tier"

    # The issuer rotates its key: the next token names a key the gateway has not seen, and the
    # gateway fetches the issuer's JWKS again rather than locking its clients out.
    issuer.rotate()
    after = httpx.get(
        f"{deployment.base_url}/v1/datasets/tax-credit-rating/records?limit=1",
        headers=headers | {"Authorization": f"Bearer {issuer.token()}"},
    )
    assert after.status_code == 200, after.text

    # Made-up key ids do not make the gateway fetch again within the minute.
    fetched = deployment.key_server.fetches[issuer.path]
    forged_key = ECKey.generate_key("P-256", parameters={"kid": "made-up"}, private=True)
    forged = jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": "made-up"},
        {
            "iss": issuer.issuer,
            "aud": issuer.audience,
            "client_id": "x",
            "jti": "f",
            "iat": 1,
            "exp": 2**31,
        },
        forged_key,
    )
    for _ in range(3):
        refused = httpx.get(
            deployment.base_url + RECORDS, headers=headers | {"Authorization": f"Bearer {forged}"}
        )
        assert refused.status_code == 401
    assert deployment.key_server.fetches[issuer.path] == fetched
