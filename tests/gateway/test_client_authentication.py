"""Client authentication at /oauth/token, /oauth/introspect and /oauth/revoke: the answer and
the work done do not tell which client ids exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey

import gateway.clients
from gateway.admin import Actor

from .conftest import basic
from .test_oauth import _assert_form, _assertion, _jwt_client

pytestmark = pytest.mark.both_backends

ENDPOINTS = {
    "/oauth/token": {"grant_type": "client_credentials"},
    "/oauth/introspect": {"token": "x"},
    "/oauth/revoke": {"token": "x"},
}


@pytest.fixture
def argon2_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes every argon2 verification ran against, in order."""
    seen: list[str] = []
    real = gateway.clients._argon2_verify

    def counting(hashed: str, secret: str) -> bool:
        seen.append(hashed)
        return real(hashed, secret)

    monkeypatch.setattr(gateway.clients, "_argon2_verify", counting)
    return seen


def _answer(response: Any) -> tuple[int, Any, str | None]:
    return response.status_code, response.get_json(), response.headers.get("WWW-Authenticate")


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_an_unknown_client_id_is_answered_like_a_wrong_secret_after_the_same_work(
    app: Flask,
    client: FlaskClient,
    register: Callable[..., tuple[str, str]],
    argon2_checks: list[str],
    endpoint: str,
) -> None:
    known, _ = register("partner")
    disabled, disabled_secret = register("partner")
    app.extensions["jjj-gateway"].admin.set_status(Actor("cli:test"), disabled, "disabled")
    form = ENDPOINTS[endpoint]
    answers = []
    for client_id, secret in (
        (known, "wrong-secret"),
        ("jjj-nobody-registered-this", "wrong-secret"),
        (disabled, disabled_secret),
        ("\x00bad id", "wrong-secret"),
    ):
        argon2_checks.clear()
        answers.append(_answer(client.post(endpoint, data=form, headers=basic(client_id, secret))))
        assert len(argon2_checks) == 1, client_id  # one argon2 check, whoever is asking
    assert answers[0][0] == 401
    assert answers[0][1]["error"] == "invalid_client"
    assert all(answer == answers[0] for answer in answers), answers


def test_client_secret_post_with_an_unknown_id_is_answered_like_a_wrong_secret(
    client: FlaskClient, register: Callable[..., tuple[str, str]], argon2_checks: list[str]
) -> None:
    known, _ = register("open", auth_method="client_secret_post")
    answers = []
    for client_id in (known, "jjj-nobody-registered-this"):
        argon2_checks.clear()
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": "no"}
        answers.append(_answer(client.post("/oauth/token", data=form)))
        assert len(argon2_checks) == 1
    assert answers[0] == answers[1]
    assert answers[0][1]["error"] == "invalid_client"


@pytest.mark.parametrize("kid", ["k1", "a-kid-nobody-registered"])
def test_private_key_jwt_with_an_unknown_sub_is_answered_like_a_wrong_key_after_the_same_work(
    app: Flask,
    client: FlaskClient,
    register: Callable[..., tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    kid: str,
) -> None:
    registered = _jwt_client(app, ECKey.generate_key("P-256", parameters={"kid": "k1"}))
    secret_client, _ = register("partner")
    signature_checks: list[str] = []
    real_decode = jwt.decode

    def counting(value: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
        signature_checks.append(type(key).__name__)
        return real_decode(value, key, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    attacker = ECKey.generate_key("P-256", private=True)
    answers = []
    for sub in (registered, "jjj-nobody-registered-this", secret_client):
        signature_checks.clear()
        form = _assert_form(_assertion(sub, attacker, kid=kid))
        answers.append(_answer(client.post("/oauth/token", data=form)))
        assert len(signature_checks) == 1, sub  # a signature check ran, whoever is named
    assert answers[0][1]["error"] == "invalid_client"
    assert all(answer == answers[0] for answer in answers), answers
