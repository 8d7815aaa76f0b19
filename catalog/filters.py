"""Filter validation: what a query's filter may hold, field by field and operator by operator,
against a dataset's querySchema, and query-string text turned into the field's JSON type. Every
value goes on to the nodes' databases, so the limits here are also theirs."""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema

from catalog.issues import json_path
from catalog.validation import (
    ValidationIssue,
    compile_validator,
    deduplicated,
    fast_validator,
    json_types,
    schema_error_issues,
    value_issue,
)

#: Filter operators of the adapter protocol, in the order messages list them.
FILTER_OPERATORS = ("eq", "in", "gte", "lte", "prefix")
#: The most values one ``in`` condition may list.
MAX_IN_VALUES = 100
#: The longest ``prefix`` a filter may give: longer than any code a field's pattern describes,
#: and far below the length at which a database refuses a LIKE pattern (SQLite: 50,000 bytes).
MAX_PREFIX_LENGTH = 200
#: A filter's text goes to the nodes' databases, and PostgreSQL text cannot hold NUL: such a
#: value failed the node (and a node that keeps failing is cut off by its breaker).
NUL = "\x00"
NUL_MESSAGE = "text must not hold NUL (U+0000)"


def prefix_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    """What a ``prefix`` condition on a string field takes: no longer than the field's values (a
    longer prefix matches nothing) nor than MAX_PREFIX_LENGTH. A pattern past a database's limit
    fails the node, and a node that keeps failing is cut off from every caller by its breaker."""
    longest = min(int(field.get("maxLength", MAX_PREFIX_LENGTH)), MAX_PREFIX_LENGTH)
    return {"type": "string", "minLength": 1, "maxLength": longest}


class FilterValidator:
    """Checks normalised filters ``{field: {op: value}}`` against a dataset's querySchema."""

    def __init__(
        self, record_schema: Mapping[str, Any], filters: Mapping[str, Sequence[str]]
    ) -> None:
        properties: Mapping[str, Any] = record_schema.get("properties", {})
        defs = record_schema.get("$defs")
        self._fields = frozenset(properties)
        self._allowed = {name: tuple(ops) for name, ops in filters.items()}
        self._values: dict[str, jsonschema.protocols.Validator] = {}
        self._fast: dict[str, Any] = {}
        self._longest_prefix: dict[str, int] = {}
        for name in filters:
            if name in properties:
                self._longest_prefix[name] = prefix_schema(properties[name])["maxLength"]
                # Local "#/$defs/..." references inside a field schema must still resolve.
                schema = copy.deepcopy(dict(properties[name]))
                if defs is not None:
                    schema = {"$defs": copy.deepcopy(defs), **schema}
                self._values[name] = compile_validator(schema)
                self._fast[name] = fast_validator(schema)

    def errors(self, filter: object) -> list[ValidationIssue]:
        """Why the filter is not acceptable: field, operator and every value are checked."""
        if not isinstance(filter, Mapping):
            return [ValidationIssue("$.filter", "must be an object {field: {operator: value}}")]
        issues: list[ValidationIssue] = []
        for name, condition in filter.items():
            issues.extend(self._condition_errors(str(name), condition))
        return issues

    def _condition_errors(self, name: str, condition: object) -> list[ValidationIssue]:
        path = ["filter", name]
        if name not in self._allowed:
            if name in self._fields:
                allowed = ", ".join(self._allowed) or "none"
                message = f"filtering on {name!r} is not allowed (filterable fields: {allowed})"
            else:
                message = f"{name!r} is not a field of this dataset"
                close = difflib.get_close_matches(name, list(self._allowed), n=1)
                if close:
                    message += f" (did you mean {close[0]!r}?)"
            return [ValidationIssue(json_path(path), message)]
        if not isinstance(condition, Mapping) or not condition:
            return [ValidationIssue(json_path(path), "must be an object {operator: value}")]
        issues: list[ValidationIssue] = []
        for op, value in condition.items():
            op_path = [*path, op]
            if op not in FILTER_OPERATORS:
                known = ", ".join(FILTER_OPERATORS)
                message = f"unknown operator {op!r} (operators: {known})"
                issues.append(ValidationIssue(json_path(op_path), message))
            elif op not in self._allowed[name]:
                allowed = ", ".join(self._allowed[name])
                message = f"operator {op!r} is not allowed on {name!r} (allowed: {allowed})"
                issues.append(ValidationIssue(json_path(op_path), message))
            elif op == "in":
                issues.extend(self._in_errors(name, value, op_path))
            elif op == "prefix":
                longest = self._longest_prefix.get(name, MAX_PREFIX_LENGTH)
                if not isinstance(value, str) or not value:
                    issues.append(ValidationIssue(json_path(op_path), "must be a non-empty string"))
                elif len(value) > longest:
                    message = f"must be at most {longest} characters long"
                    issues.append(ValidationIssue(json_path(op_path), message))
                elif NUL in value:
                    issues.append(ValidationIssue(json_path(op_path), NUL_MESSAGE))
            else:
                issues.extend(self._value_errors(name, value, op_path))
        return issues

    def _in_errors(self, name: str, values: object, path: list[object]) -> list[ValidationIssue]:
        if not isinstance(values, list | tuple) or not 1 <= len(values) <= MAX_IN_VALUES:
            message = f"must be a non-empty array of at most {MAX_IN_VALUES} values"
            return [ValidationIssue(json_path(path), message)]
        issues: list[ValidationIssue] = []
        for index, value in enumerate(values):
            issues.extend(self._value_errors(name, value, [*path, index]))
        return issues

    def _value_errors(self, name: str, value: object, path: list[object]) -> list[ValidationIssue]:
        unfit = value_issue(value)
        if unfit is None and isinstance(value, str) and NUL in value:
            unfit = NUL_MESSAGE
        if unfit is not None:
            return [ValidationIssue(json_path(path), unfit)]
        try:
            if self._fast[name].is_valid(value):
                return []
        except (ValueError, TypeError):
            pass  # not JSON data: the full validator explains
        issues: list[ValidationIssue] = []
        for error in self._values[name].iter_errors(value):
            issues.extend(schema_error_issues(error, prefix=path))
        return deduplicated(issues)


_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]{1,30}$", re.ASCII)
_NUMBER_TEXT = re.compile(r"^[+-]?[0-9]{1,30}(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?$", re.ASCII)


def coerce_text(schema_type: str | Sequence[str] | None, text: str) -> Any:
    """Turn query-string text into a value of the field's JSON type; ValueError says why not."""
    types = json_types(schema_type)
    if not types or "string" in types:
        return text
    if "null" in types and text == "null":
        return None
    if ("integer" in types or "number" in types) and _INTEGER_TEXT.match(text):
        integer = int(text)
        if value_issue(integer) is not None:
            raise ValueError(f"{text!r} is out of range")
        return integer
    if "number" in types and _NUMBER_TEXT.match(text):
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"{text!r} is out of range")
        return number
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if "number" in types:
        raise ValueError(f"{text!r} is not a number")
    if "integer" in types:
        raise ValueError(f"{text!r} is not an integer")
    if "boolean" in types:
        raise ValueError(f"{text!r} is not a boolean (true or false)")
    raise ValueError(f"a value of type {'/'.join(types)} cannot be given as text")
