"""Client authentication at /oauth/token, /oauth/introspect and /oauth/revoke: the answer and
the work done do not tell which client ids exist."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey

import gateway.identity.clients
from gateway import create_app
from gateway.audit.actions import Actor
from gateway.core.settings import load_settings
from gateway.identity.oauth.backoff import AuthenticationBackoff, BackoffPolicy
from gateway.services import Configuration
from gateway.storage import upgrade

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
    real = gateway.identity.clients._argon2_verify

    def counting(hashed: str, secret: str) -> bool:
        seen.append(hashed)
        return real(hashed, secret)

    monkeypatch.setattr(gateway.identity.clients, "_argon2_verify", counting)
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


# -- back-off after failed authentication -------------------------------------------------------


def _post(client: FlaskClient, endpoint: str, client_id: str, secret: str, address: str) -> Any:
    return client.post(
        endpoint,
        data=ENDPOINTS[endpoint],
        headers=basic(client_id, secret),
        environ_base={"REMOTE_ADDR": address},
    )


def _small_budgets(app: Flask, **budgets: int) -> None:
    server = app.extensions["jjj-gateway-oauth"]
    policy = BackoffPolicy(**({"pair_free": 2, "address_free": 4, "client_free": 3} | budgets))
    server.backoff = AuthenticationBackoff(app.extensions["jjj-gateway"].redis, policy)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_repeated_failures_wait_with_retry_after_before_any_secret_is_checked(
    app: Flask,
    client: FlaskClient,
    register: Callable[..., tuple[str, str]],
    argon2_checks: list[str],
    endpoint: str,
) -> None:
    known, _ = register("partner")
    statuses = [_post(client, endpoint, known, "wrong", "192.0.2.1").status_code for _ in range(6)]
    assert statuses == [401] * 6  # five free failures, then the sixth starts the back-off
    argon2_checks.clear()
    refused = _post(client, endpoint, known, "wrong", "192.0.2.1")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "temporarily_unavailable"
    assert int(refused.headers["Retry-After"]) >= 1
    assert argon2_checks == []  # a caller that must wait costs no argon2 check


def test_the_wait_doubles_with_each_further_failure() -> None:
    policy = BackoffPolicy(pair_free=5, base=1.0, ceiling=300.0)
    assert [policy.wait(n, 5) for n in range(4, 10)] == [0, 0, 1, 2, 4, 8]
    assert policy.wait(100, 5) == 300


def test_an_unknown_id_backs_off_like_a_known_one(
    client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    known, _ = register("partner")
    answers = {}
    for client_id, address in ((known, "192.0.2.1"), ("jjj-nobody-registered-this", "192.0.2.2")):
        answers[client_id] = [
            _post(client, "/oauth/token", client_id, "wrong", address).status_code for _ in range(8)
        ]
    assert answers[known] == answers["jjj-nobody-registered-this"]


def test_one_address_spraying_many_client_ids_must_wait(app: Flask, client: FlaskClient) -> None:
    _small_budgets(app)
    statuses = [
        _post(client, "/oauth/token", f"jjj-guess-{n}", "wrong", "192.0.2.9").status_code
        for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]  # four free failures per address, then the back-off


def test_a_correct_secret_from_an_address_that_never_failed_is_not_blocked(
    app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    _small_budgets(app)
    victim, secret = register("partner")
    # Failures of the victim's id from many addresses use up the per-client budget …
    for n in range(10):
        while _post(client, "/oauth/token", victim, "wrong", f"198.51.100.{n}").status_code == 401:
            pass
    # … which makes a failing address wait at once, but never the victim's own addresses.
    assert _post(client, "/oauth/token", victim, secret, "203.0.113.7").status_code == 200


def test_once_the_per_client_budget_is_used_a_failing_pair_waits_at_its_first_failure(
    app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    _small_budgets(app)
    victim, _ = register("partner")
    for n in range(4):
        _post(client, "/oauth/token", victim, "wrong", f"198.51.100.{n}")
    fresh = [_post(client, "/oauth/token", victim, "wrong", "198.51.100.99").status_code]
    fresh.append(_post(client, "/oauth/token", victim, "wrong", "198.51.100.99").status_code)
    assert fresh == [401, 429]


def test_a_client_that_authenticated_from_an_address_keeps_working_when_that_address_sprays(
    app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    _small_budgets(app)
    real, secret = register("partner")
    shared = "192.0.2.50"  # e.g. one NAT in front of the real client and of an attacker
    assert _post(client, "/oauth/token", real, secret, shared).status_code == 200
    statuses = [
        _post(client, "/oauth/token", f"jjj-guess-{n}", "wrong", shared).status_code
        for n in range(8)
    ]
    assert statuses[-1] == 429
    assert _post(client, "/oauth/token", real, secret, shared).status_code == 200


def test_a_success_forgets_the_failures_of_its_address(
    app: Flask, client: FlaskClient, register: Callable[..., tuple[str, str]]
) -> None:
    _small_budgets(app, pair_free=2, address_free=100)
    real, secret = register("partner")
    for _ in range(2):
        assert _post(client, "/oauth/token", real, "typo", "192.0.2.60").status_code == 401
    assert _post(client, "/oauth/token", real, secret, "192.0.2.60").status_code == 200
    for _ in range(2):  # two free failures again, not a wait
        assert _post(client, "/oauth/token", real, "typo", "192.0.2.60").status_code == 401


def test_the_wait_ends_when_its_time_has_passed() -> None:
    now = [1000.0]
    backoff = AuthenticationBackoff(policy=BackoffPolicy(pair_free=1), clock=lambda: now[0])
    backoff.failed("jjj-c", "192.0.2.1")
    backoff.failed("jjj-c", "192.0.2.1")
    assert backoff.retry_after("jjj-c", "192.0.2.1") == 1
    now[0] += 1.0
    assert backoff.retry_after("jjj-c", "192.0.2.1") == 0


@contextmanager
def _app_with(
    overrides: dict[str, Any], configuration: Configuration, **settings: Any
) -> Iterator[Flask]:
    loaded = load_settings(overrides | settings, environ={})
    loaded.instance_path.mkdir(parents=True)
    upgrade(loaded.sqlalchemy_url)
    app = create_app(loaded, configuration=configuration)
    try:
        _small_budgets(app)
        yield app
    finally:
        app.extensions["jjj-gateway"].close()


def test_behind_trusted_proxies_callers_are_told_apart_by_x_forwarded_for(
    settings_overrides: dict[str, Any], configuration: Configuration
) -> None:
    with _app_with(settings_overrides, configuration, trusted_proxies=1) as app:
        client = app.test_client()

        def attempt(forwarded: str) -> int:
            return client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                headers=basic("jjj-guess", "wrong") | {"X-Forwarded-For": forwarded},
                environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the ingress controller
            ).status_code

        # The caller writes what it likes on the left; the proxy appends what it saw.
        statuses = [attempt(f"203.0.113.{n}, 192.0.2.70") for n in range(8)]
        assert statuses[-1] == 429
        assert attempt("192.0.2.71") == 401  # another caller behind the same proxy


def test_with_redis_failures_on_one_replica_make_the_caller_wait_on_every_replica(
    two_replicas: tuple[Flask, Flask],
) -> None:
    for app in two_replicas:
        _small_budgets(app)
    one, two = (app.test_client() for app in two_replicas)
    for _ in range(3):
        assert _post(one, "/oauth/token", "jjj-guess", "wrong", "192.0.2.80").status_code == 401
    assert _post(two, "/oauth/token", "jjj-guess", "wrong", "192.0.2.80").status_code == 429


def test_with_redis_down_failures_are_counted_in_memory(
    settings_overrides: dict[str, Any], configuration: Configuration
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens there once the socket is closed
    redis_url = f"redis://127.0.0.1:{closed}/0"
    with _app_with(settings_overrides, configuration, redis_url=redis_url) as app:
        client = app.test_client()
        statuses = [
            _post(client, "/oauth/token", "jjj-guess", "wrong", "192.0.2.90").status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
