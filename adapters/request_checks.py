"""Shape checks of a query request that every adapter and the adapter server apply alike."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.protocol import OPERATORS, AdapterRequestError, QueryRequest

#: The largest page one query may ask a node for (docs/architecture.md#the-adapter-protocol: limit
#: 1..1000).
MAX_LIMIT = 1000
#: The most values one ``in`` condition may list.
MAX_IN_VALUES = 1000
#: Cursors are opaque but short; anything longer is not one of ours.
MAX_CURSOR_LENGTH = 1000
#: I-JSON (RFC 7493 §2.2), as the catalogue has it: a larger integer would overflow a database's
#: bound parameter (SQLite and PostgreSQL hold 64 bits) and does not survive every JSON parser.
MAX_SAFE_INTEGER = 2**53 - 1


@dataclass(frozen=True, slots=True)
class RequestIssue:
    """One problem with a query request, located by the JSON path of the wire body."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    return isinstance(value, float) and math.isfinite(value)


def is_scalar(value: Any) -> bool:
    """A string, boolean, finite number, or integer within the I-JSON range."""
    return isinstance(value, str | bool) or _is_number(value)


#: What a value that is not a scalar is told.
NOT_SCALAR = "must be a string, boolean, or number within the JSON range"


def _condition_issues(path: str, op: str, value: Any) -> list[RequestIssue]:
    if op == "eq" and not is_scalar(value):
        return [RequestIssue(path, NOT_SCALAR)]
    if op in ("gte", "lte") and not (isinstance(value, str) or _is_number(value)):
        return [RequestIssue(path, "must be a string or a number within the JSON range")]
    if op == "prefix" and not (isinstance(value, str) and value):
        return [RequestIssue(path, "must be a non-empty string")]
    if op == "in":
        if not isinstance(value, list | tuple) or not value:
            return [RequestIssue(path, "must be a non-empty array")]
        if len(value) > MAX_IN_VALUES:
            return [RequestIssue(path, f"must list at most {MAX_IN_VALUES} values")]
        return [
            RequestIssue(f"{path}[{i}]", NOT_SCALAR)
            for i, item in enumerate(value)
            if not is_scalar(item)
        ]
    return []


def filter_issues(raw: Any) -> list[RequestIssue]:
    """Problems with a normalised filter ``{field: {op: value}}``."""
    if not isinstance(raw, Mapping):
        return [RequestIssue("$.filter", "must be an object")]
    issues: list[RequestIssue] = []
    for name, ops in raw.items():
        path = f"$.filter.{name}"
        if not isinstance(name, str) or not name:
            issues.append(RequestIssue("$.filter", "field names must be non-empty strings"))
        elif not isinstance(ops, Mapping) or not ops:
            issues.append(RequestIssue(path, "must name at least one operator"))
        else:
            for op, value in ops.items():
                if op not in OPERATORS:
                    allowed = ", ".join(sorted(OPERATORS))
                    issues.append(RequestIssue(f"{path}.{op}", f"unknown operator; use {allowed}"))
                else:
                    issues.extend(_condition_issues(f"{path}.{op}", op, value))
    return issues


def request_issues(request: QueryRequest, datasets: Collection[str]) -> list[RequestIssue]:
    """Everything wrong with a request to a node serving ``datasets``; empty when it is fine."""
    issues: list[RequestIssue] = []
    if not isinstance(request.dataset, str) or not request.dataset:
        issues.append(RequestIssue("$.dataset", "must be a dataset id"))
    elif request.dataset not in datasets:
        issues.append(RequestIssue("$.dataset", "dataset is not served by this node"))
    limit = request.limit
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        issues.append(RequestIssue("$.limit", f"must be an integer from 1 to {MAX_LIMIT}"))
    cursor = request.cursor
    if cursor is not None and not (
        isinstance(cursor, str) and 0 < len(cursor) <= MAX_CURSOR_LENGTH
    ):
        issues.append(RequestIssue("$.cursor", "must be null or a cursor this node returned"))
    fields = request.fields
    if fields is not None:
        if not isinstance(fields, tuple | list) or not fields:
            issues.append(RequestIssue("$.fields", "must be null or a non-empty array of names"))
        elif not all(isinstance(name, str) and name for name in fields):
            issues.append(RequestIssue("$.fields", "field names must be non-empty strings"))
        elif len(set(fields)) != len(fields):
            issues.append(RequestIssue("$.fields", "field names must be unique"))
    issues.extend(filter_issues(request.filter))
    return issues


def check_request(node_id: str, request: QueryRequest, datasets: Collection[str]) -> None:
    """Raise ``AdapterRequestError`` naming every problem of the request, if it has any."""
    issues = request_issues(request, datasets)
    if issues:
        raise AdapterRequestError(node_id, "; ".join(str(issue) for issue in issues))
