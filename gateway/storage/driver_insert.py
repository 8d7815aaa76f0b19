"""An INSERT of a whole table row, compiled once from the table's definition for one database,
to run where SQLAlchemy's per-statement machinery costs more than the statement: on the pool's
DBAPI connection (``cursor.executemany``) or through ``Connection.exec_driver_sql``.

The statement names every column of the table in its order, with the database driver's own
parameter style; ``parameters`` turns a row (a mapping of column names) into what that driver
takes, each value passed through its column type's bind processing (an ``Instant`` becomes UTC,
and on SQLite the text SQLAlchemy stores it as), so a row written here reads back exactly as
one written by ``insert(table)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Table, insert

__all__ = ["DriverInsert"]


class DriverInsert:
    def __init__(self, table: Table, dialect: Dialect) -> None:
        compiled = insert(table).compile(dialect=dialect)
        #: The SQL text, in the driver's parameter style.
        self.sql = str(compiled)
        self._positional = compiled.positional
        self._names: Sequence[str] = (
            tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
        )
        processors: dict[str, Callable[[Any], Any]] = {}
        for column in table.columns:
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[column.key] = processor
        self._fields = tuple((name, processors.get(name)) for name in self._names)

    def parameters(self, row: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """``row`` as the driver takes it; a column the row leaves out is NULL."""
        values = []
        for name, processor in self._fields:
            value = row.get(name)
            values.append(value if processor is None or value is None else processor(value))
        return tuple(values) if self._positional else dict(zip(self._names, values, strict=True))

    def many(self, rows: Iterable[Mapping[str, Any]]) -> list[Sequence[Any] | dict[str, Any]]:
        """Each row as the driver takes it, for ``executemany``."""
        return [self.parameters(row) for row in rows]
