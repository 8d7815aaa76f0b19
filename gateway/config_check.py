"""`jjj-gateway catalog check`: every configuration document, validated together."""

from __future__ import annotations

from adapters.nodes import NodeConfigError, load_nodes
from catalog import CatalogError, load_catalog
from policies import PolicyError, load_policies

from .routing import RoutingConfigError, RoutingTable
from .settings import Settings


def check_configuration(settings: Settings) -> tuple[list[str], str]:
    """(problems, summary); each problem names the file and the JSON path."""
    problems: list[str] = []
    catalog = nodes = policies = None
    try:
        catalog = load_catalog(
            settings.catalog_dir / "datasets" if settings.catalog_dir else None,
            settings.catalog_dir / "regions.yaml" if settings.catalog_dir else None,
        )
    except CatalogError as exc:
        problems += [str(issue) for issue in exc.issues]
    try:
        policies = load_policies(settings.policies_dir)
    except PolicyError as exc:
        problems += [str(issue) for issue in exc.issues]
    try:
        nodes = load_nodes(settings.nodes_dir)
    except NodeConfigError as exc:
        problems += [str(issue) for issue in exc.issues]
    if catalog is not None and nodes is not None:
        try:
            RoutingTable.build(catalog, nodes)
        except RoutingConfigError as exc:
            problems += exc.messages
    summary = ""
    if not problems and catalog is not None and nodes is not None and policies is not None:
        summary = (
            f"ok: {len(catalog.datasets)} datasets, {len(nodes)} nodes, "
            f"{len(policies.tiers)} tiers, {len(policies.purposes)} purposes"
        )
    return problems, summary
