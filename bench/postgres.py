"""A fresh PostgreSQL database for one benchmark run, dropped afterwards.

The server is the one the test machine provides (docs/architecture.md#tests): 127.0.0.1:5432, user
postgres; ``BENCH_POSTGRES_URL`` names another (its database is only used to create and drop ours).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def unavailable_reason(url: str = ADMIN_URL) -> str | None:
    """Why PostgreSQL cannot be used (None: it answers)."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return f"PostgreSQL is not reachable at {engine.url!r}: {type(exc).__name__}"
    finally:
        engine.dispose()
    return None


@contextmanager
def fresh_database(url: str = ADMIN_URL) -> Iterator[str]:
    """The URL of a new, empty database; it is dropped (with its connections) on exit."""
    name = f"jjj_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
