"""The SQL a SQL adapter really runs, and how PostgreSQL plans it.

``statements()`` records every statement SQLAlchemy sends while it is open (an engine event,
so the adapter's own SQL and bound values, not a copy of it); ``scans()`` asks PostgreSQL for
the plan of one (``EXPLAIN (FORMAT JSON)``) and lists the scans in it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    parameters: Any


@dataclass(frozen=True, slots=True)
class Scan:
    """One scan node of a plan: ``Index Scan``, ``Index Only Scan``, ``Seq Scan`` …"""

    node_type: str
    relation: str | None
    index: str | None
    #: What the scan tests each row it read for (rows read and dropped); None: nothing.
    filter: str | None = None

    def __str__(self) -> str:
        using = f" using {self.index}" if self.index else ""
        dropped = f" (filter {self.filter})" if self.filter else ""
        return f"{self.node_type} on {self.relation}{using}{dropped}"


@contextmanager
def statements() -> Iterator[list[Statement]]:
    """The statements every engine executes inside the block, in order."""
    seen: list[Statement] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        seen.append(Statement(statement, parameters))

    sa.event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(Engine, "before_cursor_execute", record)


def _walk(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _walk(child)


def scans(url: str, statement: Statement) -> list[Scan]:
    """The scan nodes of the statement's plan on the database at ``url``."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            explained = conn.exec_driver_sql(
                "EXPLAIN (FORMAT JSON) " + statement.sql, statement.parameters
            ).scalar_one()
    finally:
        engine.dispose()
    return [
        Scan(
            node["Node Type"],
            node.get("Relation Name"),
            node.get("Index Name"),
            node.get("Filter"),
        )
        for node in _walk(explained[0]["Plan"])
        if "Relation Name" in node
    ]
