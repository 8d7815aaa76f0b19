"""What a filter of the adapter protocol means for one record
(docs/architecture.md#the-adapter-protocol).

Equality is typed, as in JSON: ``true`` never equals ``1``, and ``"1"`` never equals ``1``.
Ranges compare numbers with numbers and strings with strings (ISO dates then order correctly).
The file adapter answers queries with these rules, and the gateway holds every node's answer to
them: a record that does not match the filter it was asked for is a node lying.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.protocol import Filter

#: An index key: the JSON type travels with the value, so ``true`` never equals ``1``.
ValueKey = tuple[str, Any]


def value_key(value: Any) -> ValueKey | None:
    """The typed key under which a JSON scalar is indexed; None for arrays and objects."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if value is None:
        return ("null", None)
    return None


def _comparable(a: Any, b: Any) -> bool:
    """Numbers compare with numbers, strings with strings (ISO dates then order correctly)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    if isinstance(a, int | float) and isinstance(b, int | float):
        return True
    return isinstance(a, str) and isinstance(b, str)


def _holds(value: Any, op: str, operand: Any) -> bool:
    """Whether one record value satisfies one condition."""
    if op == "eq":
        key = value_key(value)
        return key is not None and key == value_key(operand)
    if op == "in":
        key = value_key(value)
        return key is not None and any(key == value_key(item) for item in operand)
    if op == "gte":
        return _comparable(value, operand) and value >= operand
    if op == "lte":
        return _comparable(value, operand) and value <= operand
    if op == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    raise ValueError(f"unknown operator {op!r}")


_MISSING = object()


def matches(record: Mapping[str, Any], filter: Filter) -> bool:
    """All conditions on all fields hold (several operators on one field are ANDed)."""
    for name, ops in filter.items():
        value = record.get(name, _MISSING)
        if value is _MISSING:
            return False
        for op, operand in ops.items():
            if not _holds(value, op, operand):
                return False
    return True
