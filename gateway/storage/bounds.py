"""The lengths text columns hold: PostgreSQL refuses a longer value (SQLite stores it), so input
is checked against them before it is written, and refused as the caller's mistake."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import String, Table


def column_length(table: Table, column: str) -> int | None:
    """The most characters ``table.column`` holds; None when it is unbounded."""
    column_type = table.c[column].type
    return column_type.length if isinstance(column_type, String) else None


def can_hold(table: Table, column: str, value: str) -> bool:
    """Whether ``table.column`` could hold this text: a value it cannot store (too long, or with
    a NUL byte, which PostgreSQL refuses even in a query) matches no row, so a lookup answers
    "not found" without asking the database."""
    limit = column_length(table, column)
    return "\x00" not in value and (limit is None or len(value) <= limit)


def overlong(table: Table, values: Mapping[str, str | None]) -> list[str]:
    """One message per value longer than its column holds; ``values`` are named as the API
    names them (``legalBasis`` for the column ``legal_basis``)."""
    messages = []
    for name, value in values.items():
        limit = column_length(table, re.sub(r"([A-Z])", r"_\1", name).lower())
        if value is not None and limit is not None and len(value) > limit:
            messages.append(f"{name} is longer than {limit} characters")
    return messages
