"""The generated records: they conform to the catalogue and sit where routing sends requests."""

from __future__ import annotations

from collections import Counter

import pytest

from adapters.nodes import NodeConfig
from catalog import Catalog
from gateway.upstream.routing import RoutingTable

from .conftest import DemoData

SERVED_DATASETS = (
    "air-quality-hourly",
    "government-procurement",
    "market-entity-registration",
    "medical-institutions",
    "patent-grants",
    "real-estate-registration",
    "social-insurance-payment",
    "tax-credit-rating",
)


def test_every_record_conforms_to_its_dataset_schema(demo: DemoData, catalog: Catalog) -> None:
    problems = []
    for (node, dataset_id), records in sorted(demo.records.items()):
        dataset = catalog.get(dataset_id)
        assert dataset is not None
        for record in records:
            problems += [(node, dataset_id, str(i)) for i in dataset.record_errors(record)]
    assert problems == []


@pytest.mark.parametrize("dataset", SERVED_DATASETS)
def test_every_served_dataset_has_records(demo: DemoData, dataset: str) -> None:
    assert demo.of_dataset(dataset)


def test_each_province_has_at_least_2000_market_entities(demo: DemoData) -> None:
    provinces = Counter(r["regionCode"][:2] for r in demo.of_dataset("market-entity-registration"))
    assert set(provinces) == {"11", "12", "13"}
    assert min(provinces.values()) >= 2000


def test_records_lie_in_the_leaves_their_node_serves(
    demo: DemoData, catalog: Catalog, nodes: dict[str, NodeConfig]
) -> None:
    routing = RoutingTable.build(catalog, nodes)
    for (node, dataset_id), records in demo.records.items():
        leaves = routing.nodes_for(dataset_id).get(node, frozenset())
        dataset = catalog.get(dataset_id)
        assert dataset is not None
        for record in records:
            assert record["regionCode"] in leaves, (node, dataset_id, record)
            key_region = dataset.region_of_key(record[dataset.key_field])
            assert key_region in (None, record["regionCode"]), (node, dataset_id, record)


def test_every_leaf_of_the_three_provinces_has_market_entities(
    demo: DemoData, catalog: Catalog
) -> None:
    leaves = set().union(*(catalog.regions.leaves(p) for p in ("110000", "120000", "130000")))
    assert {r["regionCode"] for r in demo.of_dataset("market-entity-registration")} == leaves


def test_keys_are_unique_within_each_dataset(demo: DemoData, catalog: Catalog) -> None:
    for dataset in catalog:
        keys = Counter(r[dataset.key_field] for r in demo.of_dataset(dataset.id))
        assert [key for key, n in keys.items() if n > 1] == [], dataset.id


def test_entity_names_are_unique_within_a_province(demo: DemoData) -> None:
    names = Counter(
        (r["regionCode"][:2], r["name"]) for r in demo.of_dataset("market-entity-registration")
    )
    assert [name for name, n in names.items() if n > 1] == []


def test_nodes_store_records_under_their_local_field_names(demo: DemoData) -> None:
    line = (demo.data_dir / "beijing-haidian" / "scztdj.jsonl").read_text("utf-8").splitlines()[0]
    assert line.startswith('{"tyshxydm": "91110108')
    assert "北京市海淀区" in line  # Chinese text is written unescaped


def test_sql_tables_are_keyed_and_typed_by_the_schema(demo: DemoData) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{demo.data_dir / 'tianjin.sqlite'}")
    try:
        inspector = sa.inspect(engine)
        assert inspector.get_pk_constraint("t_sczt_djxx")["constrained_columns"] == ["tyshxydm"]
        assert inspector.get_pk_constraint("t_sb_jfxx")["constrained_columns"] == ["residentId"]
        columns = {c["name"]: c["type"] for c in inspector.get_columns("t_sb_jfxx")}
        assert isinstance(columns["insuranceTypes"], sa.JSON)
        assert isinstance(columns["monthsPaid"], sa.Integer)
        assert isinstance(columns["paymentBase"], sa.Float)
        estate = {c["name"]: c["type"] for c in inspector.get_columns("t_bdc_djxx")}
        assert isinstance(estate["mortgaged"], sa.Boolean)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("sample", "node", "dataset", "region_prefix"),
    [
        ("haidian_entity", "beijing-haidian", "market-entity-registration", "110108"),
        ("tianjin_entity", "tianjin", "market-entity-registration", "1201"),
        ("binhai_entity", "tianjin-binhai", "market-entity-registration", "120116"),
        ("xiongan_entity", "hebei-xiongan", "market-entity-registration", "1306"),
        ("shijiazhuang_entity", "hebei-shijiazhuang", "market-entity-registration", "1301"),
        ("hebei_insured_person", "hebei", "social-insurance-payment", "13"),
        ("haidian_property", "beijing-haidian", "real-estate-registration", "110108"),
        ("beijing_observation", "beijing", "air-quality-hourly", "11"),
        ("tongzhou_medical_institution", "beijing-tongzhou", "medical-institutions", "110112"),
    ],
)
def test_samples_name_records_their_node_serves(
    demo: DemoData, catalog: Catalog, sample: str, node: str, dataset: str, region_prefix: str
) -> None:
    entry = catalog.get(dataset)
    assert entry is not None
    key = demo.report.samples[sample]
    matching = [r for r in demo.records[(node, dataset)] if r[entry.key_field] == key]
    assert len(matching) == 1
    assert matching[0]["regionCode"].startswith(region_prefix)


def test_tianjin_sample_is_outside_binhai(demo: DemoData) -> None:
    assert demo.report.samples["tianjin_entity"][2:8] != "120116"


def test_every_sample_is_a_served_key(demo: DemoData, catalog: Catalog) -> None:
    keys = {str(r[dataset.key_field]) for dataset in catalog for r in demo.of_dataset(dataset.id)}
    assert demo.report.samples
    assert set(demo.report.samples.values()) <= keys


def test_sample_entity_is_active_rated_and_holds_patents(demo: DemoData) -> None:
    code = demo.report.samples["haidian_entity"]
    rated = {r["creditCode"] for r in demo.of_dataset("tax-credit-rating")}
    patentees = {r["patenteeCreditCode"] for r in demo.of_dataset("patent-grants")}
    assert code in rated and code in patentees
