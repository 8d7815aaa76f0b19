"""`jjj-gateway policy`: the decision of tiered use for a client, explained rule by rule
(docs/access-and-tiers.md#what-decides-what-you-see)."""

from __future__ import annotations

import json

import click

from gateway.cli.context import client_store, settings_of
from gateway.cli.output import fail


@click.group()
def policy() -> None:
    """Tiered use: tiers, purposes, grants and the decisions they make."""


@policy.command("explain")
@click.option("--client", "client_id", required=True, help="Client id.")
@click.option("--dataset", required=True, help="Dataset id.")
@click.option("--purpose", required=True, help="Purpose id.")
@click.option("--region", "regions", multiple=True, help="Region code asked for (repeatable).")
@click.option("--json", "as_json_output", is_flag=True, help="Print the decision as JSON.")
@click.pass_context
def policy_explain(
    ctx: click.Context,
    client_id: str,
    dataset: str,
    purpose: str,
    regions: tuple[str, ...],
    as_json_output: bool,
) -> None:
    """Print the decision the gateway would make for this client, rule by rule."""
    from gateway.access.explain import ExplainError, as_json, as_text, explain
    from gateway.access.grants import GrantStore
    from gateway.services import load_configuration

    settings = settings_of(ctx)
    store = client_store(settings)
    config = load_configuration(settings)
    try:
        decision = explain(
            config.catalog,
            config.policies,
            store,
            GrantStore(store.engine),
            client_id=client_id,
            dataset_id=dataset,
            purpose=purpose,
            regions=list(regions) or None,
        )
    except ExplainError as exc:
        raise fail(exc) from None
    if as_json_output:
        click.echo(json.dumps(as_json(decision), ensure_ascii=False, indent=2))
    else:
        click.echo(as_text(decision, client_id=client_id, dataset_id=dataset, purpose=purpose))
