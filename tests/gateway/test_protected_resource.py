"""RFC 9728 protected resource metadata of the data API, and the 401 challenges that name it."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .conftest import bearer

pytestmark = pytest.mark.both_backends

ME = "/v1/datasets/market-entity-registration/records?limit=1"
# RFC 9728 §3.1: the well-known path goes between the host and the resource's path (/v1).
METADATA_URL = "http://gateway.test/.well-known/oauth-protected-resource/v1"


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-protected-resource/v1", "/.well-known/oauth-protected-resource"]
)
def test_protected_resource_metadata_names_the_resource_its_servers_and_scopes(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    meta = response.get_json()
    # RFC 9728 §3.3: resource is the identifier the metadata URL was made from (tokens' aud).
    assert meta["resource"] == "http://gateway.test/v1"
    assert meta["authorization_servers"] == ["http://gateway.test"]
    assert meta["jwks_uri"] == "http://gateway.test/oauth/jwks"
    assert meta["bearer_methods_supported"] == ["header"]
    assert set(meta["scopes_supported"]) == {"data:read", "catalog:read", "audit:read", "admin"}
    assert meta["resource_documentation"] == "http://gateway.test/docs"


def test_metadata_of_a_resource_the_gateway_is_not_is_not_found(client: FlaskClient) -> None:
    response = client.get("/.well-known/oauth-protected-resource/elsewhere")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("headers", "error"),
    [({}, None), (bearer("not.a.token"), "invalid_token"), ({"Authorization": "Basic x"}, None)],
)
def test_a_401_challenge_names_the_resource_metadata(
    client: FlaskClient, headers: dict[str, str], error: str | None
) -> None:
    response = client.get(ME, headers=headers)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{METADATA_URL}"' in challenge
    if error:
        assert f'error="{error}"' in challenge
