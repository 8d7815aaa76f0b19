"""The adapter protocol: how the gateway asks one node for records
(docs/architecture.md#the-adapter-protocol).

In-process adapters (file, sql) and the remote one (http) implement the same protocol, so routing
does not care where a node runs. Filters arrive normalised (``{field: {op: value}}``) and in
catalogue field names; each adapter maps them to its node's local names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

#: The filter operators of the adapter protocol.
OPERATORS = frozenset({"eq", "in", "gte", "lte", "prefix"})

Filter = Mapping[str, Mapping[str, Any]]
Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """One query to one node, in catalogue field names."""

    dataset: str
    filter: Filter = field(default_factory=dict)
    fields: tuple[str, ...] | None = None
    limit: int = 100
    cursor: str | None = None
    #: Correlation id of the gateway exchange; travels as the ``X-Exchange-Id`` header.
    exchange_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The wire body of ``POST /query``."""
        return {
            "dataset": self.dataset,
            "filter": {name: dict(ops) for name, ops in self.filter.items()},
            "fields": list(self.fields) if self.fields is not None else None,
            "limit": self.limit,
            "cursor": self.cursor,
        }


@dataclass(frozen=True, slots=True)
class Page:
    """One page of records from one node, and where the next page starts."""

    records: Sequence[Record]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Health:
    status: str  # "ok" or "unavailable"
    datasets: tuple[str, ...] = ()
    detail: str | None = None


class AdapterError(Exception):
    """A node could not answer. ``status`` is the source status the envelope reports."""

    status = "error"

    def __init__(self, node: str, message: str) -> None:
        super().__init__(f"{node}: {message}")
        self.node = node
        self.message = message


class AdapterTimeout(AdapterError):
    status = "timeout"


class AdapterUnavailable(AdapterError):
    status = "unavailable"


class AdapterRequestError(AdapterError):
    """The request itself is not acceptable to the node (unknown dataset or field, bad cursor)."""

    status = "error"


@runtime_checkable
class Adapter(Protocol):
    """A node's records, reachable in-process or over the adapter protocol."""

    node_id: str

    def query(self, request: QueryRequest) -> Page: ...

    def health(self) -> Health: ...

    def close(self) -> None: ...


def normalise_filter(raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{field: value}`` means ``{field: {"eq": value}}``; anything else must name operators."""
    out: dict[str, dict[str, Any]] = {}
    for name, condition in raw.items():
        if isinstance(condition, Mapping):
            unknown = set(condition) - OPERATORS
            if unknown or not condition:
                raise ValueError(f"filter on {name!r}: unknown operator {sorted(unknown)}")
            out[name] = dict(condition)
        else:
            out[name] = {"eq": condition}
    return out
