"""Serving: the embedded demo (`jjj-gateway demo`) and the gateway under gunicorn
(`jjj-gateway serve`), docs/deployment.md."""

from __future__ import annotations

import os

import click

from gateway.cli.context import settings_of
from gateway.cli.options import parse_bind
from gateway.observability.logs import configure as configure_logging


@click.command()
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="host:port to listen on.")
@click.option("--no-serve", is_flag=True, help="Prepare the instance folder and exit.")
@click.pass_context
def demo(ctx: click.Context, bind: str, no_serve: bool) -> None:
    """Prepare the embedded demo (database, keys, data, clients) and serve it."""
    from gateway.demo.run import run_demo

    if "GATEWAY_LOG_FORMAT" not in os.environ:
        # A person reads the demo's console: plain lines, unless JSON is asked for.
        configure_logging(settings_of(ctx).log_level, "text")

    host, port = parse_bind(bind)
    run_demo(settings_of(ctx), host=host, port=port, serve=not no_serve)


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="host:port to listen on.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    envvar="GATEWAY_WORKERS",
    default=2,
    show_default=True,
    help="Worker processes (GATEWAY_WORKERS).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    envvar="GATEWAY_THREADS",
    default=8,
    show_default=True,
    help="Threads per worker (GATEWAY_THREADS).",
)
@click.option(
    "--migrate/--no-migrate",
    default=True,
    show_default=True,
    help="Run the database migrations before serving.",
)
@click.pass_context
def serve_command(ctx: click.Context, bind: str, workers: int, threads: int, migrate: bool) -> None:
    """Serve the gateway with gunicorn (the production web server)."""
    from gateway.identity.signing_keys import prepare_instance
    from gateway.services import load_configuration
    from gateway.serving import serve

    settings = settings_of(ctx)
    host, port = parse_bind(bind)
    prepare_instance(settings, migrate=migrate)
    # Loaded once, here, before gunicorn forks its workers: they share it.
    configuration = load_configuration(settings)
    if settings.nodes_dir is None and settings.data_dir is None:
        # With no configuration, serve exactly what `jjj-gateway demo` serves: the demo nodes
        # need their data (clients stay as they are; `demo` registers the demo clients).
        from gateway.demo.run import ensure_demo_data

        ensure_demo_data(settings, configuration)
    serve(
        settings,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        configuration=configuration,
    )
