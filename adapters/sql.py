"""The SQL adapter: a node whose datasets are tables of a relational database.

SQLAlchemy 2 Core with reflected tables, so column types (dates, booleans, JSON, decimals)
convert to JSON values. Filters become bound parameters, never text spliced into SQL. Pages are
keyset-paginated on the table's primary key: the cursor carries the last key of a page, so rows
added or removed elsewhere never shift the next page.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine

from adapters.field_names import FieldNames
from adapters.forks import reset_after_fork
from adapters.keyset import (
    Spread,
    decode_cursor,
    encode_cursor,
    keyset_page,
    python_type,
    spread_of,
)
from adapters.nodes import NodeConfig
from adapters.protocol import (
    AdapterError,
    AdapterRequestError,
    AdapterTimeout,
    AdapterUnavailable,
    Health,
    Page,
    QueryRequest,
    Record,
)
from adapters.request_checks import MAX_SAFE_INTEGER, check_request

logger = logging.getLogger(__name__)

#: Seconds to wait for a database connection before the node counts as unavailable.
CONNECT_TIMEOUT = 5
#: The escape character of LIKE patterns built from a ``prefix`` filter.
LIKE_ESCAPE = "\\"


def database_url(template: str, data_dir: Path) -> URL:
    """The node's database URL: ``{data}`` is the data directory; SQLite files open read-only.

    Opening a SQLite file read-only means the adapter can never change a node's data, and a
    missing file is reported as unavailable instead of being created empty.
    """
    url = sa.make_url(template.replace("{data}", data_dir.as_posix()))
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:"):
        return url
    location = "file:" + quote(Path(database).absolute().as_posix())
    return url.set(database=location, query={**url.query, "mode": "ro", "uri": "true"})


def escape_like(text: str) -> str:
    """``text`` as a literal LIKE pattern: the escape character, ``%`` and ``_`` escaped."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def json_value(value: Any) -> Any:
    """A database value as a JSON value: decimals become numbers, dates ISO 8601 text."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


class _ValueMismatch(ValueError):
    """A filter value that cannot be compared with a column."""


def _bind_value(column: sa.ColumnElement[Any], value: Any) -> Any:
    """A filter value converted to the column's Python type, so the driver binds it exactly."""
    kind = python_type(column)
    if kind is None or kind is object:
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, bool):
            raise _ValueMismatch
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            # 1e300 is an integer to JSON Schema, but as a Python int it would overflow the
            # 64-bit parameter: beyond the exact range it is compared as the float it is.
            return int(value) if abs(value) <= MAX_SAFE_INTEGER else value
    elif kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    elif kind is Decimal:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
    elif kind is str:
        if isinstance(value, str):
            return value
    elif kind is dt.datetime:
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                pass
    elif kind is dt.date:
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
    else:
        return value
    raise _ValueMismatch


@dataclass(frozen=True, slots=True)
class Source:
    """One dataset's table, with its columns under catalogue names."""

    table: sa.Table
    #: catalogue name → column
    columns: Mapping[str, sa.Column[Any]]
    primary_key: tuple[sa.Column[Any], ...]

    @classmethod
    def of(cls, table: sa.Table, names: FieldNames) -> Source:
        columns: dict[str, sa.Column[Any]] = {}
        for column in table.columns:
            # Reflected names are SQLAlchemy's str subclass; records carry plain strings.
            name = names.catalogue_name(str(column.name))
            if name is not None:
                columns[str(name)] = column
        return cls(table, columns, tuple(table.primary_key.columns))


class SqlAdapter:
    """In-process adapter over a node's relational database (adapter kind ``sql``)."""

    def __init__(self, node: NodeConfig, *, data_dir: Path) -> None:
        self.node_id = node.id
        self._node = node
        self._url = database_url(str(node.adapter["url"]), data_dir)
        self._pool_size = node.adapter.get("poolSize")
        self._sources: dict[str, Source] = {}
        self._engine: Engine | None = None
        self._forget_engine()
        reset_after_fork(self._forget_engine)

    def _forget_engine(self) -> None:
        # A forked child opens its own connections; those inherited belong to the parent, so
        # they are left alone, never closed.
        self._lock = threading.Lock()
        if self._engine is not None:
            self._engine.dispose(close=False)
        self._engine = None

    def query(self, request: QueryRequest) -> Page:
        check_request(self.node_id, request, self._node.datasets)
        try:
            return self._query(request)
        except AdapterError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            raise self._failure(exc) from exc

    def health(self) -> Health:
        datasets = tuple(self._node.datasets)
        try:
            with self._engine_for_process().connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa_exc.SQLAlchemyError as exc:
            return Health("unavailable", datasets, self._failure(exc).message)
        except Exception:  # health answers, it does not raise
            logger.exception("health check of node %s failed", self.node_id)
            return Health("unavailable", datasets, "health check failed")
        return Health("ok", datasets)

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = None
            self._sources.clear()

    def _query(self, request: QueryRequest) -> Page:
        source = self._source(request.dataset)
        conditions, spread = self._conditions(source, request)
        wanted = self._projection(source, request.fields)
        key = source.primary_key
        selected = list(dict.fromkeys([*wanted.values(), *key]))
        if request.cursor is not None:
            try:
                after = decode_cursor(request.cursor, key)
            except ValueError:
                raise AdapterRequestError(
                    self.node_id, "the cursor is not one this node returned"
                ) from None
            bound = [sa.literal(v, type_=c.type) for c, v in zip(key, after, strict=True)]
            if len(key) == 1:
                conditions.append(key[0] > bound[0])
            else:
                conditions.append(sa.tuple_(*key) > sa.tuple_(*bound))
        statement = keyset_page(selected, conditions, key, request.limit + 1, spread)
        with self._engine_for_process().connect() as connection:
            rows = connection.execute(statement).all()
        next_cursor = None
        if len(rows) > request.limit:
            rows = rows[: request.limit]
            last = rows[-1]._mapping
            next_cursor = encode_cursor([last[c.name] for c in key])
        records: list[Record] = []
        for row in rows:
            mapping = row._mapping
            records.append({name: json_value(mapping[c.name]) for name, c in wanted.items()})
        return Page(records, next_cursor)

    def _conditions(
        self, source: Source, request: QueryRequest
    ) -> tuple[list[sa.ColumnElement[bool]], Spread | None]:
        """The filter as SQL conditions whose values are all bound parameters, less the ``in``
        that the page is spread over (see ``keyset_page``)."""
        spread = spread_of(source.columns, source.primary_key, request.filter)
        conditions: list[sa.ColumnElement[bool]] = []
        for name, ops in request.filter.items():
            column = source.columns.get(name)
            if column is None:
                raise AdapterRequestError(
                    self.node_id, f"dataset {request.dataset}: no field {name} to filter"
                )
            try:
                for op, operand in ops.items():
                    if spread is not None and (name, op) == (spread.name, "in"):
                        values = [_bind_value(column, item) for item in operand]
                        spread = Spread(name, column, tuple(dict.fromkeys(values)))
                        continue
                    conditions.append(self._condition(column, op, operand))
            except _ValueMismatch:
                message = f"dataset {request.dataset}: a value for {name} has the wrong type"
                raise AdapterRequestError(self.node_id, message) from None
        return conditions, spread

    @staticmethod
    def _condition(column: sa.Column[Any], op: str, operand: Any) -> sa.ColumnElement[bool]:
        if op == "eq":
            return column == _bind_value(column, operand)
        if op == "in":
            return column.in_([_bind_value(column, item) for item in operand])
        if op == "gte":
            return column >= _bind_value(column, operand)
        if op == "lte":
            return column <= _bind_value(column, operand)
        if op == "prefix":
            if python_type(column) not in (str, None):
                raise _ValueMismatch
            # The prefix is matched literally: %, _ and the escape character are escaped.
            return column.like(escape_like(operand) + "%", escape=LIKE_ESCAPE)
        raise ValueError(f"unknown operator {op!r}")

    def _projection(
        self, source: Source, fields: Sequence[str] | None
    ) -> dict[str, sa.Column[Any]]:
        if fields is None:
            return dict(source.columns)
        unknown = [name for name in fields if name not in source.columns]
        if unknown:
            raise AdapterRequestError(self.node_id, f"no field {', '.join(unknown)} to return")
        return {name: source.columns[name] for name in fields}

    def _source(self, dataset: str) -> Source:
        """The dataset's table, reflected on first use."""
        source = self._sources.get(dataset)
        if source is not None:
            return source
        spec = self._node.datasets[dataset]
        qualified = spec.source or dataset
        schema, _, name = qualified.rpartition(".")
        engine = self._engine_for_process()
        try:
            table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=engine)
        except sa_exc.NoSuchTableError:
            raise AdapterRequestError(self.node_id, f"dataset {dataset}: no table") from None
        if not table.primary_key.columns:
            # Keyset pagination needs a unique, ordered key.
            raise AdapterError(self.node_id, f"dataset {dataset}: the table has no primary key")
        source = Source.of(table, FieldNames.of(spec))
        with self._lock:
            return self._sources.setdefault(dataset, source)

    def _engine_for_process(self) -> Engine:
        """The node's engine, created on first use in this process (a forked child has its own)."""
        with self._lock:
            if self._engine is not None:
                return self._engine
            options: dict[str, Any] = {"pool_pre_ping": True}
            if self._pool_size is not None:
                options["pool_size"] = int(self._pool_size)
            if self._url.get_backend_name() == "postgresql":
                options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
            self._engine = sa.create_engine(self._url, **options)
            return self._engine

    def _failure(self, exc: sa_exc.SQLAlchemyError) -> AdapterError:
        """The adapter error for a database failure; the SQL and its values stay in the log."""
        logger.warning(
            "node %s: database failure: %s", self.node_id, type(exc).__name__, exc_info=exc
        )
        if isinstance(exc, sa_exc.TimeoutError):
            return AdapterTimeout(self.node_id, "no database connection free in time")
        if isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.DisconnectionError
        ):
            return AdapterUnavailable(self.node_id, "the database cannot be reached")
        if isinstance(exc, sa_exc.DataError):
            return AdapterRequestError(self.node_id, "a filter value does not fit its column")
        return AdapterError(self.node_id, "the database failed to answer")
