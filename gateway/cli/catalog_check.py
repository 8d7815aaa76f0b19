"""`jjj-gateway catalog check`: every configuration document, validated together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adapters.file import oversized_snapshots
from adapters.nodes import NodeConfigError, load_nodes
from catalog import CatalogError, load_catalog_directory
from catalog.dcat import missing_recommended
from catalog.harvest import merge_harvested
from gateway.core.settings import Settings
from gateway.upstream.routing import RoutingConfigError, RoutingTable
from policies import PolicyError, load_policies


@dataclass(frozen=True, slots=True)
class CheckResult:
    #: What makes the configuration unusable; each names the file and the JSON path.
    problems: list[str]
    #: What is usable but incomplete (recommended DCAT-AP properties an entry lacks, a
    #: harvested entry left out because an own entry has its id).
    warnings: list[str]
    #: The one-line summary of a usable configuration; empty when there are problems.
    summary: str


def _directory_problem(variable: str, directory: Path | None, wanted: str, what: str) -> str | None:
    """One line when a configured directory does not exist or holds none of its documents: the
    loaders would otherwise read it as an empty configuration (a catalogue of 0 nodes is "ok")."""
    if directory is None:
        return None
    if not directory.exists():
        return f"{variable}={directory}: no such directory"
    if not directory.is_dir():
        return f"{variable}={directory}: not a directory"
    if not any(directory.glob(wanted)):
        return f"{variable}={directory}: no {what} ({wanted}) in it"
    return None


def check_configuration(settings: Settings) -> CheckResult:
    problems: list[str] = []
    left_out: list[str] = []
    catalog = nodes = policies = None
    catalog_problem = _directory_problem(
        "GATEWAY_CATALOG_DIR", settings.catalog_dir, "datasets/*.yaml", "catalogue entries"
    )
    policies_problem = _directory_problem(
        "GATEWAY_POLICIES_DIR", settings.policies_dir, "*.yaml", "policy documents"
    )
    nodes_problem = _directory_problem(
        "GATEWAY_NODES_DIR", settings.nodes_dir, "*.yaml", "node configurations"
    )
    problems += [p for p in (catalog_problem, policies_problem, nodes_problem) if p]
    if catalog_problem is None:
        try:
            own = load_catalog_directory(settings.catalog_dir)
            merged = merge_harvested(own, settings.harvest_dir)
            catalog = merged.catalog
            left_out = [str(issue) for issue in merged.left_out]
        except CatalogError as exc:
            problems += [str(issue) for issue in exc.issues]
    if policies_problem is None:
        try:
            policies = load_policies(settings.policies_dir)
        except PolicyError as exc:
            problems += [str(issue) for issue in exc.issues]
    if nodes_problem is None:
        try:
            nodes = load_nodes(settings.nodes_dir)
        except NodeConfigError as exc:
            problems += [str(issue) for issue in exc.issues]
    if catalog is not None and nodes is not None:
        try:
            RoutingTable.build(catalog, nodes)
        except RoutingConfigError as exc:
            problems += exc.messages
    if nodes is not None:
        for node in nodes.values():
            if node.kind == "file":
                problems += map(str, oversized_snapshots(node, settings.resolved_data_dir))
    warnings = left_out + ([str(i) for i in missing_recommended(catalog)] if catalog else [])
    summary = ""
    if not problems and catalog is not None and nodes is not None and policies is not None:
        summary = (
            f"ok: {len(catalog.datasets)} datasets, {len(nodes)} nodes, "
            f"{len(policies.tiers)} tiers, {len(policies.purposes)} purposes"
        )
        if warnings:
            summary += f" ({len(warnings)} warning(s))"
    return CheckResult(problems, warnings, summary)
