"""Routing: which node answers for which region of a dataset
(docs/architecture.md#the-exchange-pipeline, step 5, docs/architecture.md#domain-model).

For one dataset, every leaf region is served by at most one node: the one whose declared coverage
is the most specific for that leaf (a district node beats its province node, the Xiong'an grouping
beats Baoding). Two nodes declaring the same region for the same dataset is a configuration error,
because the gateway could then answer the same question from two different registers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from adapters.nodes import NodeConfig
from catalog import Catalog
from gateway.core.problems import Problem


class RoutingConfigError(Exception):
    """The node configurations contradict each other or the catalogue."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True, slots=True)
class Route:
    """One adapter call: a node and the leaf regions it is asked about."""

    node: str
    regions: tuple[str, ...]
    #: True when the node covers exactly these regions, so no region filter is needed.
    whole: bool


class RoutingTable:
    """Dataset → leaf region → node, computed once from the catalogue and the node configs."""

    def __init__(self, catalog: Catalog, owners: Mapping[str, Mapping[str, str]]) -> None:
        self._catalog = catalog
        self._owners = owners  # dataset → {leaf: node}
        self._by_node: dict[str, dict[str, frozenset[str]]] = defaultdict(dict)
        for dataset, leaves in owners.items():
            grouped: dict[str, set[str]] = defaultdict(set)
            for leaf, node in leaves.items():
                grouped[node].add(leaf)
            for node, node_leaves in grouped.items():
                self._by_node[dataset][node] = frozenset(node_leaves)

    @classmethod
    def build(cls, catalog: Catalog, nodes: Mapping[str, NodeConfig]) -> RoutingTable:
        regions = catalog.regions
        errors: list[str] = []
        declared: dict[str, dict[str, str]] = defaultdict(dict)  # dataset → {declared code: node}
        for node in nodes.values():
            for dataset_id, spec in node.datasets.items():
                if catalog.get(dataset_id) is None:
                    errors.append(f"{node.file}: $.datasets.{dataset_id}: not in the catalogue")
                    continue
                for i, code in enumerate(spec.regions):
                    where = f"{node.file}: $.datasets.{dataset_id}.regions[{i}]"
                    if not regions.is_known(code):
                        errors.append(f"{where}: unknown region {code!r}")
                    elif code in declared[dataset_id]:
                        other = declared[dataset_id][code]
                        errors.append(
                            f"{where}: region {code} of {dataset_id} is also served by node "
                            f"{other!r}; each region is served by one node"
                        )
                    else:
                        declared[dataset_id][code] = node.id
        if errors:
            raise RoutingConfigError(errors)
        owners: dict[str, dict[str, str]] = {}
        for dataset_id, codes in declared.items():
            leaves: dict[str, str] = {}
            for code in codes:
                for leaf in regions.leaves(code):
                    # The most specific declared code along the leaf's chain owns it.
                    owner = next((codes[c] for c in regions.chain(leaf) if c in codes), None)
                    if owner is not None:
                        leaves[leaf] = owner
            owners[dataset_id] = leaves
        return cls(catalog, owners)

    def nodes_for(self, dataset: str) -> dict[str, frozenset[str]]:
        """Every node serving the dataset, with the leaf regions each one answers for."""
        return dict(self._by_node.get(dataset, {}))

    def served_regions(self, dataset: str) -> frozenset[str]:
        return frozenset(self._owners.get(dataset, {}))

    def node_for(self, dataset: str, leaf: str) -> str | None:
        return self._owners.get(dataset, {}).get(leaf)

    def expand(self, codes: Iterable[str]) -> frozenset[str]:
        """Leaf regions for the requested codes; an unknown code is a 400 problem."""
        leaves: set[str] = set()
        unknown = []
        for code in codes:
            if not self._catalog.regions.is_known(code):
                unknown.append(code)
            else:
                leaves |= self._catalog.regions.leaves(code)
        if unknown:
            raise Problem(
                "unknown-region",
                detail=f"unknown region code(s): {', '.join(sorted(unknown))}",
                errors=[{"path": "$.regions", "message": f"unknown region {c!r}"} for c in unknown],
            )
        return frozenset(leaves)

    def routes(self, dataset: str, leaves: frozenset[str] | None) -> list[Route]:
        """One route per node holding any of the leaves (all of the dataset's when None)."""
        routes = []
        for node, node_leaves in sorted(self._by_node.get(dataset, {}).items()):
            asked = node_leaves if leaves is None else node_leaves & leaves
            if asked:
                routes.append(Route(node, tuple(sorted(asked)), whole=asked == node_leaves))
        return routes
