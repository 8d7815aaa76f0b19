"""Regions as the pages show them: the province → city → district tree, which datasets each
region is served with and by which nodes, and compact descriptions of a set of leaf regions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog import Dataset, Region, RegionRegistry

if TYPE_CHECKING:
    from gateway.services import Configuration


@dataclass(frozen=True, slots=True)
class RegionNode:
    """One region of the tree with the number of datasets served in it."""

    region: Region
    served: int
    children: tuple[RegionNode, ...]
    #: A grouping's member regions (empty for a standard region).
    members: tuple[Region, ...] = ()


@dataclass(frozen=True, slots=True)
class ServedDataset:
    """A dataset in a region and the nodes that answer for the region (none: listed only)."""

    dataset: Dataset
    nodes: tuple[str, ...]


def nodes_serving(config: Configuration, dataset_id: str, code: str) -> tuple[str, ...]:
    """The nodes that answer for any leaf of the region, by id."""
    routing = config.routing
    found = {routing.node_for(dataset_id, leaf) for leaf in config.catalog.regions.leaves(code)}
    return tuple(sorted(n for n in found if n is not None))


def datasets_in(config: Configuration, code: str) -> list[ServedDataset]:
    """Datasets served in the region, then those provided for it but served by no node there."""
    registry = config.catalog.regions
    leaves = registry.leaves(code)
    served, listed = [], []
    for dataset in config.catalog:
        nodes = nodes_serving(config, dataset.id, code)
        if nodes:
            served.append(ServedDataset(dataset, nodes))
            continue
        provided = {leaf for c in dataset.provider.regions for leaf in registry.leaves(c)}
        if not provided.isdisjoint(leaves):
            listed.append(ServedDataset(dataset, ()))
    return served + listed


def region_node(
    config: Configuration, region: Region, served: Counter[frozenset[str]] | None = None
) -> RegionNode:
    """The region with everything below it, and the number of datasets served in each.

    ``served`` counts the datasets by the leaf regions their nodes serve (see
    :func:`datasets_by_served_regions`), for a caller that builds several regions.
    """
    registry = config.catalog.regions
    served = served if served is not None else datasets_by_served_regions(config)

    def build(region: Region) -> RegionNode:
        leaves = registry.leaves(region.code)
        count = sum(n for regions, n in served.items() if not regions.isdisjoint(leaves))
        children = tuple(build(child) for child in registry.children(region.code))
        members = tuple(m for m in map(registry.get, region.members) if m is not None)
        return RegionNode(region, count, children, members)

    return build(region)


def datasets_by_served_regions(config: Configuration) -> Counter[frozenset[str]]:
    """How many datasets are served for each set of leaf regions: datasets served by the same
    nodes share one, so a platform's thousands of datasets make a few dozen sets to test."""
    return Counter(config.routing.served_regions(ds.id) for ds in config.catalog)


def region_tree(config: Configuration) -> list[RegionNode]:
    """Every province with its divisions; groupings follow the standard children they sit in."""
    served = datasets_by_served_regions(config)
    return [region_node(config, p, served) for p in config.catalog.regions.provinces()]


def ancestry(registry: RegionRegistry, code: str) -> list[Region]:
    """The standard regions above ``code``, province first (a grouping: its parent's chain)."""
    out: list[Region] = []
    region = registry.get(code)
    parent = region.parent if region is not None else None
    while parent is not None:
        above = registry.get(parent)
        if above is None:
            break
        out.append(above)
        parent = above.parent
    return list(reversed(out))


def covering_regions(registry: RegionRegistry, leaves: Iterable[str]) -> list[Region]:
    """The fewest, largest regions whose leaves are exactly ``leaves``: a province node shows
    "天津市", not its four districts, unless a district node takes one of them away."""
    remaining = set(leaves)
    rank = {"province": 0, "city": 1, "grouping": 2}
    candidates = sorted(registry, key=lambda r: (rank.get(r.level, 3), r.code))
    chosen: list[Region] = []
    for region in candidates:
        region_leaves = registry.leaves(region.code)
        if region_leaves and region_leaves <= remaining:
            chosen.append(region)
            remaining -= region_leaves
    return sorted(chosen, key=lambda r: r.code) + [
        Region(code, code, code, "unknown") for code in sorted(remaining)
    ]
