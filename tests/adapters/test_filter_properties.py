"""Property: every in-process adapter kind answers any filter exactly as a plain evaluation of
the filter over the records would — across pages, with LIKE-special characters in prefixes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.protocol import Adapter, QueryRequest

from .conftest import DATASET, RECORDS

STATUSES = [*sorted({r["status"] for r in RECORDS}), "注销", "不存在"]
REGIONS = [*sorted({r["regionCode"] for r in RECORDS}), "999999"]
NAMES = [r["name"] for r in RECORDS]
PREFIXES = sorted({n[:k] for n in NAMES for k in range(1, 6)} | {"%", "_", "100%", "C:\\"})
DATES = ["2009-01-01", "2012-05-05", "2016-02-29", "2018-07-15", "2021-06-30", "2030-01-01"]

conditions = st.one_of(
    st.tuples(st.just("status"), st.sampled_from(["eq"]), st.sampled_from(STATUSES)),
    st.tuples(
        st.just("status"),
        st.just("in"),
        st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3, unique=True),
    ),
    st.tuples(
        st.just("regionCode"),
        st.just("in"),
        st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3, unique=True),
    ),
    st.tuples(
        st.just("registeredCapital"),
        st.sampled_from(["gte", "lte"]),
        st.sampled_from([0, 7.25, 10, 60, 500.5, 1000, 5000]),
    ),
    st.tuples(
        st.just("establishedDate"), st.sampled_from(["gte", "lte", "eq"]), st.sampled_from(DATES)
    ),
    st.tuples(st.just("name"), st.just("prefix"), st.sampled_from(PREFIXES)),
)


def _matches(record: dict[str, Any], filter_: dict[str, dict[str, Any]]) -> bool:
    for name, ops in filter_.items():
        value = record.get(name)
        for op, operand in ops.items():
            if op == "eq" and value != operand:
                return False
            if op == "in" and value not in operand:
                return False
            if op == "gte" and not (value is not None and value >= operand):
                return False
            if op == "lte" and not (value is not None and value <= operand):
                return False
            if op == "prefix" and not (isinstance(value, str) and value.startswith(operand)):
                return False
    return True


def _everything(adapter: Adapter, filter_: dict[str, dict[str, Any]], limit: int) -> list[str]:
    keys: list[str] = []
    cursor = None
    for _ in range(50):
        page = adapter.query(
            QueryRequest(dataset=DATASET, filter=filter_, limit=limit, cursor=cursor)
        )
        keys += [r["creditCode"] for r in page.records]
        cursor = page.next_cursor
        if cursor is None:
            return keys
    raise AssertionError("paging did not end")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(terms=st.lists(conditions, min_size=0, max_size=3), limit=st.integers(1, 4))
def test_any_filter_gives_exactly_the_matching_records(
    sample_adapter: Adapter, terms: list[tuple[str, str, Any]], limit: int
) -> None:
    filter_: dict[str, dict[str, Any]] = {}
    for name, op, value in terms:
        filter_.setdefault(name, {})[op] = value
    expected = sorted(r["creditCode"] for r in RECORDS if _matches(r, filter_))
    got = _everything(sample_adapter, filter_, limit)
    assert len(got) == len(set(got)), "a record was paged twice"
    assert sorted(got) == expected, filter_
