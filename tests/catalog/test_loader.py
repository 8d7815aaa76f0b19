"""Loading the catalogue: the meta-schema, the cross-checks and the values they produce."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from catalog import (
    Catalog,
    CatalogError,
    CatalogIssue,
    ContactPoint,
    FieldInfo,
    I18n,
    load_catalog,
)
from catalog.loader import default_datasets_directory, meta_schema
from catalog.validation import compile_validator

Mutation = Callable[[dict[str, Any]], None]
Rewrite = Callable[[str, Mutation], Path]
SHIPPED = sorted(p.stem for p in default_datasets_directory().glob("*.yaml"))


def test_meta_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(meta_schema())


@pytest.mark.parametrize("dataset_id", SHIPPED)
def test_shipped_entry_passes_the_meta_schema(dataset_id: str) -> None:
    path = default_datasets_directory() / f"{dataset_id}.yaml"
    document = yaml.safe_load(path.read_text("utf-8"))
    errors = list(compile_validator(meta_schema()).iter_errors(document))
    assert [e.message for e in errors] == []


def test_shipped_catalogue_loads_sorted_by_id(catalog: Catalog) -> None:
    assert len(SHIPPED) == 9
    assert list(catalog.datasets) == SHIPPED
    assert catalog.get("no-such-dataset") is None


def test_dataset_carries_the_entry(catalog: Catalog) -> None:
    dataset = catalog.get("market-entity-registration")
    assert dataset is not None
    assert dataset.title == I18n(zh="市场主体登记信息", en="Market entity registration")
    assert dataset.provider.id == "market-regulation"
    assert dataset.provider.regions == ("110000", "120000", "130000")
    assert dataset.category == "market-entities"
    assert dataset.themes == ("economy", "enterprise")
    assert "企业" in dataset.keywords_zh
    assert (dataset.share_type, dataset.level, dataset.update_frequency) == (
        "unconditional",
        1,
        "daily",
    )
    assert (dataset.key_field, dataset.region_field) == ("creditCode", "regionCode")
    assert dataset.region_from_key == (3, 6)
    assert dataset.filters["name"] == ("eq", "prefix")


def test_fields_follow_schema_order_with_their_labels_and_levels(catalog: Catalog) -> None:
    dataset = catalog.get("market-entity-registration")
    assert dataset is not None
    names = list(dataset.fields)
    assert names == list(dataset.record_schema["properties"])
    assert dataset.fields["legalRepId"] == FieldInfo(
        name="legalRepId",
        type="string",
        format="resident-id",
        label=I18n(zh="法定代表人身份证号", en="Legal representative's resident ID"),
        level=3,
        sensitivity="resident-id",
        description=None,
        required=False,
    )
    assert dataset.fields["creditCode"].required
    assert dataset.fields["registeredCapital"].label.en == "Registered capital (10,000 CNY)"


def test_type_lists_become_tuples(catalog: Catalog) -> None:
    dataset = catalog.get("air-quality-hourly")
    assert dataset is not None
    assert dataset.fields["primaryPollutant"].type == ("string", "null")


@pytest.mark.parametrize(
    ("dataset_id", "key", "region"),
    [
        ("market-entity-registration", "91110108MA01ABCD2X", "110108"),
        ("air-quality-hourly", "130629-1001A-2026112908", "130629"),
        ("market-entity-registration", "9111", None),
        ("market-entity-registration", "91ABCDEFMA01ABCD2X", None),
        ("patent-grants", "ZL202310000001.X", None),
    ],
)
def test_region_of_key_reads_the_configured_positions(
    catalog: Catalog, dataset_id: str, key: str, region: str | None
) -> None:
    dataset = catalog.get(dataset_id)
    assert dataset is not None
    assert dataset.region_of_key(key) == region


def test_catalog_issue_reads_file_path_message() -> None:
    issue = CatalogIssue("x.yaml", "$.shareType", "bad")
    assert str(issue) == "x.yaml: $.shareType: bad"


def _load_error(datasets_dir: Path) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        load_catalog(datasets_dir)
    return caught.value


def _drop_x_level(doc: dict[str, Any]) -> None:
    del doc["recordSchema"]["properties"]["name"]["x-level"]


def _add_filter(field: str, ops: list[str]) -> Mutation:
    return lambda doc: doc["querySchema"]["filters"].__setitem__(field, ops)


def _set(path: list[Any], value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


BROKEN_ENTRIES: list[tuple[str, Mutation, str, str]] = [
    (
        "missing title.en",
        lambda doc: doc["title"].pop("en"),
        "$.title.en",
        "required property is missing",
    ),
    (
        "x-level missing on a property",
        _drop_x_level,
        "$.recordSchema.properties.name.x-level",
        "required property is missing",
    ),
    (
        "bad shareType",
        _set(["shareType"], "public"),
        "$.shareType",
        "'public' is not one of ['unconditional', 'conditional', 'none']",
    ),
    (
        "filter on unknown field",
        _add_filter("nmae", ["eq"]),
        "$.querySchema.filters.nmae",
        "'nmae' is not a property of recordSchema (did you mean 'name'?)",
    ),
    (
        "prefix on a number field",
        _add_filter("registeredCapital", ["gte", "lte", "prefix"]),
        "$.querySchema.filters.registeredCapital[2]",
        "operator 'prefix' applies to string fields only; 'registeredCapital' is number",
    ),
    (
        "keyField missing",
        lambda doc: doc.pop("keyField"),
        "$.keyField",
        "required property is missing",
    ),
    (
        "keyField not a property",
        _set(["keyField"], "uscc"),
        "$.keyField",
        "'uscc' is not a property of recordSchema",
    ),
    (
        "gte on a string without an ordered format",
        _add_filter("address", ["gte"]),
        "$.querySchema.filters.address[0]",
        "operator 'gte' applies to numbers and to strings with format",
    ),
    (
        "misspelt top-level property",
        _set(["sharetype"], "none"),
        "$.sharetype",
        "unknown property (did you mean 'shareType'?)",
    ),
    (
        "misspelt x-sensitivity",
        _set(["recordSchema", "properties", "legalRepName", "x-sensitiviy"], "person-name"),
        "$.recordSchema.properties.legalRepName.x-sensitiviy",
        "unknown extension keyword",
    ),
    (
        "bad x-level",
        _set(["recordSchema", "properties", "name", "x-level"], 5),
        "$.recordSchema.properties.name.x-level",
        "5 is greater than the maximum of 4",
    ),
    (
        "record schema open to undeclared fields",
        _set(["recordSchema", "additionalProperties"], True),
        "$.recordSchema.additionalProperties",
        "must be false",
    ),
    (
        "unknown format",
        _set(["recordSchema", "properties", "name", "format"], "email"),
        "$.recordSchema.properties.name.format",
        "unknown format 'email'",
    ),
    (
        "record schema not valid JSON Schema",
        _set(["recordSchema", "properties", "name", "minLength"], -1),
        "$.recordSchema.properties.name.minLength",
        "-1 is less than the minimum of 0",
    ),
    (
        "unknown JSON type",
        _set(["recordSchema", "properties", "name", "type"], "text"),
        "$.recordSchema.properties.name.type",
        "'text' is not one of",
    ),
    (
        "broken pattern",
        _set(["recordSchema", "properties", "industryCode", "pattern"], "^[A-T"),
        "$.recordSchema.properties.industryCode.pattern",
        "not a valid regular expression",
    ),
    (
        "region field without region-code format",
        _set(["regionField"], "address"),
        "$.regionField",
        "must have format region-code",
    ),
    (
        "provider region not in the registry",
        _set(["provider", "regions"], ["110000", "440000"]),
        "$.provider.regions[1]",
        "'440000' is not in the region registry",
    ),
    (
        "category missing",
        lambda doc: doc.pop("category"),
        "$.category",
        "required property is missing",
    ),
    (
        "category not in the taxonomy",
        _set(["category"], "market-entity"),
        "$.category",
        "'market-entity' is not a category of the taxonomy (did you mean 'market-entities'?)",
    ),
    (
        "category that is a domain",
        _set(["category"], "market-supervision"),
        "$.category",
        "'market-supervision' is a domain, not a category",
    ),
    (
        "modified not a real date",
        _set(["modified"], "2026-02-30"),
        "$.modified",
        "'2026-02-30' is not a valid date (no such day)",
    ),
    (
        "landing page not a URL",
        _set(["landingPage"], "scjgj.example.gov.cn"),
        "$.landingPage",
        "does not match",
    ),
    (
        "record schema of another draft",
        _set(["recordSchema", "$schema"], "http://json-schema.org/draft-07/schema#"),
        "$.recordSchema['$schema']",
        "record schemas are JSON Schema 2020-12",
    ),
    (
        "id differs from the file name",
        _set(["id"], "market-entities"),
        "$.id",
        "id 'market-entities' differs from the file name 'market-entity-registration'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [case[1:] for case in BROKEN_ENTRIES],
    ids=[case[0] for case in BROKEN_ENTRIES],
)
def test_broken_entry_is_rejected_naming_file_and_json_path(
    datasets_copy: Path, rewrite_entry: Rewrite, mutate: Mutation, path: str, message: str
) -> None:
    rewrite_entry("market-entity-registration", mutate)
    error = _load_error(datasets_copy)
    located = [i for i in error.issues if i.file == "market-entity-registration.yaml"]
    assert [i.path for i in located] == [path]
    assert message in located[0].message
    assert f"market-entity-registration.yaml: {path}: " in str(error)
    assert "Traceback" not in str(error)


def test_optional_dcat_properties_are_loaded(datasets_copy: Path, rewrite_entry: Rewrite) -> None:
    def add_dcat(doc: dict[str, Any]) -> None:
        doc["issued"] = "2015-03-01"
        doc["license"] = "https://data.example.gov.cn/terms"
        doc["landingPage"] = "https://scjgj.example.gov.cn/open-data/entities"
        doc["contactPoint"] = {
            "name": {"zh": "数据资源处", "en": "Data Resources Division"},
            "email": "data@scjgj.example.gov.cn",
        }

    rewrite_entry("market-entity-registration", add_dcat)
    dataset = load_catalog(datasets_copy).get("market-entity-registration")
    assert dataset is not None
    assert dataset.issued == "2015-03-01"
    assert dataset.license == "https://data.example.gov.cn/terms"
    assert dataset.landing_page == "https://scjgj.example.gov.cn/open-data/entities"
    assert dataset.contact_point == ContactPoint(
        name=I18n(zh="数据资源处", en="Data Resources Division"),
        email="data@scjgj.example.gov.cn",
    )
    shipped = load_catalog().get("patent-grants")
    assert shipped is not None and shipped.landing_page is None


def test_an_example_record_that_breaks_the_record_schema_is_reported(
    datasets_copy: Path, rewrite_entry: Rewrite
) -> None:
    def break_example(doc: dict[str, Any]) -> None:
        doc["recordSchema"]["examples"][1]["creditCode"] = "91110108MA01C8H3K0"

    rewrite_entry("market-entity-registration", break_example)
    error = _load_error(datasets_copy)
    paths = [(i.file, i.path) for i in error.issues]
    assert ("market-entity-registration.yaml", "$.recordSchema.examples[1].creditCode") in paths


def test_every_shipped_entry_gives_the_recommended_dcat_properties() -> None:
    for dataset in load_catalog():
        assert dataset.contact_point is not None and dataset.contact_point.email, dataset.id
        assert dataset.issued is not None and dataset.issued <= dataset.modified, dataset.id
        # A dataset that is never served has no distribution, so no licence of one.
        assert (dataset.license is not None) == (dataset.share_type != "none"), dataset.id


def test_every_broken_entry_is_reported_at_once(
    datasets_copy: Path, rewrite_entry: Rewrite
) -> None:
    rewrite_entry("market-entity-registration", _set(["shareType"], "public"))
    rewrite_entry("patent-grants", _set(["level"], 0))
    error = _load_error(datasets_copy)
    assert [(i.file, i.path) for i in error.issues] == [
        ("market-entity-registration.yaml", "$.shareType"),
        ("patent-grants.yaml", "$.level"),
    ]


def test_invalid_yaml_is_reported_with_its_line(datasets_copy: Path) -> None:
    (datasets_copy / "tax-credit-rating.yaml").write_text("id: [unclosed\nlevel: 1\n", "utf-8")
    error = _load_error(datasets_copy)
    (issue,) = error.issues
    assert (issue.file, issue.path) == ("tax-credit-rating.yaml", "$")
    assert issue.message.startswith("not valid YAML (line ")


def test_entry_that_is_not_a_mapping_is_rejected(datasets_copy: Path) -> None:
    (datasets_copy / "tax-credit-rating.yaml").write_text("- a\n- b\n", "utf-8")
    (issue,) = _load_error(datasets_copy).issues
    assert issue.path == "$"
    assert "is not of type 'object'" in issue.message


def test_empty_or_missing_directory_is_an_error(tmp_path: Path) -> None:
    error = _load_error(tmp_path / "nowhere")
    assert "no catalogue entries" in str(error)


def test_broken_region_registry_is_reported(tmp_path: Path) -> None:
    regions = tmp_path / "regions.yaml"
    regions.write_text(
        "regions:\n"
        '  - {code: "110000", zh: 北京市, en: Beijing, level: province}\n'
        '  - {code: "110108", zh: 海淀区, en: Haidian, level: district, parent: "120000"}\n'
        "groupings:\n"
        '  - {id: xiongan, zh: 雄安新区, en: "Xiong\'an", members: ["130629"]}\n',
        "utf-8",
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(regions_file=regions)
    issues = {(i.file, i.path): i.message for i in caught.value.issues}
    assert issues[("regions.yaml", "$.regions[1].parent")] == "unknown region '120000'"
    assert issues[("regions.yaml", "$.groupings[0].members[0]")] == "unknown region '130629'"


def test_record_schema_is_not_shared_with_the_validators() -> None:
    fresh = load_catalog()
    dataset = fresh.get("tax-credit-rating")
    assert dataset is not None
    record = {
        "creditCode": "91350100M000100Y43",
        "taxpayerName": "福州某某有限公司",
        "ratingYear": 2025,
        "rating": "A",
        "regionCode": "350100",
        "taxAuthority": "国家税务总局福州市税务局",
    }
    dataset.record_schema["properties"]["rating"]["enum"] = ["Z"]
    assert dataset.record_errors(record) == []
