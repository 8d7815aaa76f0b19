"""A file node whose snapshot is above its size limit: the node is unavailable, the gateway is
not (docs/deployment.md#file-nodes-the-snapshot-memory-limit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from gateway.demo import GenerationReport
from gateway.services import Configuration

from .conftest import LEAKS, bearer

ME = "/v1/datasets/market-entity-registration"
NODE = "beijing-chaoyang"


@pytest.fixture(scope="session")
def configuration(configuration: Configuration) -> Configuration:
    """The shipped configuration with a 100-byte snapshot limit on beijing-chaoyang."""
    nodes = dict(configuration.nodes)
    nodes[NODE] = replace(nodes[NODE], adapter={**nodes[NODE].adapter, "maxSnapshotBytes": 100})
    return Configuration(
        configuration.catalog, configuration.policies, nodes, configuration.routing
    )


def test_a_lookup_on_a_node_whose_snapshot_is_too_large_is_a_502_naming_the_node_only(
    client: FlaskClient, token_for: Callable[..., str], demo_data: GenerationReport
) -> None:
    key = demo_data.samples["chaoyang_entity"]
    answer = client.get(f"{ME}/records/{key}", headers=bearer(token_for("partner")))
    assert answer.status_code == 502
    problem = answer.get_json()
    assert problem["type"] == "/problems/upstream-failed"
    assert f"node {NODE}: unavailable" in problem["detail"]
    text = answer.get_data(as_text=True)
    assert ".jsonl" not in text and "maxSnapshotBytes" not in text
    assert not any(leak in text for leak in LEAKS)


def test_the_other_nodes_still_answer_a_query_and_the_page_says_it_is_incomplete(
    client: FlaskClient, token_for: Callable[..., str]
) -> None:
    answer = client.post(
        f"{ME}/query",
        json={"regions": ["110000"], "limit": 20},
        headers=bearer(token_for("open"), "statistics"),
    )
    assert answer.status_code == 200
    meta = answer.get_json()["meta"]
    statuses = {source["node"]: source["status"] for source in meta["sources"]}
    assert statuses[NODE] == "unavailable"
    assert {status for node, status in statuses.items() if node != NODE} == {"ok"}
    assert meta["complete"] is False
