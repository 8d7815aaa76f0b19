"""`jjj-gateway adapter`: a standalone adapter server, the node side of the adapter protocol
(docs/architecture.md#the-adapter-protocol)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gateway.cli.context import settings_of
from gateway.cli.options import parse_bind


@click.group()
def adapter() -> None:
    """Standalone adapter servers (the node side of the adapter protocol)."""


@adapter.command("serve")
@click.option("--node", "node_id", required=True, help="Node id (a file in the nodes directory).")
@click.option("--bind", default="127.0.0.1:9100", show_default=True, help="host:port to listen on.")
@click.option(
    "--jwks-url",
    default=None,
    help="Where the gateway publishes its keys (default: <issuer>/oauth/jwks).",
)
@click.option(
    "--jwks-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read the gateway's public keys from a file instead.",
)
@click.option(
    "--fault",
    "fault_text",
    default=None,
    metavar="KIND[:PARAM]",
    help="Misbehave on purpose, for resilience tests: slow:SECONDS, status:5XX, reset, "
    "malformed-json, invalid-records, oversized:BYTES, wrong-content-type, flaky:N.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    envvar="GATEWAY_ADAPTER_WORKERS",
    default=1,
    show_default=True,
    help="Worker processes (each holds the data).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    envvar="GATEWAY_ADAPTER_THREADS",
    default=16,
    show_default=True,
    help="Threads per worker.",
)
@click.pass_context
def adapter_serve(
    ctx: click.Context,
    node_id: str,
    bind: str,
    jwks_url: str | None,
    jwks_file: Path | None,
    fault_text: str | None,
    workers: int,
    threads: int,
) -> None:
    """Serve one node's data over the adapter protocol, to gateway-signed requests only."""
    from adapters import create_server_for_node
    from adapters.faults import Fault
    from adapters.file import SnapshotError
    from adapters.nodes import NodeConfigError, default_directory
    from gateway.observability.tracing import adapter_service
    from gateway.serving import serve_adapter

    try:
        fault = Fault.parse(fault_text) if fault_text is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None

    settings = settings_of(ctx)
    host, port = parse_bind(bind)
    if jwks_file is None and jwks_url is None:
        jwks_url = f"{settings.issuer.rstrip('/')}/oauth/jwks"

    def load() -> Any:
        return create_server_for_node(
            node_id,
            nodes_dir=settings.nodes_dir or default_directory(),
            data_dir=settings.resolved_data_dir,
            issuer=settings.issuer,
            jwks_url=jwks_url,
            jwks_file=jwks_file,
            fault=fault,
        )

    try:
        load()  # check the node, its data and its keys now: a mistake fails here, not per worker
    except (NodeConfigError, SnapshotError, KeyError, ValueError, OSError) as exc:
        raise click.ClickException(f"cannot serve node {node_id!r}: {exc}") from None
    click.echo(f"adapter server for node {node_id} on http://{host}:{port}", err=True)
    # The node's spans join the gateway's traces (traceparent) under a service name of its own.
    serve_adapter(
        load,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        service_name=adapter_service(node_id),
    )
