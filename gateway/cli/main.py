"""The `jjj-gateway` command (docs/deployment.md): the root group, which loads the settings and
turns what the environment gets wrong into one line, and the command groups, one module each.

Each command imports what it uses when it runs, so that the command starts fast and
prometheus_client is first imported by a worker building its app, after `serve` has chosen its
multiprocess directory (docs/architecture.md#tracing-and-metrics)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gateway.cli.adapter import adapter
from gateway.cli.audit import audit
from gateway.cli.catalog import catalog
from gateway.cli.clients import clients
from gateway.cli.db import db
from gateway.cli.grants import grants
from gateway.cli.keys import keys
from gateway.cli.policy import policy
from gateway.cli.serve import demo, serve_command
from gateway.core.settings import load_settings
from gateway.observability.logs import configure as configure_logging


class _Commands(click.Group):
    """The command group. What the environment gets wrong (an instance folder that is a file, a
    database that is down or misnamed, an unreadable or damaged key file) ends a command with
    one line naming it and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            from sqlalchemy.exc import SQLAlchemyError

            if not isinstance(exc, SQLAlchemyError):
                raise
            cause = getattr(exc, "orig", None) or exc
            first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
            raise click.ClickException(
                f"the database cannot be used ({type(cause).__name__}): {first}"
            ) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--instance",
    type=click.Path(path_type=Path),
    default=None,
    help="Instance folder (default: ./instance or GATEWAY_INSTANCE_PATH).",
)
@click.pass_context
def main(ctx: click.Context, instance: Path | None) -> None:
    """JJJ Data Gateway — cross-regional public-data sharing for Beijing, Tianjin and Hebei."""
    overrides: dict[str, Any] = {"instance_path": instance} if instance else {}
    try:
        settings = load_settings(overrides)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(settings.log_level, settings.log_format)
    ctx.obj = {"settings": settings}


for command in (demo, serve_command, db, catalog, clients, grants, policy, audit, keys, adapter):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
