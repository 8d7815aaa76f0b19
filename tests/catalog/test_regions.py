"""The region registry: leaves below a code, the routing chain above a leaf, the tree."""

from __future__ import annotations

from catalog import Catalog, Region

BEIJING_DISTRICTS = {"110101", "110102", "110105", "110108", "110112"}
BAODING_COUNTIES = {"130602", "130606", "130629", "130632", "130638"}
XIONGAN = {"130629", "130632", "130638"}


def test_leaves_of_a_province_are_its_districts(catalog: Catalog) -> None:
    assert catalog.regions.leaves("110000") == BEIJING_DISTRICTS


def test_leaves_of_a_province_reach_through_its_cities(catalog: Catalog) -> None:
    leaves = catalog.regions.leaves("130000")
    assert leaves >= BAODING_COUNTIES
    assert "130100" not in leaves and "130600" not in leaves
    assert "xiongan" not in leaves


def test_leaves_of_a_city_are_its_districts_and_counties(catalog: Catalog) -> None:
    assert catalog.regions.leaves("130600") == BAODING_COUNTIES


def test_leaves_of_the_xiongan_grouping_are_its_member_counties(catalog: Catalog) -> None:
    assert catalog.regions.leaves("xiongan") == XIONGAN


def test_a_leaf_is_its_own_only_leaf(catalog: Catalog) -> None:
    assert catalog.regions.leaves("110108") == {"110108"}


def test_unknown_code_has_no_leaves_and_no_chain(catalog: Catalog) -> None:
    assert catalog.regions.leaves("440000") == frozenset()
    assert catalog.regions.chain("440000") == ()
    assert catalog.regions.province_of("440000") is None
    assert not catalog.regions.is_known("440000")


def test_chain_puts_groupings_between_a_leaf_and_its_parents(catalog: Catalog) -> None:
    assert catalog.regions.chain("130629") == ("130629", "xiongan", "130600", "130000")


def test_chain_of_a_district_runs_up_to_its_province(catalog: Catalog) -> None:
    assert catalog.regions.chain("110108") == ("110108", "110000")
    assert catalog.regions.chain("130602") == ("130602", "130600", "130000")
    assert catalog.regions.chain("xiongan") == ("xiongan", "130000")


def test_province_of_any_region(catalog: Catalog) -> None:
    regions = catalog.regions
    assert regions.province_of("130629") == "130000"
    assert regions.province_of("xiongan") == "130000"
    assert regions.province_of("120116") == "120000"
    assert regions.province_of("110000") == "110000"


def test_xiongan_is_a_non_standard_grouping(catalog: Catalog) -> None:
    assert catalog.regions.get("xiongan") == Region(
        code="xiongan",
        zh="雄安新区",
        en="Xiong'an New Area",
        level="grouping",
        parent="130000",
        standard=False,
        members=("130629", "130632", "130638"),
        aliases=("Xiongan",),
    )
    haidian = catalog.regions.get("110108")
    assert haidian is not None and haidian.standard and haidian.parent == "110000"


def test_children_list_standard_regions_then_groupings(catalog: Catalog) -> None:
    children = catalog.regions.children("130000")
    assert [c.code for c in children] == ["130100", "130600", "131000", "xiongan"]
    assert catalog.regions.children("110108") == ()


def test_tree_nests_regions_under_the_three_provinces(catalog: Catalog) -> None:
    tree = catalog.regions.tree()
    assert [node["code"] for node in tree] == ["110000", "120000", "130000"]
    hebei = tree[2]
    assert set(hebei) == {"code", "zh", "en", "level", "standard", "children"}
    by_code = {child["code"]: child for child in hebei["children"]}
    assert [c["code"] for c in by_code["130600"]["children"]] == sorted(BAODING_COUNTIES)
    assert by_code["xiongan"]["standard"] is False
    assert by_code["xiongan"]["members"] == ["130629", "130632", "130638"]
    assert by_code["xiongan"]["children"] == []


def test_registry_lists_every_region(catalog: Catalog) -> None:
    codes = [r.code for r in catalog.regions]
    assert len(codes) == len(catalog.regions) == len(set(codes))
    assert codes[-1] == "xiongan"
    assert [p.code for p in catalog.regions.provinces()] == ["110000", "120000", "130000"]
