"""`jjj-gateway clients`: registered partner systems, administered as the admin API does it and
audited with the operator as actor (docs/api.md#administration-scope-admin)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from gateway.cli.context import administration, client_store, operator, settings_of
from gateway.cli.options import check_request
from gateway.cli.output import echo_fields, echo_json, echo_table, fail, json_option
from gateway.core.settings import Settings
from gateway.identity.auth_methods import AUTH_METHODS, DEFAULT_AUTH_METHOD


@click.group()
def clients() -> None:
    """Registered partner systems."""


def _admin(settings: Settings) -> Any:
    """Client administration for the CLI: changes are audited with the operator as actor."""
    from gateway.identity.client_admin import ClientAdmin

    parts = administration(settings)
    return ClientAdmin(parts.store, parts.trail, None, parts.config.catalog, parts.config.policies)


@clients.command("add")
@click.option("--name", required=True, help="Organisation and system name.")
@click.option("--region", required=True, help="Home region code (GB/T 2260), e.g. 110000.")
@click.option("--tier", required=True, help="Tier: open, partner, government, regulator.")
@click.option(
    "--scopes",
    required=True,
    help="Space- or comma-separated scopes, as the admin API takes them (one it does not know "
    "is refused, naming those it knows).",
)
@click.option(
    "--auth-method",
    default=DEFAULT_AUTH_METHOD,
    show_default=True,
    type=click.Choice(AUTH_METHODS),
)
@click.option("--client-id", default=None, help="Choose the client id (default: generated).")
@click.option(
    "--jwks-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Public JWKS of a private_key_jwt client.",
)
@click.option("--jwks-uri", default=None, help="JWKS URL of a private_key_jwt client.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def clients_add(
    ctx: click.Context,
    name: str,
    region: str,
    tier: str,
    scopes: str,
    auth_method: str,
    client_id: str | None,
    jwks_file: Path | None,
    jwks_uri: str | None,
    as_json: bool,
) -> None:
    """Register a client; its secret is printed once and stored only as a hash."""
    from gateway.http.api.admin_schemas import CLIENT_REGISTRATION
    from gateway.identity.clients import ClientError

    try:
        jwks = json.loads(jwks_file.read_text("utf-8")) if jwks_file else None
        scope_list = scopes.replace(",", " ").split()
        check_request(
            CLIENT_REGISTRATION,
            {
                "name": name,
                "region": region,
                "tier": tier,
                "scopes": scope_list,
                "authMethod": auth_method,
                "clientId": client_id,
                "jwks": jwks,
                "jwksUri": jwks_uri,
            },
            {"jwks": "--jwks-file"},
        )
        client, secret = _admin(settings_of(ctx)).create(
            operator(),
            name=name,
            region=region,
            tier=tier,
            scopes=scope_list,
            auth_method=auth_method,
            client_id=client_id,
            jwks=jwks,
            jwks_uri=jwks_uri,
        )
    except (ClientError, ValueError) as exc:
        raise fail(exc) from None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "client_id": client.client_id,
                    "client_secret": secret,
                    "tier": client.tier,
                    "scopes": sorted(client.scopes),
                }
            )
        )
        return
    click.echo(f"client_id:     {client.client_id}")
    if secret:
        click.echo(f"client_secret: {secret}")
        click.echo("The secret is shown this once; the gateway keeps only its hash.")


@clients.command("list")
@json_option
@click.pass_context
def clients_list(ctx: click.Context, as_json: bool) -> None:
    """List registered clients (never their secrets)."""
    every = [c.public() for c in client_store(settings_of(ctx)).list()]
    if as_json:
        echo_json({"data": every, "meta": {"total": len(every)}})
        return
    echo_table(
        ["CLIENT ID", "STATUS", "TIER", "REGION", "AUTH METHOD", "SCOPES", "CREATED", "NAME"],
        [
            [
                c["clientId"],
                c["status"],
                c["tier"],
                c["region"],
                c["authMethod"],
                ",".join(c["scopes"]),
                c["createdAt"] or "-",
                c["name"],
            ]
            for c in every
        ],
    )


def _echo_client(client: Any, as_json: bool, **extra: Any) -> None:
    shown = client.public() | extra
    if as_json:
        echo_json({"data": shown})
    else:
        echo_fields(shown)


@clients.command("show")
@click.argument("client_id")
@json_option
@click.pass_context
def clients_show(ctx: click.Context, client_id: str, as_json: bool) -> None:
    """Show one client (never its secret)."""
    client = client_store(settings_of(ctx)).get(client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id!r}")
    _echo_client(client, as_json)


def _set_status(ctx: click.Context, client_id: str, status: str, as_json: bool) -> None:
    from gateway.identity.clients import ClientError

    try:
        client = _admin(settings_of(ctx)).set_status(operator(), client_id, status)
    except ClientError as exc:
        raise fail(exc) from None
    if as_json:
        _echo_client(client, as_json)
    else:
        click.echo(f"{client_id} {'enabled' if status == 'active' else status}")


@clients.command("disable")
@click.argument("client_id")
@json_option
@click.pass_context
def clients_disable(ctx: click.Context, client_id: str, as_json: bool) -> None:
    """Disable a client: no new tokens, and its live tokens stop working within a second — for
    good: enabling it again does not bring back tokens issued before."""
    _set_status(ctx, client_id, "disabled", as_json)


@clients.command("enable")
@click.argument("client_id")
@json_option
@click.pass_context
def clients_enable(ctx: click.Context, client_id: str, as_json: bool) -> None:
    """Enable a disabled client again (with new tokens only: those issued before it was
    disabled stay refused)."""
    _set_status(ctx, client_id, "active", as_json)


_REVOKE_TOKENS = click.option(
    "--revoke-tokens",
    is_flag=True,
    help="Also refuse the access tokens issued so far (default: they live out their lifetime).",
)


@clients.command("rotate-secret")
@click.argument("client_id")
@_REVOKE_TOKENS
@json_option
@click.pass_context
def clients_rotate_secret(
    ctx: click.Context, client_id: str, revoke_tokens: bool, as_json: bool
) -> None:
    """Give a client a new secret (printed once); the old one stops working at once."""
    from gateway.identity.clients import ClientError

    try:
        client, secret = _admin(settings_of(ctx)).rotate_secret(
            operator(), client_id, revoke_tokens=revoke_tokens
        )
    except ClientError as exc:
        raise fail(exc) from None
    if as_json:
        _echo_client(client, as_json, clientSecret=secret)
    else:
        click.echo(f"client_secret: {secret}")


@clients.command("set-jwks")
@click.argument("client_id")
@click.option(
    "--jwks-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The client's public JWKS.",
)
@click.option("--jwks-uri", default=None, help="Where the client publishes its JWKS.")
@_REVOKE_TOKENS
@json_option
@click.pass_context
def clients_set_jwks(
    ctx: click.Context,
    client_id: str,
    jwks_file: Path | None,
    jwks_uri: str | None,
    revoke_tokens: bool,
    as_json: bool,
) -> None:
    """Register a client's public keys; it then authenticates with private_key_jwt."""
    from gateway.http.api.admin_schemas import CLIENT_KEYS
    from gateway.identity.clients import ClientError

    try:
        jwks = json.loads(jwks_file.read_text("utf-8")) if jwks_file else None
        check_request(CLIENT_KEYS, {"jwks": jwks, "jwksUri": jwks_uri}, {"jwks": "--jwks-file"})
        client = _admin(settings_of(ctx)).set_jwks(
            operator(), client_id, jwks=jwks, jwks_uri=jwks_uri, revoke_tokens=revoke_tokens
        )
    except (ClientError, ValueError) as exc:
        raise fail(exc) from None
    if as_json:
        _echo_client(client, as_json)
    else:
        click.echo(f"{client_id} authenticates with private_key_jwt")
