"""Fixtures: the demo data generated once at full scale, read back through the nodes' adapters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters import MAX_LIMIT, QueryRequest, build_adapter
from adapters.nodes import NodeConfig, load_nodes
from catalog import Catalog, load_catalog
from gateway.demo import GenerationReport, generate


@dataclass(frozen=True)
class DemoData:
    """A generated demo: its report and every (node, dataset)'s records in catalogue names."""

    data_dir: Path
    report: GenerationReport
    records: Mapping[tuple[str, str], list[dict[str, Any]]]

    def of_dataset(self, dataset: str) -> list[dict[str, Any]]:
        return [
            record
            for (_, name), records in sorted(self.records.items())
            if name == dataset
            for record in records
        ]


def read_back(node: NodeConfig, data_dir: Path, dataset: str) -> list[dict[str, Any]]:
    """Every record of a dataset as the node's own adapter serves it, page by page."""
    adapter = build_adapter(node, data_dir=data_dir)
    try:
        records: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = adapter.query(QueryRequest(dataset, limit=MAX_LIMIT, cursor=cursor))
            records += [dict(r) for r in page.records]
            if page.next_cursor is None:
                return records
            cursor = page.next_cursor
    finally:
        adapter.close()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def nodes() -> dict[str, NodeConfig]:
    return load_nodes()


@pytest.fixture(scope="session")
def demo(
    tmp_path_factory: pytest.TempPathFactory, catalog: Catalog, nodes: dict[str, NodeConfig]
) -> DemoData:
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    report = generate(data_dir, nodes, catalog)
    records = {
        (node_id, dataset): read_back(nodes[node_id], data_dir, dataset)
        for node_id, dataset in report.counts
    }
    return DemoData(data_dir, report, records)
