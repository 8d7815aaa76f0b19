"""What the options of several commands mean: times in the deployment's zone, listen
addresses, and the checks the admin API makes of the same values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from gateway.cli.context import settings_of
from gateway.core.settings import load_settings


class InstantType(click.ParamType):
    """A time on the command line: RFC 3339 with an offset, or without one (and a bare date, a
    whole day) in the deployment's zone, GATEWAY_TIMEZONE. Ending a range, a date includes it."""

    name = "date-time"

    def __init__(self, *, end: bool = False) -> None:
        self.end = end

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from gateway.core.instants import InstantError, parse_instant

        if isinstance(value, dt.datetime):
            return value
        root = ctx.find_root() if ctx is not None else None
        settings = settings_of(root) if root is not None and root.obj else load_settings()
        try:
            return parse_instant(value, settings.zone, end=self.end)
        except InstantError as exc:
            self.fail(str(exc), param, ctx)


def parse_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise click.BadParameter("expected host:port, e.g. 127.0.0.1:8080", param_hint="--bind")
    return host.strip("[]"), int(port)


def check_request(
    schema: dict[str, Any], body: dict[str, Any], options: dict[str, str] | None = None
) -> None:
    """Check the options as the admin API checks the same body (gateway.http.api.admin_schemas), and
    name the option at fault."""
    from gateway.http.contract import schema_issues

    issues = schema_issues(schema, {k: v for k, v in body.items() if v is not None})
    if issues:
        raise click.ClickException(
            "; ".join(f"{_option(i.path, options or {})}: {i.message}" for i in issues)
        )


def _option(path: str, options: dict[str, str]) -> str:
    """``$.legalBasis[0]`` → ``--legal-basis`` (or what ``options`` calls that property)."""
    name = path.removeprefix("$.").split(".")[0].split("[")[0]
    return options.get(name) or "--" + "".join(f"-{c.lower()}" if c.isupper() else c for c in name)
