"""`jjj-gateway catalog`: the shared catalogue and the configuration around it, checked
together (docs/catalogue-guide.md)."""

from __future__ import annotations

import click

from gateway.cli.context import settings_of


@click.group()
def catalog() -> None:
    """The shared catalogue and the configuration around it."""


@catalog.command("check")
@click.pass_context
def catalog_check(ctx: click.Context) -> None:
    """Validate the catalogue, node configs and policy documents together.

    Recommended DCAT-AP properties an entry lacks are warnings: they do not fail the check."""
    from gateway.cli.catalog_check import check_configuration

    result = check_configuration(settings_of(ctx))
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in result.problems:
        click.echo(line, err=True)
    if result.problems:
        raise SystemExit(f"{len(result.problems)} problem(s) found")
    click.echo(result.summary)
