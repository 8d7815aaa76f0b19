"""`jjj-gateway catalog`: the shared catalogue and the configuration around it, checked
together (docs/catalogue-guide.md)."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import click

from catalog import CatalogError
from gateway.cli.context import settings_of
from gateway.cli.output import echo_json, json_option


@click.group()
def catalog() -> None:
    """The shared catalogue and the configuration around it."""


@catalog.command("check")
@click.pass_context
def catalog_check(ctx: click.Context) -> None:
    """Validate the catalogue, node configs and policy documents together.

    Recommended DCAT-AP properties an entry lacks, and a harvested entry left out because an
    own entry has its id, are warnings: they do not fail the check."""
    from gateway.cli.catalog_check import check_configuration

    result = check_configuration(settings_of(ctx))
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in result.problems:
        click.echo(line, err=True)
    if result.problems:
        raise SystemExit(f"{len(result.problems)} problem(s) found")
    click.echo(result.summary)


@catalog.command("harvest")
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option(
    "--every",
    "every",
    default=None,
    metavar="DURATION",
    help="Harvest again every DURATION (90s, 15m, 6h, 1d), with jitter, until SIGTERM.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds one call to a source may take, answer included.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Pages of one export followed at most; more fails the source.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1024),
    default=16 << 20,
    show_default=True,
    help="Largest answer read from a source (a page or an entry).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=32),
    default=8,
    show_default=True,
    help="Entries fetched at once from one source.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Fetch every entry again, even those the export lists as unchanged.",
)
@json_option
@click.pass_context
def catalog_harvest(
    ctx: click.Context,
    urls: tuple[str, ...],
    every: str | None,
    timeout: float,
    max_pages: int,
    max_bytes: int,
    workers: int,
    full: bool,
    as_json: bool,
) -> None:
    """Harvest the DCAT-AP exports at URL... (other gateways' /v1/catalog/dcat) into the
    harvest folder (GATEWAY_HARVEST_DIR): each entry is checked as a local one; the report
    says what was added, updated, unchanged, removed and refused.

    Exits 1 when a source could not be read (its last harvest is kept)."""
    from gateway.cli.catalog_harvest import (
        Bounds,
        Stop,
        bounded_fetch,
        harvest_client,
        harvest_round,
        report_lines,
    )
    from gateway.cli.harvest_schedule import StopSignals, parse_duration, run_every
    from gateway.services import local_catalog

    settings = settings_of(ctx)
    root = settings.harvest_dir
    if root is None:
        raise click.UsageError("set GATEWAY_HARVEST_DIR: the folder harvested entries are kept in")
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="URL")
    interval = None
    if every is not None:
        try:
            interval = parse_duration(every)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--every") from None
    # The scheduled mode takes SIGTERM before any thread starts (StopSignals says why).
    stop: Stop = StopSignals() if interval is not None else threading.Event()
    try:
        central = local_catalog(settings)
    except CatalogError as exc:
        raise click.ClickException(f"the catalogue does not load: {exc}") from None
    bounds = Bounds(timeout=timeout, max_bytes=max_bytes, max_pages=max_pages, workers=workers)
    with harvest_client(bounds) as client:
        get = bounded_fetch(bounds, client)

        def round_once() -> list[Any]:
            return harvest_round(urls, central, root, get, bounds=bounds, stop=stop, full=full)

        if interval is not None:
            run_every(interval, round_once, stop)
            return
        reports = round_once()
    if as_json:
        echo_json({"data": [r.as_json() for r in reports]})
    else:
        for report in reports:
            for line in report_lines(report):
                click.echo(line)
    if any(r.error for r in reports):
        raise SystemExit(1)
