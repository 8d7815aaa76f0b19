"""Catalogue search: text matching, filters, facets and pagination."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog import Catalog, SearchIndex, load_catalog, search

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
    # bù, hù, kōng, nà, shè, shì, yī, zhèng, zhuān: pinyin, not code point (专 U+4E13 is first).
    assert [title[:2] for title in zh] == [
        "不动",
        "户籍",
        "空气",
        "纳税",
        "社会",
        "市场",
        "医疗",
        "政府",
        "专利",
    ]
    en = [d.id for d in search(catalog, sort="title", language="en").items]
    assert [d.id for d in search(catalog, sort="title", language="zh").items] != en


def _titled(rewrite_entry: Rewrite, datasets_copy: Path, titles: dict[str, str]) -> Catalog:
    """The catalogue with the Chinese titles of some entries replaced."""

    def retitle(title: str) -> Callable[[dict[str, Any]], None]:
        return lambda doc: doc["title"].__setitem__("zh", title)

    for dataset_id, title in titles.items():
        rewrite_entry(dataset_id, retitle(title))
    return load_catalog(datasets_copy)


def test_chinese_titles_sort_by_the_reading_of_their_words(
    rewrite_entry: Rewrite, datasets_copy: Path
) -> None:
    catalog = _titled(
        rewrite_entry,
        datasets_copy,
        {
            "patent-grants": "中关村企业名录",  # zhōng
            "tax-credit-rating": "重庆市企业名录",  # chóng in 重庆, zhòng alone
            "air-quality-hourly": "银行网点",  # yínháng: háng in 银行, xíng alone
            "medical-institutions": "银华基金",  # yínhuá
            "household-registration": "北京市企业名录",  # běi
            "market-entity-registration": "阳光采购",  # yáng
        },
    )
    found = search(catalog, sort="title", language="zh").items
    titles = [d.title.zh for d in found if d.title.zh.endswith(("名录", "网点", "基金", "采购"))]
    assert titles == [
        "北京市企业名录",
        "重庆市企业名录",
        "阳光采购",
        "银行网点",
        "银华基金",
        "中关村企业名录",
    ]


def test_equal_chinese_titles_keep_one_order(rewrite_entry: Rewrite, datasets_copy: Path) -> None:
    # 市 and 事 are both shì: the characters then decide; the very same title, the id.
    catalog = _titled(
        rewrite_entry,
        datasets_copy,
        {
            "tax-credit-rating": "事业单位",
            "patent-grants": "市业单位",
            "air-quality-hourly": "市业单位",
        },
    )
    found = [d.id for d in search(catalog, sort="title", language="zh").items]
    assert found.index("tax-credit-rating") < found.index("air-quality-hourly")
    assert found.index("air-quality-hourly") < found.index("patent-grants")


def test_english_titles_sort_by_their_folded_text(catalog: Catalog) -> None:
    found = search(catalog, sort="title", language="en").items
    titles = [d.title.en for d in found]
    assert titles == sorted(titles, key=str.casefold)
    assert titles[0] == "Government procurement awards"


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


def test_any_part_of_a_chinese_title_is_found(catalog: Catalog) -> None:
    # 体登 spans the words 主体 and 登记: no word segmentation may hide it.
    assert "market-entity-registration" in ids(catalog, q="体登")


def test_an_index_gives_what_the_catalogue_gives(catalog: Catalog) -> None:
    served = {"patent-grants": frozenset({"130629"})}
    index = SearchIndex(catalog, served)
    queries: list[dict[str, Any]] = [
        {"q": "企业"},
        {"q": "雄安"},
        {"theme": "economy"},
        {"region": "xiongan"},
    ]
    for criteria in queries:
        assert search(index, **criteria) == search(catalog, served_regions=served, **criteria)


def test_an_index_keeps_its_own_served_regions(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="an index holds its own served regions"):
        search(SearchIndex(catalog), served_regions={})


def test_a_text_many_datasets_share_finds_each_of_them(
    datasets_copy: Path, rewrite_entry: Rewrite
) -> None:
    def same_keyword(doc: dict[str, Any]) -> None:
        doc["keywords"] = {"zh": ["共用关键词"], "en": ["shared keyword"]}

    for dataset_id in ("patent-grants", "tax-credit-rating", "air-quality-hourly"):
        rewrite_entry(dataset_id, same_keyword)
    found = ids(load_catalog(datasets_copy), q="用关键")
    assert found == ["air-quality-hourly", "patent-grants", "tax-credit-rating"]


def test_a_category_filter_finds_the_datasets_classified_there(catalog: Catalog) -> None:
    assert ids(catalog, category="tax-credit") == ["tax-credit-rating"]
    assert ids(catalog, category="no-such-category") == []


def test_a_domain_filter_finds_the_datasets_of_its_categories(catalog: Catalog) -> None:
    result = search(catalog, domain="finance-tax")
    assert [d.id for d in result.items] == ["government-procurement", "tax-credit-rating"]
    assert result.facets["category"] == {"government-procurement": 1, "tax-credit": 1}
    # The domain facet ignores its own filter: every domain still shows what it would give.
    assert result.facets["domain"]["finance-tax"] == 2
    assert result.facets["domain"]["health"] == 1


def test_domain_and_category_facets_count_the_text_matches(catalog: Catalog) -> None:
    facets = search(catalog, q="企业").facets
    assert facets["domain"] == {"finance-tax": 1, "market-supervision": 1}
    assert facets["category"] == {"market-entities": 1, "tax-credit": 1}


def test_a_category_facet_ignores_its_own_filter(catalog: Catalog) -> None:
    result = search(catalog, category="patents")
    assert [d.id for d in result.items] == ["patent-grants"]
    # It shows what choosing another category would give; the domain facet, the one domain.
    assert result.facets["category"]["tax-credit"] == 1
    assert result.facets["domain"] == {"education-science": 1}
