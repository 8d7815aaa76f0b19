"""The filter, projection and paging rules every in-process adapter kind applies alike."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import AdapterRequestError, QueryRequest
from adapters.protocol import Adapter
from tests.adapters.conftest import DATASET, RECORDS, keys_of


def query(adapter: Adapter, filter: dict[str, dict[str, Any]] | None = None, **options: Any):
    return adapter.query(QueryRequest(DATASET, filter or {}, **options))


def expected(predicate: Any) -> list[str]:
    return sorted(keys_of(r for r in RECORDS if predicate(r)))


def found(adapter: Adapter, filter: dict[str, dict[str, Any]], **options: Any) -> list[str]:
    page = query(adapter, filter, **options)
    assert page.next_cursor is None
    return sorted(keys_of(page.records))


def test_key_lookup_returns_the_record_in_catalogue_field_names(sample_adapter: Adapter) -> None:
    page = query(sample_adapter, {"creditCode": {"eq": "91110108MA00000001"}})
    assert len(page.records) == 1
    record = page.records[0]
    assert record["creditCode"] == "91110108MA00000001"
    assert record["name"] == "北京海淀科技有限公司"
    assert record["registeredCapital"] == 500.5
    assert record["establishedDate"] == "2015-03-01"
    assert record["listed"] is True
    assert record["employees"] == 120
    assert record["tags"] == ["tech", "ai"]
    assert not {"tyshxydm", "qymc", "zczb", "clrq"} & set(record)


def test_eq_on_a_value_nobody_has_finds_nothing(sample_adapter: Adapter) -> None:
    assert found(sample_adapter, {"creditCode": {"eq": "91110108MA99999999"}}) == []


def test_in_matches_any_listed_value(sample_adapter: Adapter) -> None:
    wanted = ["110105", "131000", "999999"]
    assert found(sample_adapter, {"regionCode": {"in": wanted}}) == expected(
        lambda r: r["regionCode"] in wanted
    )


def test_gte_and_lte_on_one_field_are_anded(sample_adapter: Adapter) -> None:
    condition = {"establishedDate": {"gte": "2015-01-01", "lte": "2019-12-31"}}
    assert found(sample_adapter, condition) == expected(
        lambda r: "2015-01-01" <= r["establishedDate"] <= "2019-12-31"
    )


def test_numbers_compare_numerically(sample_adapter: Adapter) -> None:
    assert found(sample_adapter, {"registeredCapital": {"gte": 60}}) == expected(
        lambda r: r["registeredCapital"] >= 60
    )
    assert found(sample_adapter, {"registeredCapital": {"lte": 7.25}}) == expected(
        lambda r: r["registeredCapital"] <= 7.25
    )


def test_conditions_on_several_fields_are_anded(sample_adapter: Adapter) -> None:
    condition: dict[str, dict[str, Any]] = {
        "status": {"eq": "存续"},
        "regionCode": {"in": ["120116", "130100"]},
        "registeredCapital": {"lte": 10},
    }
    assert found(sample_adapter, condition) == ["91120116MA00000004", "91120116MA00000005"]


def test_prefix_matches_the_start_of_the_text(sample_adapter: Adapter) -> None:
    assert found(sample_adapter, {"name": {"prefix": "北京海淀"}}) == [
        "91110108MA00000001",
        "91110108MA00000002",
    ]


@pytest.mark.parametrize(
    ("prefix", "keys"),
    [
        ("100%", ["91120116MA00000004", "91120116MA00000005"]),
        ("100%_", ["91120116MA00000004"]),
        ("100_", []),
        ("C:\\", ["91130100MA00000007"]),
        ("C:\\co_", ["91130100MA00000007"]),
        ("C:%", []),
    ],
)
def test_prefix_takes_wildcard_and_escape_characters_literally(
    sample_adapter: Adapter, prefix: str, keys: list[str]
) -> None:
    assert found(sample_adapter, {"name": {"prefix": prefix}}) == keys


def test_fields_projection_returns_only_the_asked_fields(sample_adapter: Adapter) -> None:
    page = query(sample_adapter, {"regionCode": {"eq": "110108"}}, fields=("creditCode", "status"))
    assert sorted(page.records, key=lambda r: r["creditCode"]) == [
        {"creditCode": "91110108MA00000001", "status": "存续"},
        {"creditCode": "91110108MA00000002", "status": "在业"},
    ]


def test_pages_follow_the_cursor_without_gaps_or_repeats(sample_adapter: Adapter) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = query(sample_adapter, limit=3, cursor=cursor)
        pages += 1
        assert len(page.records) <= 3
        seen.extend(keys_of(page.records))
        cursor = page.next_cursor
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert pages == 3
    assert sorted(seen) == sorted(keys_of(RECORDS))
    assert len(set(seen)) == len(seen)


def test_filtered_pages_follow_the_cursor(sample_adapter: Adapter) -> None:
    condition = {"status": {"in": ["存续", "在业"]}}
    first = query(sample_adapter, condition, limit=2)
    assert len(first.records) == 2 and first.next_cursor is not None
    rest = query(sample_adapter, condition, limit=100, cursor=first.next_cursor)
    assert rest.next_cursor is None
    assert sorted(keys_of([*first.records, *rest.records])) == expected(
        lambda r: r["status"] in ("存续", "在业")
    )


def test_a_full_last_page_has_no_next_cursor(sample_adapter: Adapter) -> None:
    page = query(sample_adapter, limit=len(RECORDS))
    assert len(page.records) == len(RECORDS)
    assert page.next_cursor is None


@pytest.mark.parametrize(
    "request_options",
    [
        {"dataset": "patent-grants"},
        {"filter": {"noSuchField": {"eq": "x"}}},
        {"filter": {"name": {"like": "x"}}},
        {"filter": {"regionCode": {"in": []}}},
        {"filter": {"name": {"prefix": ""}}},
        {"limit": 0},
        {"limit": 1001},
        {"cursor": "not-a-cursor"},
    ],
    ids=[
        "unknown-dataset",
        "unknown-field",
        "unknown-operator",
        "empty-in",
        "empty-prefix",
        "limit-0",
        "limit-1001",
        "bad-cursor",
    ],
)
def test_unacceptable_requests_raise_adapter_request_error(
    sample_adapter: Adapter, request_options: dict[str, Any]
) -> None:
    options = {"dataset": DATASET, **request_options}
    with pytest.raises(AdapterRequestError) as raised:
        sample_adapter.query(QueryRequest(**options))
    assert raised.value.node == sample_adapter.node_id
    assert raised.value.status == "error"


def test_health_lists_the_datasets(sample_adapter: Adapter) -> None:
    health = sample_adapter.health()
    assert health.status == "ok"
    assert health.datasets == (DATASET,)


@pytest.mark.parametrize(
    "condition",
    [
        {"employees": {"gte": 2**64}},
        {"registeredCapital": {"lte": -(2**63)}},
        {"employees": {"eq": 2**53}},
        {"employees": {"in": [1, 2**70]}},
        {"registeredCapital": {"gte": float("inf")}},
        {"registeredCapital": {"eq": float("nan")}},
    ],
)
def test_a_number_beyond_the_json_range_is_a_request_error(
    sample_adapter: Adapter, condition: dict[str, dict[str, Any]]
) -> None:
    with pytest.raises(AdapterRequestError, match="JSON range"):
        query(sample_adapter, condition)
