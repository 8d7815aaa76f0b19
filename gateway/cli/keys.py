"""`jjj-gateway keys`: the token signing keys, rotated in one step or, across replicas, in two
(docs/architecture.md#keys)."""

from __future__ import annotations

import click

from gateway.cli.context import open_engine, operator, settings_of
from gateway.cli.output import echo_json, echo_table, fail, json_option


@click.group()
def keys() -> None:
    """Token signing keys."""


@keys.command("list")
@json_option
@click.pass_context
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """The key ring: which key signs, which are published in advance, which are retired."""
    from gateway.core.instants import rfc3339
    from gateway.identity.signing_keys import key_ring

    ring = key_ring(settings_of(ctx))
    ring.ensure()
    current = ring.current_kid()
    every = [
        {
            "kid": entry.kid,
            "state": "signing"
            if entry.kid == current
            else "pending"
            if entry.pending
            else "retired"
            if entry.retired_at
            else "active",
            "createdAt": rfc3339(entry.created_at),
            "retiredAt": rfc3339(entry.retired_at),
        }
        for entry in ring.entries()
    ]
    if as_json:
        echo_json({"data": every})
        return
    echo_table(
        ["KID", "STATE", "CREATED", "RETIRED"],
        [
            [str(k["kid"]), str(k["state"]), k["createdAt"] or "-", k["retiredAt"] or "-"]
            for k in every
        ],
    )


@keys.command("add")
@click.pass_context
def keys_add(ctx: click.Context) -> None:
    """First half of a rotation across replicas: publish a new key without signing with it."""
    from gateway.audit.actions import admin_record
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.signing_keys import key_ring, prepare_instance

    settings = settings_of(ctx)
    prepare_instance(settings)
    kid = key_ring(settings).add()
    open_audit_trail(open_engine(settings), settings).append(
        admin_record(operator(), "keys.add", target=kid)
    )
    click.echo(
        f"published key {kid}; once every replica serves it in /oauth/jwks (and clients' "
        f"JWKS caches have expired, 300 s), run: jjj-gateway keys activate {kid}"
    )


@keys.command("activate")
@click.argument("kid")
@click.pass_context
def keys_activate(ctx: click.Context, kid: str) -> None:
    """Second half of a rotation: the published key signs from now on."""
    from gateway.audit.actions import admin_record
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.signing_keys import key_ring, prepare_instance

    settings = settings_of(ctx)
    prepare_instance(settings)
    try:
        previous = key_ring(settings).activate(kid)
    except ValueError as exc:
        raise fail(exc) from None
    open_audit_trail(open_engine(settings), settings).append(
        admin_record(operator(), "keys.activate", target=kid, details={"previous": previous})
    )
    click.echo(f"{kid} signs from now on; {previous} stays published until its tokens expire")


@keys.command("prune")
@click.pass_context
def keys_prune(ctx: click.Context) -> None:
    """Remove retired keys whose tokens have all expired."""
    from gateway.identity.signing_keys import key_ring

    gone = key_ring(settings_of(ctx)).prune()
    click.echo(f"removed {len(gone)} retired key(s): {', '.join(gone) or 'none'}")


@keys.command("rotate")
@click.pass_context
def keys_rotate(ctx: click.Context) -> None:
    """Make a new signing key; the old one stays published until its tokens have expired."""
    from gateway.audit.actions import admin_record
    from gateway.audit.trail import open_audit_trail
    from gateway.identity.signing_keys import key_ring, prepare_instance

    settings = settings_of(ctx)
    prepare_instance(settings)
    ring = key_ring(settings)
    kid, previous = ring.rotate()
    open_audit_trail(open_engine(settings), settings).append(
        admin_record(operator(), "keys.rotate", target=kid, details={"previous": previous})
    )
    click.echo(
        f"new signing key {kid}; previous {previous} stays in the JWKS for "
        f"{settings.access_token_lifetime + settings.clock_skew} s"
    )
