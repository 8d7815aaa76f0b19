"""The category taxonomy: the shipped tree, its lookups, and the checks on a replaced file."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from catalog import Catalog, CatalogError, Category, I18n, Taxonomy, load_catalog, load_categories
from catalog.categories import default_categories_file, parse_categories
from catalog.validation import packaged_schema


def _taxonomy_error(document: object) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        parse_categories(document, "categories.yaml")
    return caught.value


def _located(error: CatalogError) -> dict[str, str]:
    return {issue.path: issue.message for issue in error.issues}


def test_categories_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(packaged_schema("categories.schema.json"))


def test_shipped_taxonomy_has_256_categories_in_20_domains(catalog: Catalog) -> None:
    taxonomy = catalog.taxonomy
    assert len(taxonomy) == 256
    assert len(taxonomy.categories()) == 256
    assert len(list(taxonomy)) == 20
    ids = [d.id for d in taxonomy] + [c.id for c in taxonomy.categories()]
    assert len(set(ids)) == len(ids)
    for language in ("zh", "en"):
        labels = [c.label.text(language) for c in taxonomy.categories()]
        assert len(set(labels)) == len(labels)


def test_iteration_follows_the_file_order(catalog: Catalog) -> None:
    domains = list(catalog.taxonomy)
    assert domains[0].id == "economy"
    assert domains[0].label == I18n("经济建设", "Economic development")
    assert domains[0].categories[0].id == "macro-economy"
    first_of_each = [d.categories[0] for d in domains]
    flat = catalog.taxonomy.categories()
    assert [flat.index(c) for c in first_of_each] == sorted(flat.index(c) for c in first_of_each)


def test_domain_of_a_category_is_the_domain_holding_it(catalog: Catalog) -> None:
    taxonomy = catalog.taxonomy
    domain = taxonomy.domain_of("market-entities")
    assert domain is not None and domain.id == "market-supervision"
    assert taxonomy.category("market-entities") in domain.categories
    assert taxonomy.domain_of("market-supervision") is None
    assert taxonomy.domain_of("no-such-category") is None


def test_lookup_finds_a_domain_or_a_category(catalog: Catalog) -> None:
    taxonomy = catalog.taxonomy
    assert taxonomy.lookup("health") == taxonomy.domain("health")
    assert taxonomy.lookup("patents") == Category(
        "patents", I18n("专利", "Patents"), "education-science"
    )
    assert taxonomy.lookup("nothing") is None
    assert taxonomy.category("health") is None
    assert taxonomy.domain("patents") is None


def test_every_shipped_dataset_is_in_a_category(catalog: Catalog) -> None:
    for dataset in catalog:
        assert catalog.taxonomy.category(dataset.category) is not None, dataset.id


def test_unknown_category_message_suggests_the_closest_id(catalog: Catalog) -> None:
    taxonomy = catalog.taxonomy
    assert taxonomy.unknown_category_message("patent") == (
        "'patent' is not a category of the taxonomy (did you mean 'patents'?)"
    )
    assert "did you mean" not in taxonomy.unknown_category_message("zzzzzzzz")


def _tree(*domains: dict[str, object]) -> dict[str, object]:
    return {"domains": list(domains)}


def _domain(
    domain_id: str, zh: str, en: str, *categories: tuple[str, str, str]
) -> dict[str, object]:
    return {
        "id": domain_id,
        "zh": zh,
        "en": en,
        "categories": [{"id": c, "zh": z, "en": e} for c, z, e in categories],
    }


def test_a_small_taxonomy_is_built_in_order() -> None:
    taxonomy = parse_categories(
        _tree(
            _domain("health", "医疗卫生", "Health", ("clinics", "诊所", "Clinics")),
            _domain("transport", "交通运输", "Transport", ("taxis", "出租汽车", "Taxis")),
        ),
        "categories.yaml",
    )
    assert isinstance(taxonomy, Taxonomy)
    assert [d.id for d in taxonomy] == ["health", "transport"]
    assert [c.id for c in taxonomy.categories()] == ["clinics", "taxis"]


def test_duplicate_ids_are_refused_across_domains_and_categories() -> None:
    error = _taxonomy_error(
        _tree(
            _domain("health", "医疗卫生", "Health", ("health", "卫生", "Hygiene")),
            _domain("transport", "交通运输", "Transport", ("taxis", "出租汽车", "Taxis")),
            _domain("transit", "公交", "Transit", ("taxis", "的士", "Cabs")),
        )
    )
    assert _located(error) == {
        "$.domains[0].categories[0].id": "duplicate id",
        "$.domains[2].categories[0].id": "duplicate id",
    }


def test_duplicate_labels_are_refused_per_language() -> None:
    error = _taxonomy_error(
        _tree(
            _domain("health", "医疗卫生", "Health", ("clinics", "诊所", "Clinics")),
            _domain("care", "医疗卫生", "Care", ("surgeries", "门诊", "Clinics")),
        )
    )
    assert _located(error) == {
        "$.domains[1].zh": "duplicate zh label of a domain",
        "$.domains[1].categories[0].en": "duplicate en label of a category",
    }


def test_a_category_may_share_a_label_with_a_domain() -> None:
    taxonomy = parse_categories(
        _tree(_domain("sports", "体育", "Sports", ("sport", "体育", "Sports"))), "categories.yaml"
    )
    assert len(taxonomy) == 1


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        (_tree(), "$.domains", "should be non-empty"),
        (_tree(_domain("health", "医疗卫生", "Health")), "$.domains[0].categories", "non-empty"),
        (
            _tree(_domain("Health", "医疗卫生", "Health", ("clinics", "诊所", "Clinics"))),
            "$.domains[0].id",
            "does not match",
        ),
        (
            {"domains": [{"id": "health", "zh": "医疗卫生", "categories": []}]},
            "$.domains[0].en",
            "required property is missing",
        ),
        ({"domain": []}, "$.domain", "unexpected property"),
    ],
)
def test_a_broken_taxonomy_is_refused_naming_the_json_path(
    document: object, path: str, message: str
) -> None:
    located = _located(_taxonomy_error(document))
    assert path in located, located
    assert message in located[path]


def test_a_replaced_taxonomy_file_is_read_and_checked(tmp_path: Path) -> None:
    broken = tmp_path / "categories.yaml"
    broken.write_text("domains: [\n", "utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(categories_file=broken)
    (issue,) = caught.value.issues
    assert (issue.file, issue.path) == ("categories.yaml", "$")
    assert issue.message.startswith("not valid YAML")


def test_a_missing_taxonomy_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        load_categories(tmp_path / "categories.yaml")
    assert str(caught.value) == "categories.yaml: $: cannot be read: No such file or directory"


def test_entries_are_checked_against_the_replaced_taxonomy(tmp_path: Path) -> None:
    small = tmp_path / "categories.yaml"
    small.write_text(
        "domains:\n"
        "  - {id: health, zh: 医疗卫生, en: Health, categories: "
        "[{id: medical-institutions, zh: 医疗机构, en: Medical institutions}]}\n",
        "utf-8",
    )
    with pytest.raises(CatalogError) as caught:
        load_catalog(categories_file=small)
    refused = {issue.file for issue in caught.value.issues}
    assert "medical-institutions.yaml" not in refused
    assert "patent-grants.yaml" in refused
    assert all(issue.path == "$.category" for issue in caught.value.issues)


def test_the_shipped_file_is_the_default() -> None:
    assert default_categories_file().name == "categories.yaml"
    assert len(load_categories()) == 256
