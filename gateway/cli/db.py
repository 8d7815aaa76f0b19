"""`jjj-gateway db`: the database schema, migrated with Alembic (docs/architecture.md#storage)."""

from __future__ import annotations

import click

from gateway.cli.context import settings_of


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Run the Alembic migrations up to the newest revision (safe to run from several replicas)."""
    from gateway.storage import upgrade

    settings = settings_of(ctx)
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade(settings.sqlalchemy_url)
    click.echo("database is at the newest revision")
