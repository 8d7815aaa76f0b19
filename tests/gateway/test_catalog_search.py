"""Catalogue search through the API: text in Chinese and English, filters, facets, sorting,
pages, and what counts as a bad parameter."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

ALL = 9  # datasets in the demo catalogue


def found(client: FlaskClient, query: str) -> dict[str, Any]:
    response = client.get(f"/v1/catalog/datasets?{query}")
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [d["id"] for d in body["data"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("企业", "market-entity-registration"),
        ("市场主体", "market-entity-registration"),
        ("社保", "social-insurance-payment"),
        ("空气", "air-quality-hourly"),
        ("专利", "patent-grants"),
        ("Enterprise", "market-entity-registration"),
        ("ＡＱＩ", "air-quality-hourly"),
        ("legalRepId", "market-entity-registration"),
    ],
)
def test_text_search_finds_zh_and_en_substrings(client: FlaskClient, q: str, expected: str) -> None:
    body = found(client, f"q={q}")
    assert ids(body)[0] == expected
    assert body["meta"]["total"] == len(body["data"])


def test_chinese_substring_search_needs_no_word_boundaries(client: FlaskClient) -> None:
    # 信用代码 sits inside 统一社会信用代码, a keyword and a field label.
    assert "market-entity-registration" in ids(found(client, "q=信用代码"))


def test_every_word_of_the_query_must_match(client: FlaskClient) -> None:
    assert ids(found(client, "q=企业 纳税")) == ["tax-credit-rating"]
    assert ids(found(client, "q=企业 火星")) == []


def test_facet_counts_add_up_to_the_total(client: FlaskClient) -> None:
    for query in ("", "q=企业", "q=data", "region=110108", "theme=economy"):
        body = found(client, query)
        total, facets = body["meta"]["total"], body["meta"]["facets"]
        own = query.split("=")[0] if query else None
        # A dataset has exactly one share type, level and provider: those facets partition the
        # result (unless the facet's own filter is set: a facet ignores its own filter).
        for facet in ("shareType", "level", "provider"):
            if facet != own:
                assert sum(facets[facet].values()) == total, (query, facet)
        # Themes and provinces are many per dataset: each count is at most the total, and
        # together they cover every dataset found.
        for facet in ("theme", "region"):
            if facet != own:
                assert all(0 < n <= total for n in facets[facet].values()), (query, facet)
                assert sum(facets[facet].values()) >= total


def test_a_facet_counts_its_other_values_under_the_other_filters(client: FlaskClient) -> None:
    chosen = found(client, "shareType=conditional")
    assert chosen["meta"]["total"] == 2
    facets = chosen["meta"]["facets"]
    assert facets["shareType"] == {"conditional": 2, "none": 1, "unconditional": 6}
    assert sum(facets["level"].values()) == 2
    narrowed = found(client, "shareType=conditional&level=3")
    assert narrowed["meta"]["facets"]["shareType"]["conditional"] == narrowed["meta"]["total"]


def test_a_province_matches_datasets_served_in_its_districts(client: FlaskClient) -> None:
    province = set(ids(found(client, "region=110000&perPage=100")))
    district = set(ids(found(client, "region=110108&perPage=100")))
    assert "market-entity-registration" in district
    assert district <= province
    xiongan = found(client, "region=xiongan")
    assert "market-entity-registration" in ids(xiongan)
    assert xiongan["meta"]["facets"]["region"]["130000"] >= 1


@pytest.mark.parametrize(
    "query",
    [
        "theme=no-such-theme",
        "provider=no-such-department",
        "shareType=sometimes",
        "region=440000",
        "region=not-a-region",
        "q=火星探测",
    ],
)
def test_unknown_filter_values_give_an_empty_result(client: FlaskClient, query: str) -> None:
    body = found(client, query)
    assert body["data"] == [] and body["meta"]["total"] == 0


@pytest.mark.parametrize("q", ["海淀", "海淀区", "Haidian", "雄安", "Xiongan"])
def test_a_region_name_finds_the_datasets_served_for_it(client: FlaskClient, q: str) -> None:
    found = client.get("/v1/catalog/datasets", query_string={"q": q}).get_json()
    assert "market-entity-registration" in [d["id"] for d in found["data"]], q


def test_pages_partition_the_result(client: FlaskClient) -> None:
    pages = [found(client, f"perPage=4&page={n}") for n in (1, 2, 3)]
    assert [len(p["data"]) for p in pages] == [4, 4, 1]
    assert all(p["meta"]["total"] == ALL and p["meta"]["perPage"] == 4 for p in pages)
    seen = [d for p in pages for d in ids(p)]
    assert len(set(seen)) == ALL


def test_a_page_beyond_the_end_is_empty_with_the_total(client: FlaskClient) -> None:
    body = found(client, "perPage=4&page=4")
    assert body["data"] == []
    assert body["meta"] == body["meta"] | {"total": ALL, "page": 4, "perPage": 4}
    far = found(client, "page=999999")
    assert far["data"] == [] and far["meta"]["total"] == ALL


def test_per_page_accepts_100_and_rejects_101(client: FlaskClient) -> None:
    assert len(found(client, "perPage=100")["data"]) == ALL
    response = client.get("/v1/catalog/datasets?perPage=101")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["path"] == "$.query.perPage"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("perPage=0", "perPage"),
        ("perPage=ten", "perPage"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=1.5", "page"),
        ("page=１", "page"),
        ("sort=random", "sort"),
        ("lang=fr", "lang"),
        ("level=9", "level"),
        ("level=one", "level"),
        ("theme=economy&theme=health", "theme"),
        ("q=" + "企" * 201, "q"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_are_400_problems(client: FlaskClient, query: str, parameter: str) -> None:
    response = client.get(f"/v1/catalog/datasets?{query}")
    assert response.status_code == 400, query
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "/problems/validation-failed"
    assert [e["path"] for e in problem["errors"]] == [f"$.query.{parameter}"]


def test_sort_by_title_follows_the_language(client: FlaskClient) -> None:
    zh = found(client, "sort=title&lang=zh&perPage=100")["data"]
    en = found(client, "sort=title&lang=en&perPage=100")["data"]
    # Pinyin: 不动产 bù … 专利 zhuān, where code points would put 专 (U+4E13) first.
    assert [d["id"] for d in zh][:1] == ["real-estate-registration"]
    assert [d["id"] for d in zh][-1:] == ["patent-grants"]
    assert [d["title"]["en"].casefold() for d in en] == sorted(
        d["title"]["en"].casefold() for d in en
    )
    assert ids({"data": zh}) != ids({"data": en})


def test_sort_by_updated_puts_the_newest_first(client: FlaskClient) -> None:
    body = found(client, "sort=updated&perPage=100")
    modified = [d["modified"] for d in body["data"]]
    assert modified == sorted(modified, reverse=True)
    assert body["meta"]["sort"] == "updated"


def test_relevance_ranks_title_matches_above_description_matches(client: FlaskClient) -> None:
    body = found(client, "q=企业")
    assert ids(body)[:1] == ["market-entity-registration"]
    assert body["meta"]["sort"] == "relevance"
