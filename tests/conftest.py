"""Fixtures shared by every test package."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# --- services the test machine provides (docs/architecture.md#tests)
# ------------------------------------------- A test that needs a service skips with a reason when
# it is absent, and fails instead when GATEWAY_TEST_REQUIRE_SERVICES=1 (as the CI sets it).

POSTGRES_URL = os.environ.get(
    "GATEWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def service_missing(reason: str) -> None:
    """Skip the test for a missing service, or fail it when services are required."""
    if os.environ.get("GATEWAY_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (GATEWAY_TEST_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The SQLAlchemy URL of the test PostgreSQL, once it answers."""
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        service_missing(f"PostgreSQL is not reachable at {engine.url!r}: {type(exc).__name__}")
    finally:
        engine.dispose()
    return POSTGRES_URL


@contextmanager
def fresh_postgres_database(base_url: str) -> Iterator[str]:
    """The URL of a new database on the test PostgreSQL; dropped afterwards, connections or not."""
    import uuid

    import sqlalchemy as sa

    name = f"jjj_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """A fresh database on the test PostgreSQL, dropped afterwards."""
    with fresh_postgres_database(postgres_url) as url:
        yield url


REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of the test Redis (database 15, flushed by the tests that use it)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_missing(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}")
    finally:
        client.close()
    return REDIS_URL


# --- every log of the run is kept, then scanned for leaks (tests/test_log_leaks.py) ---------

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LOG_DIR = ARTIFACTS / "logs"


@pytest.fixture(scope="session", autouse=True)
def _keep_logs() -> Iterator[None]:
    """The gateway's in-process logs go to test-artifacts/logs as JSON lines."""
    from gateway.observability.logs import JsonFormatter

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(LOG_DIR / f"pytest-{os.getpid()}.log", encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield
    root.removeHandler(handler)
    root.setLevel(previous)
    handler.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    # Logs of earlier runs must not be scanned again (or blamed on this one).
    if LOG_DIR.exists() and not hasattr(session.config, "workerinput"):
        for old in LOG_DIR.glob("*.log"):
            old.unlink()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` run after everything else (they look at what the run left)."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)
