"""What the token endpoint refuses before it issues anything: a body that is not form-encoded
(RFC 6749 §4.4.2) and a client_id that names another client than the assertion (RFC 7521 §4.2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import ECKey

from .conftest import basic
from .test_oauth import _assert_form, _assert_invalid_client, _assertion, _jwt_client

pytestmark = pytest.mark.both_backends

# The public address (TLS at the ingress) and the name the ingress reaches the gateway by.
PUBLIC, INTERNAL = "https://gateway.example", "http://jjj-gateway.jjj-gateway.svc:8080"


@pytest.fixture
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)


def test_a_json_token_request_is_an_invalid_request(
    client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    me = register("partner")
    response = client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, headers=basic(*me)
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request"
    assert "x-www-form-urlencoded" in body["error_description"]


@pytest.mark.parametrize("endpoint", ["/oauth/introspect", "/oauth/revoke"])
def test_a_json_body_at_the_other_oauth_endpoints_is_an_invalid_request(
    client: FlaskClient, endpoint: str
) -> None:
    response = client.post(endpoint, json={"token": "x"})
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_a_client_id_that_disagrees_with_the_assertion_subject_is_an_invalid_client(
    app: Flask, client: FlaskClient, ec_key: ECKey
) -> None:
    signer = _jwt_client(app, ec_key)
    other = _jwt_client(app, ec_key)
    form = _assert_form(_assertion(signer, ec_key)) | {"client_id": other}
    response = client.post("/oauth/token", data=form)
    _assert_invalid_client(response)
    assert "client_id" in response.get_json()["error_description"]


def test_a_client_id_that_names_the_assertion_subject_is_accepted(
    app: Flask, client: FlaskClient, ec_key: ECKey
) -> None:
    signer = _jwt_client(app, ec_key)
    form = _assert_form(_assertion(signer, ec_key)) | {"client_id": signer}
    assert client.post("/oauth/token", data=form).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"issuer": PUBLIC}], indirect=True)
def test_behind_a_tls_ingress_a_token_is_issued_whatever_host_the_last_hop_names(
    app: Flask, register: Callable[..., tuple[str, str]]
) -> None:
    # TLS ends at the ingress: the gateway is reached over plain HTTP under an internal name.
    hop = app.test_client()
    me = register("partner")
    form = {"grant_type": "client_credentials"}
    issued = hop.post("/oauth/token", data=form, headers=basic(*me), base_url=INTERNAL)
    assert issued.status_code == 200, issued.get_json()
    token = issued.get_json()["access_token"]
    introspected = hop.post(
        "/oauth/introspect", data={"token": token}, headers=basic(*me), base_url=INTERNAL
    )
    assert introspected.status_code == 200 and introspected.get_json()["active"] is True


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_plain_http_to_a_public_address_is_an_invalid_request_never_a_500(
    client: FlaskClient, register: Callable[..., tuple[str, str]], endpoint: str
) -> None:
    # RFC 6749 §3.2: the endpoints need TLS; the gateway's address here is plain http.
    me = register("partner")
    response = client.post(
        endpoint,
        data={"grant_type": "client_credentials", "token": "x"},
        headers=basic(*me),
        base_url="http://gateway.test",
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_request" and "TLS" in body["error_description"]
