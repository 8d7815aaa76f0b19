"""The benchmark's SQL node table on PostgreSQL: made once, reused while rows and seed match."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from adapters import QueryRequest, SqlAdapter
from bench import node_table


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A database name of the test's own, dropped afterwards."""
    name = f"jjj_test_nodes_{uuid.uuid4().hex[:10]}"
    yield name
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _load(postgres_url: str, database: str, rows: int, seed: int) -> node_table.NodeTable:
    return node_table.load(rows, seed, admin_url=postgres_url, database=database, say=str)


def test_the_table_is_made_with_its_indexes_and_reused_while_rows_and_seed_match(
    postgres_url: str, database: str
) -> None:
    made = _load(postgres_url, database, 3000, 11)
    assert not made.reused
    size = node_table.sizes(made.url)
    assert size["rows"] == 3000
    assert set(size["indexes"]) == {"t_sczt_djxx_pkey", "t_sczt_djxx_xzqhdm_tyshxydm"}
    assert _load(postgres_url, database, 3000, 11).reused
    assert not _load(postgres_url, database, 3000, 12).reused
    assert not _load(postgres_url, database, 2000, 12).reused
    assert node_table.sizes(made.url)["rows"] == 2000


def test_a_table_that_lost_rows_is_made_again(postgres_url: str, database: str) -> None:
    made = _load(postgres_url, database, 2000, 11)
    with psycopg.connect(node_table.libpq(made.url), autocommit=True) as conn:
        conn.execute("DELETE FROM t_sczt_djxx WHERE xzqhdm = '110108'")
    assert not _load(postgres_url, database, 2000, 11).reused


def test_the_node_serves_the_table_through_the_sql_adapter(
    postgres_url: str, database: str, tmp_path: Path
) -> None:
    made = _load(postgres_url, database, 2000, 11)
    adapter = SqlAdapter(made.node(), data_dir=tmp_path)
    try:
        page = adapter.query(QueryRequest(node_table.DATASET, limit=5))
        assert len(page.records) == 5 and page.next_cursor
        key = page.records[0]["creditCode"]
        found = adapter.query(QueryRequest(node_table.DATASET, {"creditCode": {"eq": key}}))
        assert found.records == [page.records[0]]
    finally:
        adapter.close()
