"""Alembic environment: migrations run on the URL set by gateway.storage.db.alembic_config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from gateway.storage.tables import metadata

# Several replicas may start at once and all run `db upgrade`: on PostgreSQL an advisory lock
# makes them take turns, so each migration runs exactly once.
ADVISORY_LOCK_KEY = 0x4A4A4A  # "JJJ"


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        is_postgres = connection.dialect.name == "postgresql"
        if is_postgres:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if is_postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
                connection.commit()
    engine.dispose()


run_migrations_online()
