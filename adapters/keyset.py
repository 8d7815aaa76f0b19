"""Keyset pages of a SQL table: the opaque cursor holding the last key of a page, and the
statement that reads the next page from an index (docs/deployment.md#sql-nodes-at-scale).

A page is ``WHERE … AND key > :after ORDER BY key LIMIT n``: no OFFSET that reads the rows
before it, no count of the table; rows added or removed elsewhere never shift the next page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from adapters.protocol import Filter
from adapters.request_checks import is_scalar

#: Most values of an ``in`` condition a page is read as one index range per value of.
MAX_SPREAD = 64


def python_type(column: sa.ColumnElement[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _cursor_value(value: Any) -> Any:
    if isinstance(value, Decimal | dt.date | dt.time | uuid.UUID):
        return str(value)
    return value


def _from_cursor(column: sa.ColumnElement[Any], value: Any) -> Any:
    kind = python_type(column)
    if isinstance(value, str) and kind in (Decimal, dt.date, dt.datetime, dt.time, uuid.UUID):
        if kind is dt.date:
            return dt.date.fromisoformat(value)
        if kind is dt.datetime:
            return dt.datetime.fromisoformat(value)
        if kind is dt.time:
            return dt.time.fromisoformat(value)
        if kind is uuid.UUID:
            return uuid.UUID(value)
        return Decimal(value)
    return value


def encode_cursor(key: Sequence[Any]) -> str:
    """An opaque cursor holding the primary key of the last record of a page."""
    text = json.dumps([_cursor_value(v) for v in key], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, key: Sequence[sa.ColumnElement[Any]]) -> list[Any]:
    """The primary key a cursor holds; ValueError when it is not a cursor of this table."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a cursor") from exc
    if not isinstance(values, list) or len(values) != len(key):
        raise ValueError("not a cursor of this table")
    if not all(value is None or is_scalar(value) for value in values):
        # A number no column can hold would overflow the bound parameter.
        raise ValueError("not a cursor of this table")
    try:
        return [_from_cursor(column, v) for column, v in zip(key, values, strict=True)]
    except (ValueError, InvalidOperation) as exc:
        raise ValueError("not a cursor of this table") from exc


@dataclass(frozen=True, slots=True)
class Spread:
    """An ``in`` condition a page is read as one index range per value of."""

    name: str
    column: sa.Column[Any]
    values: tuple[Any, ...] = ()


def spread_of(
    columns: Mapping[str, sa.Column[Any]], key: Sequence[sa.Column[Any]], filter: Filter
) -> Spread | None:
    """The ``in`` condition worth one index range per value: the one with most values (2 to
    ``MAX_SPREAD``) on a column other than the key, unless the key itself is filtered for
    equality (then the page holds a few rows at most)."""
    key_names = {str(c.name) for c in key}
    best: Spread | None = None
    width = 1
    for name, ops in filter.items():
        column = columns.get(name)
        if column is None:
            return None  # the request error is raised with the conditions
        if str(column.name) in key_names:
            if "eq" in ops or "in" in ops:
                return None
            continue
        values = ops.get("in")
        if isinstance(values, list | tuple) and width < len(values) <= MAX_SPREAD:
            best, width = Spread(name, column), len(values)
    return best


def keyset_page(
    selected: Sequence[sa.ColumnElement[Any]],
    conditions: Sequence[sa.ColumnElement[bool]],
    key: Sequence[sa.Column[Any]],
    limit: int,
    spread: Spread | None,
) -> sa.Select[Any]:
    """``WHERE … AND key > :after ORDER BY key LIMIT n``: an ordered index range read up to
    ``n`` rows, never an OFFSET nor a count.

    A condition ``field IN (a, b, …)`` cannot be read in key order from one index on
    ``(field, key)``, and reading the key index for the matching rows may pass millions of
    others (keys such as USCCs begin with the region). So each value gets its own range — one
    ``SELECT … WHERE field = :a … ORDER BY key LIMIT n`` per value — and the ranges are merged
    by key (UNION ALL under ORDER BY … LIMIT; PostgreSQL plans a Merge Append), reading at most
    ``n`` rows per value (docs/deployment.md#sql-nodes-at-scale).
    """
    if spread is None or not spread.values:
        return sa.select(*selected).where(*conditions).order_by(*key).limit(limit)
    ranges = [
        sa.select(
            sa.select(*selected)
            .where(*conditions, spread.column == value)
            .order_by(*key)
            .limit(limit)
            .subquery()
        )
        for value in spread.values
    ]
    merged = sa.union_all(*ranges).subquery()
    return sa.select(*merged.columns).order_by(*(merged.c[str(c.name)] for c in key)).limit(limit)
