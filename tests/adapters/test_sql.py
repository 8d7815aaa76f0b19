"""The SQL adapter: reflected tables, bound parameters, keyset pages — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters import (
    AdapterError,
    AdapterRequestError,
    AdapterUnavailable,
    NodeDataset,
    QueryRequest,
    SqlAdapter,
)
from adapters.sql import database_url, escape_like, json_value
from tests.adapters.conftest import (
    DATASET,
    FIELD_MAP,
    RECORDS,
    fill_table,
    keys_of,
    node_config,
    sql_node,
)


@dataclass(frozen=True)
class Database:
    """A sample table: the URL the node config names, a writable URL for the test, the table."""

    node_url: str
    url: str
    table: str
    data_dir: Path

    def adapter(self, table: str | None = None) -> SqlAdapter:
        return SqlAdapter(sql_node(self.node_url, table or self.table), data_dir=self.data_dir)

    def insert(self, *records: dict[str, object]) -> None:
        fill_table(self.url, self.table, records)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        fill_table(f"sqlite:///{tmp_path}/node.sqlite", "entities", RECORDS)
        yield Database(
            "sqlite:///{data}/node.sqlite",
            f"sqlite:///{tmp_path}/node.sqlite",
            "entities",
            tmp_path,
        )
    else:
        url, name = request.getfixturevalue("postgres_table")
        yield Database(url, url, name, tmp_path)


@pytest.fixture
def adapter(database: Database) -> Iterator[SqlAdapter]:
    adapter = database.adapter()
    yield adapter
    adapter.close()


def test_keyset_pages_are_not_shifted_by_rows_added_before_the_cursor(
    database: Database, adapter: SqlAdapter
) -> None:
    first = adapter.query(QueryRequest(DATASET, limit=4))
    assert keys_of(first.records) == sorted(keys_of(RECORDS))[:4]
    database.insert(
        {"creditCode": "91000000MA00000000", "name": "新增企业", "establishedDate": "2024-01-01"}
    )
    rest = adapter.query(QueryRequest(DATASET, limit=100, cursor=first.next_cursor))
    assert keys_of(rest.records) == sorted(keys_of(RECORDS))[4:]


def test_values_that_look_like_sql_are_only_data(database: Database, adapter: SqlAdapter) -> None:
    for condition in (
        {"name": {"eq": "x' OR '1'='1"}},
        {"name": {"prefix": "'; DROP TABLE entities; --"}},
        {"regionCode": {"in": ["110108' OR 1=1 --", "1) OR (1=1"]}},
    ):
        assert adapter.query(QueryRequest(DATASET, condition)).records == []
    assert len(adapter.query(QueryRequest(DATASET, limit=100)).records) == len(RECORDS)


def test_database_types_become_json_values(adapter: SqlAdapter) -> None:
    record = adapter.query(QueryRequest(DATASET, {"creditCode": {"eq": "91131000MA00000008"}}))
    assert record.records == [
        {
            "creditCode": "91131000MA00000008",
            "name": "廊坊物流有限公司",
            "registeredCapital": 80,
            "establishedDate": "2021-06-30",
            "status": "在业",
            "regionCode": "131000",
            "listed": False,
            "employees": None,
            "tags": [],
        }
    ]
    assert type(record.records[0]["registeredCapital"]) is int


@pytest.mark.parametrize(
    "condition",
    [
        {"employees": {"eq": "many"}},
        {"employees": {"gte": 1.5}},
        {"listed": {"eq": 1}},
        {"establishedDate": {"gte": "last year"}},
        {"name": {"eq": 5}},
        {"employees": {"prefix": "1"}},
        {"registeredCapital": {"in": [1, "two"]}},
    ],
)
def test_a_value_that_does_not_fit_the_column_is_a_request_error(
    adapter: SqlAdapter, condition: dict[str, dict[str, object]]
) -> None:
    with pytest.raises(AdapterRequestError, match="wrong type"):
        adapter.query(QueryRequest(DATASET, condition))


def test_an_integral_float_beyond_the_integer_range_is_compared_as_a_float(
    adapter: SqlAdapter,
) -> None:
    # 1e300 is an integer to JSON Schema; as a Python int it would overflow the parameter.
    assert adapter.query(QueryRequest(DATASET, {"employees": {"gte": 1e300}})).records == []
    everyone = adapter.query(QueryRequest(DATASET, {"employees": {"gte": -1e300}}))
    assert len(everyone.records) == sum(1 for r in RECORDS if "employees" in r)


def test_a_projection_naming_an_unknown_field_is_a_request_error(adapter: SqlAdapter) -> None:
    with pytest.raises(AdapterRequestError, match="noSuchField"):
        adapter.query(QueryRequest(DATASET, fields=("creditCode", "noSuchField")))


def test_a_projection_without_the_key_still_pages(adapter: SqlAdapter) -> None:
    first = adapter.query(QueryRequest(DATASET, fields=("name",), limit=5))
    rest = adapter.query(QueryRequest(DATASET, fields=("name",), limit=5, cursor=first.next_cursor))
    names = [r["name"] for r in [*first.records, *rest.records]]
    assert sorted(names) == sorted(r["name"] for r in RECORDS)
    assert all(set(r) == {"name"} for r in first.records)


def test_a_missing_table_is_a_request_error(database: Database) -> None:
    adapter = database.adapter(table=f"no_such_table_{uuid.uuid4().hex[:8]}")
    try:
        with pytest.raises(AdapterRequestError, match="no table"):
            adapter.query(QueryRequest(DATASET))
    finally:
        adapter.close()


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"k": 1}').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"[18446744073709551616]").decode(),
    ],
)
def test_a_tampered_cursor_is_a_request_error(adapter: SqlAdapter, cursor: str) -> None:
    with pytest.raises(AdapterRequestError, match="cursor"):
        adapter.query(QueryRequest(DATASET, cursor=cursor))


def test_health_reports_ok_for_a_reachable_database(adapter: SqlAdapter) -> None:
    health = adapter.health()
    assert (health.status, health.datasets) == ("ok", (DATASET,))


def test_an_unreachable_postgresql_is_unavailable(tmp_path: Path) -> None:
    adapter = SqlAdapter(
        sql_node("postgresql+psycopg://postgres@127.0.0.1:1/test", "t"), data_dir=tmp_path
    )
    try:
        with pytest.raises(AdapterUnavailable) as raised:
            adapter.query(QueryRequest(DATASET))
        assert "127.0.0.1" not in raised.value.message
        health = adapter.health()
        assert health.status == "unavailable"
        assert health.detail == "the database cannot be reached"
    finally:
        adapter.close()


def test_a_missing_sqlite_file_is_unavailable_and_never_created(tmp_path: Path) -> None:
    adapter = SqlAdapter(sql_node("sqlite:///{data}/absent.sqlite", "entities"), data_dir=tmp_path)
    try:
        with pytest.raises(AdapterUnavailable):
            adapter.query(QueryRequest(DATASET))
        assert adapter.health().status == "unavailable"
        assert not (tmp_path / "absent.sqlite").exists()
    finally:
        adapter.close()


def test_sqlite_files_are_opened_read_only(tmp_path: Path) -> None:
    fill_table(f"sqlite:///{tmp_path}/node.sqlite", "entities", RECORDS[:1])
    engine = sa.create_engine(database_url("sqlite:///{data}/node.sqlite", tmp_path))
    try:
        with pytest.raises(sa.exc.OperationalError, match="readonly"), engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM entities"))
    finally:
        engine.dispose()


def test_the_data_placeholder_names_the_data_directory(tmp_path: Path) -> None:
    url = database_url("sqlite:///{data}/with space/node.sqlite", tmp_path)
    assert url.database is not None
    assert url.database.startswith("file:")
    assert url.database.endswith(f"{tmp_path}/with%20space/node.sqlite")
    assert url.query["mode"] == "ro"
    other = database_url("postgresql+psycopg://u@h/db", tmp_path)
    assert other.render_as_string() == "postgresql+psycopg://u@h/db"


def test_composite_primary_keys_page_in_key_order(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/c.sqlite")
    metadata = sa.MetaData()
    table = sa.Table(
        "readings",
        metadata,
        sa.Column("station", sa.String, primary_key=True),
        sa.Column("hour", sa.DateTime, primary_key=True),
        sa.Column("aqi", sa.Integer),
    )
    metadata.create_all(engine)
    rows = [
        {"station": s, "hour": dt.datetime(2026, 1, 1, h), "aqi": h * 10}
        for s in ("B", "A")
        for h in (3, 1, 2)
    ]
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)
    engine.dispose()
    node = node_config(
        {"kind": "sql", "url": "sqlite:///{data}/c.sqlite", "poolSize": 2},
        datasets={"air-quality-hourly": NodeDataset(("110000",), "readings")},
    )
    adapter = SqlAdapter(node, data_dir=tmp_path)
    try:
        seen: list[tuple[str, str]] = []
        cursor = None
        while True:
            page = adapter.query(QueryRequest("air-quality-hourly", limit=4, cursor=cursor))
            seen.extend((r["station"], r["hour"]) for r in page.records)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == [(s, f"2026-01-01T0{h}:00:00") for s in ("A", "B") for h in (1, 2, 3)]
    finally:
        adapter.close()


def test_a_table_without_primary_key_cannot_be_paged(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/n.sqlite")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE loose (tyshxydm TEXT)"))
    engine.dispose()
    adapter = SqlAdapter(sql_node("sqlite:///{data}/n.sqlite", "loose"), data_dir=tmp_path)
    try:
        with pytest.raises(AdapterError, match="no primary key"):
            adapter.query(QueryRequest(DATASET))
    finally:
        adapter.close()


def test_a_schema_qualified_source_names_the_schema(
    postgres_table: tuple[str, str], tmp_path: Path
) -> None:
    url, name = postgres_table
    node = node_config(
        {"kind": "sql", "url": url},
        datasets={DATASET: NodeDataset(("110108",), f"public.{name}", FIELD_MAP)},
    )
    adapter = SqlAdapter(node, data_dir=tmp_path)
    try:
        page = adapter.query(QueryRequest(DATASET, {"creditCode": {"in": ["91110108MA00000002"]}}))
        assert keys_of(page.records) == ["91110108MA00000002"]
    finally:
        adapter.close()


def test_like_escaping_escapes_the_escape_character_first() -> None:
    assert escape_like("a\\b%c_d") == "a\\\\b\\%c\\_d"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.00"), 12),
        (Decimal("12.50"), 12.5),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2026-01-02T03:04:05+00:00"),
        (b"\x00\x01", "AAE="),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        ({"k": [1]}, {"k": [1]}),
    ],
)
def test_database_values_convert_to_json(value: object, expected: object) -> None:
    converted = json_value(value)
    assert converted == expected
    json.dumps(converted)
