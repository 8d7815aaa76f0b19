"""The SQL adapter's own statements are answered from indexes on PostgreSQL: key lookups and
keyset pages never scan the table (docs/deployment.md#sql-nodes-at-scale)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters import QueryRequest, SqlAdapter
from bench.plans import Statement, scans, statements
from tests.adapters.conftest import DATASET, entity_table, sql_node
from tests.conftest import fresh_postgres_database

TABLE = "entities"
ROWS = 20_000
REGIONS = ("110101", "110105", "110108", "120101", "130102")


def _records() -> list[dict[str, object]]:
    return [
        {
            "tyshxydm": f"91{REGIONS[i % len(REGIONS)]}{(i * 7919) % 10**9:09d}X",
            "qymc": f"测试企业{i}有限公司",
            "zczb": i % 1000,
            "status": "存续",
            "regionCode": REGIONS[i % len(REGIONS)],
        }
        for i in range(ROWS)
    ]


@pytest.fixture(scope="module")
def node_database(postgres_url: str) -> Iterator[str]:
    """A table of 20,000 rows with the indexes docs/deployment.md tells a data owner to create,
    analysed so the planner knows its size."""
    with fresh_postgres_database(postgres_url) as url:
        engine = sa.create_engine(url)
        try:
            metadata = sa.MetaData()
            table = entity_table(metadata, TABLE)
            sa.Index("entities_region_key", table.c.regionCode, table.c.tyshxydm)
            metadata.create_all(engine)
            with engine.begin() as connection:
                connection.execute(table.insert(), _records())
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text(f"VACUUM ANALYZE {TABLE}"))
        finally:
            engine.dispose()
        yield url


@pytest.fixture
def adapter(node_database: str, tmp_path: Path) -> Iterator[SqlAdapter]:
    adapter = SqlAdapter(sql_node(node_database, TABLE), data_dir=tmp_path)
    yield adapter
    adapter.close()


def _statement_of(adapter: SqlAdapter, request: QueryRequest) -> Statement:
    """The one statement the adapter ran on the table to answer the request."""
    with statements() as seen:
        page = adapter.query(request)
    assert page.records, "the query should find records"
    ran = [s for s in seen if TABLE in s.sql]
    assert len(ran) == 1, ran
    return ran[0]


def _assert_index_only(url: str, statement: Statement, *, reads_only_its_rows: bool) -> None:
    """Every scan of the plan is an index scan; with ``reads_only_its_rows``, one that reads no
    row only to drop it (a page deep in the table must not pass over the rows before it)."""
    found = scans(url, statement)
    assert found, statement.sql
    assert all(scan.relation == TABLE for scan in found)
    assert all(scan.node_type in ("Index Scan", "Index Only Scan") for scan in found), found
    if reads_only_its_rows:
        assert all(scan.filter is None for scan in found), found
    # Keyset paging: no OFFSET that reads and drops rows, no count of the table per page.
    assert "OFFSET" not in statement.sql.upper()
    assert "COUNT(" not in statement.sql.upper()


def _cursor_deep_in(adapter: SqlAdapter, request: QueryRequest) -> str:
    """A cursor the adapter returned, a few pages into the table."""
    cursor = None
    for _ in range(3):
        page = adapter.query(
            QueryRequest(request.dataset, request.filter, limit=500, cursor=cursor)
        )
        cursor = page.next_cursor
        assert cursor is not None
    assert cursor is not None
    return cursor


def test_a_key_lookup_is_an_index_scan(adapter: SqlAdapter, node_database: str) -> None:
    key = _records()[12_345]["tyshxydm"]
    request = QueryRequest(DATASET, {"creditCode": {"eq": key}}, limit=1)
    statement = _statement_of(adapter, request)
    _assert_index_only(node_database, statement, reads_only_its_rows=True)
    assert key in statement.parameters.values()


def test_a_key_lookup_within_the_routed_regions_is_an_index_scan(
    adapter: SqlAdapter, node_database: str
) -> None:
    key = _records()[777]["tyshxydm"]
    condition: dict[str, dict[str, object]] = {
        "creditCode": {"eq": key},
        "regionCode": {"in": list(REGIONS)},
    }
    statement = _statement_of(adapter, QueryRequest(DATASET, condition, limit=1))
    # The region is checked on the one row the key finds.
    _assert_index_only(node_database, statement, reads_only_its_rows=False)


def test_a_keyset_page_deep_in_the_table_is_an_index_scan(
    adapter: SqlAdapter, node_database: str
) -> None:
    cursor = _cursor_deep_in(adapter, QueryRequest(DATASET))
    statement = _statement_of(adapter, QueryRequest(DATASET, limit=50, cursor=cursor))
    _assert_index_only(node_database, statement, reads_only_its_rows=True)
    assert "ORDER BY" in statement.sql.upper()


def test_a_region_restricted_keyset_page_is_an_index_scan(
    adapter: SqlAdapter, node_database: str
) -> None:
    condition = {"regionCode": {"in": ["110108"]}}
    cursor = _cursor_deep_in(adapter, QueryRequest(DATASET, condition))
    statement = _statement_of(adapter, QueryRequest(DATASET, condition, limit=50, cursor=cursor))
    _assert_index_only(node_database, statement, reads_only_its_rows=True)


def test_a_page_over_several_regions_reads_one_index_range_per_region(
    adapter: SqlAdapter, node_database: str
) -> None:
    # Keys begin with the region (as USCCs do): the key index alone would pass over every row
    # of the other regions before the cursor's.
    condition = {"regionCode": {"in": ["130102", "110105", "120101"]}}
    cursor = _cursor_deep_in(adapter, QueryRequest(DATASET, condition))
    request = QueryRequest(DATASET, condition, limit=50, cursor=cursor)
    statement = _statement_of(adapter, request)
    _assert_index_only(node_database, statement, reads_only_its_rows=True)
    assert {scan.index for scan in scans(node_database, statement)} == {"entities_region_key"}
    assert len(scans(node_database, statement)) == 3
    records = adapter.query(request).records
    assert [r["creditCode"] for r in records] == sorted(r["creditCode"] for r in records)
