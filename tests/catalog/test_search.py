"""Catalogue search: text matching, filters, facets and pagination."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog import Catalog, load_catalog, search

Rewrite = Callable[[str, Callable[[dict[str, Any]], None]], Path]


def ids(catalog: Catalog, **criteria: Any) -> list[str]:
    return [d.id for d in search(catalog, **criteria).items]


def test_chinese_substring_finds_market_entities_first(catalog: Catalog) -> None:
    result = search(catalog, q="企业")
    assert result.items[0].id == "market-entity-registration"
    assert result.total == len(result.items)


def test_english_text_matches_case_insensitively(catalog: Catalog) -> None:
    assert ids(catalog, q="HOSPITAL") == ["medical-institutions"]


def test_full_width_text_matches_half_width(catalog: Catalog) -> None:
    assert ids(catalog, q="ＡＱＩ") == ["air-quality-hourly"]


def test_field_names_and_labels_are_searched(catalog: Catalog) -> None:
    assert "market-entity-registration" in ids(catalog, q="legalRepId")
    assert ids(catalog, q="首要污染物") == ["air-quality-hourly"]


def test_every_term_must_match(catalog: Catalog) -> None:
    assert ids(catalog, q="企业 税务") == ["tax-credit-rating"]


def test_no_match_gives_empty_page_and_facets(catalog: Catalog) -> None:
    result = search(catalog, q="火星探测")
    assert (result.items, result.total) == ([], 0)
    assert all(counts == {} for counts in result.facets.values())


def test_without_criteria_every_dataset_is_found_by_id(catalog: Catalog) -> None:
    result = search(catalog)
    assert [d.id for d in result.items] == sorted(catalog.datasets)
    assert result.total == 9


def test_facets_count_each_value(catalog: Catalog) -> None:
    facets = search(catalog).facets
    assert facets["shareType"] == {"conditional": 2, "none": 1, "unconditional": 6}
    assert facets["level"] == {"1": 5, "2": 1, "3": 2, "4": 1}
    assert facets["theme"]["economy"] == 3
    assert facets["provider"]["market-regulation"] == 1
    assert facets["region"] == {"110000": 9, "120000": 9, "130000": 9}


def test_facet_ignores_its_own_filter_but_applies_the_others(catalog: Catalog) -> None:
    result = search(catalog, share_type="conditional")
    assert [d.id for d in result.items] == ["real-estate-registration", "social-insurance-payment"]
    assert result.facets["shareType"] == {"conditional": 2, "none": 1, "unconditional": 6}
    assert result.facets["level"] == {"3": 2}
    assert result.facets["theme"] == {
        "employment": 1,
        "housing": 1,
        "natural-resources": 1,
        "social-security": 1,
    }


def test_facets_count_over_the_text_matches(catalog: Catalog) -> None:
    facets = search(catalog, q="企业").facets
    assert facets["shareType"] == {"unconditional": 2}
    assert facets["provider"] == {"market-regulation": 1, "taxation": 1}


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"theme": "health"}, ["medical-institutions"]),
        ({"level": 4}, ["household-registration"]),
        ({"provider": "taxation"}, ["tax-credit-rating"]),
        ({"theme": "economy", "level": 2}, ["tax-credit-rating"]),
        ({"theme": "no-such-theme"}, []),
    ],
)
def test_filters_narrow_the_result(
    catalog: Catalog, criteria: dict[str, Any], expected: list[str]
) -> None:
    assert ids(catalog, **criteria) == expected


@pytest.fixture
def beijing_only_patents(datasets_copy: Path, rewrite_entry: Rewrite) -> Catalog:
    """The catalogue with patent grants provided by Beijing alone."""
    rewrite_entry("patent-grants", lambda doc: doc["provider"].__setitem__("regions", ["110000"]))
    return load_catalog(datasets_copy)


def test_region_filter_uses_provider_regions(beijing_only_patents: Catalog) -> None:
    assert "patent-grants" in ids(beijing_only_patents, region="110108")
    assert "patent-grants" not in ids(beijing_only_patents, region="xiongan")
    assert "patent-grants" not in ids(beijing_only_patents, region="130000")
    facets = search(beijing_only_patents).facets
    assert facets["region"] == {"110000": 9, "120000": 8, "130000": 8}


def test_region_filter_uses_the_regions_nodes_serve(beijing_only_patents: Catalog) -> None:
    served = {"patent-grants": frozenset({"130629"})}
    assert "patent-grants" in ids(beijing_only_patents, region="xiongan", served_regions=served)
    assert "patent-grants" in ids(beijing_only_patents, region="130000", served_regions=served)
    assert "patent-grants" not in ids(beijing_only_patents, region="131000", served_regions=served)
    facets = search(beijing_only_patents, served_regions=served).facets
    assert facets["region"]["130000"] == 9


@pytest.mark.parametrize("q", ["海淀", "海淀区", "Haidian", "haidian district", "北京", "京"])
def test_a_region_name_finds_the_datasets_provided_for_it(
    beijing_only_patents: Catalog, q: str
) -> None:
    assert "patent-grants" in ids(beijing_only_patents, q=q)


@pytest.mark.parametrize("q", ["雄安", "雄安新区", "Xiongan", "Xiong'an", "容城"])
def test_a_region_name_or_alias_finds_the_datasets_served_for_it(
    beijing_only_patents: Catalog, q: str
) -> None:
    assert "patent-grants" not in ids(beijing_only_patents, q=q)
    served = {"patent-grants": frozenset({"130629"})}
    assert "patent-grants" in ids(beijing_only_patents, q=q, served_regions=served)


def test_a_region_name_combines_with_other_words(beijing_only_patents: Catalog) -> None:
    assert ids(beijing_only_patents, q="海淀 专利") == ["patent-grants"]


def test_pages_partition_the_result(catalog: Catalog) -> None:
    pages = [search(catalog, page=n, per_page=4) for n in (1, 2, 3, 4)]
    assert [len(p.items) for p in pages] == [4, 4, 1, 0]
    assert all(p.total == 9 and p.per_page == 4 for p in pages)
    seen = [d.id for p in pages for d in p.items]
    assert seen == sorted(catalog.datasets)


def test_sort_by_modified_puts_newest_first(catalog: Catalog) -> None:
    modified = [d.modified for d in search(catalog, sort="modified").items]
    assert modified == sorted(modified, reverse=True)
    assert modified[0] == "2026-11-29"


def test_sort_by_title(catalog: Catalog) -> None:
    titles = [d.title.en.casefold() for d in search(catalog, sort="title").items]
    assert titles == sorted(titles)


def test_sort_by_title_uses_the_titles_of_the_language(catalog: Catalog) -> None:
    zh = [d.title.zh for d in search(catalog, sort="title", language="zh").items]
    assert zh == sorted(zh)
    en = [d.id for d in search(catalog, sort="title", language="en").items]
    assert [d.id for d in search(catalog, sort="title", language="zh").items] != en


def test_an_unknown_region_matches_nothing(catalog: Catalog) -> None:
    result = search(catalog, region="440000")
    assert (result.items, result.total) == ([], 0)
    assert result.facets["region"] == {"110000": 9, "120000": 9, "130000": 9}


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        ({"sort": "popularity"}, "unknown sort 'popularity'"),
        ({"page": 0}, "page must be 1 or more"),
        ({"per_page": 0}, "perPage must be between 1 and 100"),
        ({"per_page": 101}, "perPage must be between 1 and 100"),
    ],
)
def test_bad_search_parameters_are_rejected(
    catalog: Catalog, criteria: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        search(catalog, **criteria)
