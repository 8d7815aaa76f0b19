"""Fixtures for the gateway: an app on a fresh instance folder over the shared demo data."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adapters.nodes import load_nodes
from gateway import create_app
from gateway.core.settings import load_settings
from gateway.demo import GenerationReport, generate
from gateway.services import Configuration, load_configuration
from gateway.storage import upgrade

#: What no answer may show: a stack trace, an SQL fragment or a file path of the gateway.
LEAKS = ("Traceback", "sqlalchemy", "SELECT ", "/work/", "site-packages", '.py"', 'File "')

SCOPES_BY_TIER = {
    "open": ["data:read", "catalog:read"],
    "partner": ["data:read", "catalog:read"],
    "government": ["data:read", "catalog:read"],
    "regulator": ["data:read", "catalog:read", "audit:read"],
}


@pytest.fixture(scope="session")
def configuration() -> Configuration:
    return load_configuration(load_settings({}, environ={}))


@pytest.fixture(scope="session")
def demo_data(
    tmp_path_factory: pytest.TempPathFactory, configuration: Configuration
) -> GenerationReport:
    data_dir = tmp_path_factory.mktemp("demo-data")
    return generate(data_dir, load_nodes(), configuration.catalog, seed=2026)


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests of a module marked ``both_backends`` run once per database: SQLite (the embedded
    default) and PostgreSQL (production), each on a fresh database."""
    if metafunc.definition.get_closest_marker("both_backends") and (
        "database_url" in metafunc.fixturenames
    ):
        metafunc.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (SQLite in the instance folder), or the URL of a fresh PostgreSQL database."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield None
        return
    yield request.getfixturevalue("postgres_database")


def app_settings(instance_path: Path, demo_data: GenerationReport) -> dict[str, Any]:
    """The settings of a test app: its own instance folder over the shared demo data."""
    return {
        "instance_path": instance_path,
        "data_dir": demo_data.data_dir,
        "issuer": "http://gateway.test",
        "warm_start": False,
    }


@pytest.fixture
def settings_overrides(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    demo_data: GenerationReport,
    database_url: str | None,
) -> dict[str, Any]:
    """The test app's settings; a test may add some by indirect parametrisation."""
    overrides = app_settings(tmp_path / "instance", demo_data)
    if database_url is not None:
        overrides["database_url"] = database_url
    return overrides | getattr(request, "param", {})


@contextmanager
def running_app(overrides: dict[str, Any], configuration: Configuration) -> Iterator[Flask]:
    """An app on a fresh instance folder (its database migrated), closed afterwards."""
    settings = load_settings(overrides, environ={})
    settings.instance_path.mkdir(parents=True)
    upgrade(settings.sqlalchemy_url)
    app = create_app(settings, configuration=configuration)
    app.testing = True
    try:
        yield app
    finally:
        app.extensions["jjj-gateway"].close()


@pytest.fixture
def app(settings_overrides: dict[str, Any], configuration: Configuration) -> Iterator[Flask]:
    with running_app(settings_overrides, configuration) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def new_client(
    app: Flask,
    tier: str,
    *,
    scopes: list[str] | None = None,
    region: str = "110000",
    client_id: str | None = None,
    auth_method: str = "client_secret_basic",
) -> tuple[str, str]:
    """Register a client of a tier; returns (client id, secret)."""
    store = app.extensions["jjj-gateway"].clients
    client, secret = store.create(
        name=f"test {tier}",
        region=region,
        tier=tier,
        scopes=scopes or SCOPES_BY_TIER[tier],
        client_id=client_id,
        auth_method=auth_method,
    )
    assert secret is not None
    return client.client_id, secret


@pytest.fixture
def register(app: Flask) -> Callable[..., tuple[str, str]]:
    """Register a client of a tier; returns (client id, secret)."""
    return functools.partial(new_client, app)


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def new_token(app: Flask, tier: str, **kwargs: Any) -> str:
    """An access token for a new client of the tier, fetched from /oauth/token."""
    client_id, secret = new_client(app, tier, **kwargs)
    response = app.test_client().post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(client_id, secret),
    )
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["access_token"])


@pytest.fixture
def token_for(app: Flask) -> Callable[..., str]:
    """An access token for a new client of the tier, fetched from /oauth/token."""
    return functools.partial(new_token, app)


def bearer(token: str, purpose: str | None = "credit-check") -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if purpose:
        headers["X-Purpose"] = purpose
    return headers


@pytest.fixture
def two_replicas(
    settings_overrides: dict[str, Any], configuration: Configuration, redis_url: str
) -> Iterator[tuple[Flask, Flask]]:
    import redis

    with redis.Redis.from_url(redis_url) as flusher:
        flusher.flushdb()
    settings = load_settings(settings_overrides | {"redis_url": redis_url}, environ={})
    settings.instance_path.mkdir(parents=True)
    upgrade(settings.sqlalchemy_url)
    apps = (
        create_app(settings, configuration=configuration),
        create_app(settings, configuration=configuration),
    )
    yield apps
    for app in apps:
        app.extensions["jjj-gateway"].close()
