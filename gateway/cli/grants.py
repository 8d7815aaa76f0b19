"""`jjj-gateway grants`: grants that open conditional datasets to a client for a purpose
(docs/access-and-tiers.md#applying-for-a-grant)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from gateway.cli.context import administration, client_store, operator, settings_of
from gateway.cli.options import InstantType, check_request
from gateway.cli.output import echo_fields, echo_json, echo_table, fail, json_option
from gateway.core.settings import Settings


@click.group()
def grants() -> None:
    """Grants that open conditional datasets to a client for a purpose."""


def _grant_admin(settings: Settings) -> Any:
    """Grant administration for the CLI: changes are audited with the operator as actor."""
    from gateway.access.grants import GrantAdmin, GrantStore

    parts = administration(settings)
    return GrantAdmin(
        GrantStore(parts.store.engine),
        parts.store,
        parts.trail,
        parts.config.catalog,
        parts.config.policies,
    )


def _names(text: str | None) -> list[str] | None:
    return [n for n in text.replace(",", " ").split() if n] if text else None


@grants.command("add")
@click.option("--client", "client_id", required=True, help="Client id.")
@click.option("--dataset", required=True, help="Dataset id.")
@click.option("--purpose", required=True, help="Purpose id (policies/purposes.yaml).")
@click.option("--approver", required=True, help="Who approved the grant (person and office).")
@click.option("--legal-basis", required=True, help="The law, regulation or agreement it rests on.")
@click.option("--fields", default=None, help="Fields the grant names (comma-separated).")
@click.option("--regions", default=None, help="Region codes it covers (comma-separated).")
@click.option(
    "--valid-from",
    type=InstantType(),
    default=None,
    help="Start: RFC 3339, or without offset in GATEWAY_TIMEZONE; a date starts at its "
    "midnight there (default: now).",
)
@click.option(
    "--valid-until",
    type=InstantType(end=True),
    default=None,
    help="End (exclusive): as --valid-from; a date is included whole, to its end in "
    "GATEWAY_TIMEZONE (default: open-ended).",
)
@json_option
@click.pass_context
def grants_add(
    ctx: click.Context,
    client_id: str,
    dataset: str,
    purpose: str,
    approver: str,
    legal_basis: str,
    fields: str | None,
    regions: str | None,
    valid_from: dt.datetime | None,
    valid_until: dt.datetime | None,
    as_json: bool,
) -> None:
    """Issue a grant (audited); warns when it can never apply."""
    from gateway.access.grants import GrantError, grant_json
    from gateway.http.api.admin_schemas import GRANT_REQUEST

    check_request(
        GRANT_REQUEST,
        {
            "clientId": client_id,
            "dataset": dataset,
            "purpose": purpose,
            "approver": approver,
            "legalBasis": legal_basis,
            "fields": _names(fields),
            "regions": _names(regions),
        },
        {"clientId": "--client"},
    )
    admin = _grant_admin(settings_of(ctx))
    try:
        grant = admin.issue(
            operator(),
            client_id=client_id,
            dataset=dataset,
            purpose=purpose,
            approver=approver,
            legal_basis=legal_basis,
            fields=_names(fields),
            regions=_names(regions),
            valid_from=valid_from,
            valid_until=valid_until,
        )
    except GrantError as exc:
        raise fail(exc) from None
    warnings = admin.never_applies(grant)
    if as_json:
        echo_json({"data": grant_json(grant), "warnings": warnings})
        return
    echo_fields(grant_json(grant))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@grants.command("list")
@click.option("--client", "client_id", default=None, help="Only this client's grants.")
@click.option("--dataset", default=None, help="Only grants on this dataset.")
@json_option
@click.pass_context
def grants_list(
    ctx: click.Context, client_id: str | None, dataset: str | None, as_json: bool
) -> None:
    """List grants with their state (active, pending, expired, revoked)."""
    from gateway.access.grants import GrantStore, grant_json

    store = GrantStore(client_store(settings_of(ctx)).engine)
    every = [grant_json(g) for g in store.list(client_id=client_id, dataset=dataset)]
    if as_json:
        echo_json({"data": every, "meta": {"total": len(every)}})
        return
    echo_table(
        ["GRANT ID", "STATE", "CLIENT", "DATASET", "PURPOSE", "VALID FROM", "VALID UNTIL"],
        [
            [
                g["id"],
                g["state"],
                g["clientId"],
                g["dataset"],
                g["purpose"],
                g["validFrom"],
                g["validUntil"] or "-",
            ]
            for g in every
        ],
    )


@grants.command("show")
@click.argument("grant_id")
@json_option
@click.pass_context
def grants_show(ctx: click.Context, grant_id: str, as_json: bool) -> None:
    """Show one grant with its state."""
    from gateway.access.grants import GrantStore, grant_json

    grant = GrantStore(client_store(settings_of(ctx)).engine).get(grant_id)
    if grant is None:
        raise click.ClickException(f"no grant {grant_id!r}")
    if as_json:
        echo_json({"data": grant_json(grant)})
    else:
        echo_fields(grant_json(grant))


@grants.command("revoke")
@click.argument("grant_id")
@click.option("--reason", default="", help="Why (kept in the audit record).")
@json_option
@click.pass_context
def grants_revoke(ctx: click.Context, grant_id: str, reason: str, as_json: bool) -> None:
    """Revoke a grant: it stops applying on every replica within a second."""
    from gateway.access.grants import GrantError, grant_json
    from gateway.http.api.admin_schemas import GRANT_REVOCATION

    check_request(GRANT_REVOCATION, {"reason": reason})

    try:
        grant = _grant_admin(settings_of(ctx)).revoke(operator(), grant_id, reason=reason)
    except GrantError as exc:
        raise fail(exc) from None
    if as_json:
        echo_json({"data": grant_json(grant)})
    else:
        click.echo(f"{grant_id} revoked")
