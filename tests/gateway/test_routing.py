"""Routing table: province expansion, key-derived regions, unknown regions, overlap
(docs/architecture.md#domain-model)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.nodes import default_directory, load_nodes
from gateway.core.problems import Problem
from gateway.services import Configuration
from gateway.upstream.routing import RoutingConfigError, RoutingTable

DATASET = "market-entity-registration"


def table(configuration: Configuration) -> RoutingTable:
    return RoutingTable.build(configuration.catalog, configuration.nodes)


def test_every_leaf_of_a_province_is_served_by_the_most_specific_node(
    configuration: Configuration,
) -> None:
    routing = table(configuration)
    assert routing.node_for(DATASET, "110108") == "beijing-haidian"
    assert routing.node_for(DATASET, "110101") == "beijing"
    assert routing.node_for(DATASET, "130629") == "hebei-xiongan"  # grouping beats Baoding/Hebei
    assert routing.node_for(DATASET, "130606") == "hebei"
    assert routing.node_for(DATASET, "130104") == "hebei-shijiazhuang"


def test_a_province_code_expands_to_the_nodes_of_its_districts(
    configuration: Configuration,
) -> None:
    routing = table(configuration)
    routes = routing.routes(DATASET, routing.expand(["110000"]))
    assert [r.node for r in routes] == [
        "beijing",
        "beijing-chaoyang",
        "beijing-haidian",
        "beijing-tongzhou",
    ]
    assert all(r.whole for r in routes)


def test_a_district_of_a_province_node_narrows_that_node(configuration: Configuration) -> None:
    routing = table(configuration)
    [route] = routing.routes(DATASET, routing.expand(["110101"]))
    assert route.node == "beijing" and route.regions == ("110101",) and not route.whole


def test_the_region_derived_from_a_uscc_key_routes_to_one_node(
    configuration: Configuration,
) -> None:
    routing = table(configuration)
    dataset = configuration.catalog.get(DATASET)
    assert dataset is not None
    region = dataset.region_of_key("91120116MA00000000")
    assert region == "120116"
    [route] = routing.routes(DATASET, configuration.catalog.regions.leaves(region))
    assert route.node == "tianjin-binhai"


def test_province_level_datasets_route_districts_to_the_province_node(
    configuration: Configuration,
) -> None:
    routing = table(configuration)
    [route] = routing.routes("tax-credit-rating", routing.expand(["110108"]))
    assert route.node == "beijing" and route.regions == ("110108",)


def test_no_region_asks_every_node_of_the_dataset(configuration: Configuration) -> None:
    routes = table(configuration).routes(DATASET, None)
    assert len(routes) == 10


def test_an_unknown_region_is_a_400_problem(configuration: Configuration) -> None:
    with pytest.raises(Problem) as info:
        table(configuration).expand(["999999"])
    assert info.value.status == 400 and info.value.slug == "unknown-region"


def _write_nodes(tmp_path: Path, overrides: dict[str, dict]) -> Path:
    source = default_directory()
    for path in source.glob("*.yaml"):
        document = yaml.safe_load(path.read_text("utf-8"))
        document.update(overrides.get(document["id"], {}))
        (tmp_path / path.name).write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    return tmp_path


def test_two_nodes_declaring_the_same_region_is_a_configuration_error(
    tmp_path: Path, configuration: Configuration
) -> None:
    haidian = yaml.safe_load((default_directory() / "beijing-haidian.yaml").read_text("utf-8"))
    datasets = haidian["datasets"]
    datasets["market-entity-registration"]["regions"] = ["110105"]  # Chaoyang's
    nodes = load_nodes(_write_nodes(tmp_path, {"beijing-haidian": {"datasets": datasets}}))
    with pytest.raises(RoutingConfigError) as info:
        RoutingTable.build(configuration.catalog, nodes)
    message = str(info.value)
    assert (
        "beijing-haidian.yaml" in message and "110105" in message and "beijing-chaoyang" in message
    )


def test_a_node_naming_an_unknown_region_or_dataset_is_a_configuration_error(
    tmp_path: Path, configuration: Configuration
) -> None:
    nodes = load_nodes(
        _write_nodes(
            tmp_path,
            {
                "beijing-tongzhou": {
                    "datasets": {
                        "market-entity-registration": {"regions": ["110199"]},
                        "no-such-dataset": {"regions": ["110112"]},
                    }
                }
            },
        )
    )
    with pytest.raises(RoutingConfigError) as info:
        RoutingTable.build(configuration.catalog, nodes)
    message = str(info.value)
    assert "$.datasets.market-entity-registration.regions[0]: unknown region '110199'" in message
    assert "$.datasets.no-such-dataset: not in the catalogue" in message
