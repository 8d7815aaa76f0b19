"""Record and filter validation against a dataset's schemas, compiled once and reused.

Record validation runs for every record a node returns, so validators are compiled when the
catalogue loads (and once per projection, cached). Callers only see :class:`ValidationIssue`
lists, which keeps the engine behind them replaceable.
"""

from __future__ import annotations

import copy
import difflib
import functools
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import ValidationError, best_match

from catalog.formats import FORMAT_CHECKER, FORMAT_NAMES, FORMAT_PREDICATES, FormatProblem
from catalog.issues import json_path

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
#: How many projections' validators one dataset keeps compiled.
PROJECTION_CACHE_SIZE = 256


#: I-JSON (RFC 7493 §2.2): integers beyond ±(2**53 − 1) do not survive every JSON parser, nor a
#: 64-bit database parameter once arithmetic is done on them; such numbers are refused.
MAX_SAFE_INTEGER = 2**53 - 1


def value_issue(value: object) -> str | None:
    """Why a JSON value holds something the gateway could not carry on (None: nothing): a
    non-finite number, an integer outside the I-JSON range, or a lone UTF-16 surrogate, which
    is not a Unicode character (RFC 8259 §8.2). Lists and objects are searched.

    Every record a node returns passes through here, hence one loop rather than recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return "text must not hold an unpaired UTF-16 surrogate"
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "numbers must be finite"
        elif isinstance(item, int):
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return f"integers must lie within ±{MAX_SAFE_INTEGER} (RFC 7493 §2.2)"
        elif isinstance(item, Mapping):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return None


def prefix_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    """What a ``prefix`` condition on a string field takes: no longer than the field's values (a
    longer prefix matches nothing) nor than MAX_PREFIX_LENGTH. A pattern past a database's limit
    fails the node, and a node that keeps failing is cut off from every caller by its breaker."""
    longest = min(int(field.get("maxLength", MAX_PREFIX_LENGTH)), MAX_PREFIX_LENGTH)
    return {"type": "string", "minLength": 1, "maxLength": longest}


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One reason a record or request is not acceptable, located by JSON path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def shown(value: object) -> str:
    """A short rendering of a value for a message: long strings are cut, containers elided.

    Records carry personal data, and messages end up in logs and problem details; four characters
    are enough to recognise a value without disclosing it.
    """
    if isinstance(value, str):
        return repr(value[:4] + "...") if len(value) > 8 else repr(value)
    if isinstance(value, list):
        return "[...]" if value else "[]"
    if isinstance(value, dict):
        return "{...}" if value else "{}"
    return repr(value)


def compile_validator(schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    """A 2020-12 validator for ``schema`` that asserts the catalogue's formats."""
    return jsonschema.Draft202012Validator(dict(schema), format_checker=FORMAT_CHECKER)


def _unexpected_default(parts: Sequence[object]) -> str:
    return "unexpected property"


def _extra_properties(error: ValidationError) -> list[str]:
    instance = error.instance
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if not isinstance(instance, Mapping):
        return []
    known = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [
        str(name)
        for name in instance
        if name not in known and not any(p.search(str(name)) for p in patterns)
    ]


def schema_error_issues(
    error: ValidationError,
    *,
    prefix: Sequence[object] = (),
    abbreviate: bool = True,
    unexpected: Callable[[Sequence[object]], str] = _unexpected_default,
) -> list[ValidationIssue]:
    """Turn one jsonschema error into issues that name the exact JSON path.

    A missing property is reported at the property's own path, each unexpected property at its
    own path; with ``abbreviate`` the offending value is shortened (see :func:`shown`).
    """
    if error.validator in ("anyOf", "oneOf") and error.context:
        # The branch that came closest says more than "not valid under any of the given schemas".
        return schema_error_issues(
            best_match(error.context),
            prefix=prefix,
            abbreviate=abbreviate,
            unexpected=unexpected,
        )
    parts = [*prefix, *error.absolute_path]
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if isinstance(schema.get("errorMessage"), str):
        return [ValidationIssue(json_path(parts), schema["errorMessage"])]
    if error.validator == "required":
        for name in error.validator_value:
            if error.message == f"{name!r} is a required property":
                return [ValidationIssue(json_path([*parts, name]), "required property is missing")]
    if error.validator == "additionalProperties" and error.validator_value is False:
        extras = _extra_properties(error)
        if extras:
            return [
                ValidationIssue(json_path([*parts, name]), unexpected([*parts, name]))
                for name in extras
            ]
    instance = error.instance
    if error.validator == "format" and isinstance(error.cause, FormatProblem):
        name = FORMAT_NAMES.get(str(error.validator_value), str(error.validator_value))
        value = shown(instance) if abbreviate else repr(instance)
        return [ValidationIssue(json_path(parts), f"{value} is not a valid {name} ({error.cause})")]
    message = error.message
    if abbreviate:
        message = message.replace(repr(instance), shown(instance))
    return [ValidationIssue(json_path(parts), message)]


def unknown_property_message(name: str, allowed: Iterable[str]) -> str:
    """'unknown property', with a suggestion when the name looks like a typo of an allowed one."""
    close = difflib.get_close_matches(name, list(allowed), n=1)
    return f"unknown property (did you mean {close[0]!r}?)" if close else "unknown property"


def _dedupe(issues: Iterable[ValidationIssue]) -> list[ValidationIssue]:
    return list(dict.fromkeys(issues))


def _fast_validator(schema: Mapping[str, Any]) -> Any:
    """A compiled (Rust) validator with the catalogue's formats.

    It only answers "valid or not": every record goes through it, and only a record it refuses
    goes through the jsonschema validator, whose errors say precisely what is wrong.
    """
    return jsonschema_rs.validator_for(
        dict(schema), formats=FORMAT_PREDICATES, validate_formats=True, ignore_unknown_formats=False
    )


class RecordValidator:
    """Compiled validators of one record schema: the full schema and one per projection."""

    def __init__(self, record_schema: Mapping[str, Any]) -> None:
        # A private copy: the compiled validators must not change if a caller edits the entry.
        self._schema: dict[str, Any] = copy.deepcopy(dict(record_schema))
        self._properties = frozenset(self._schema.get("properties", {}))
        self._full = (compile_validator(self._schema), _fast_validator(self._schema))
        self._projected = functools.lru_cache(maxsize=PROJECTION_CACHE_SIZE)(self._compile)
        # The validators of the field sets callers passed, by the set itself: one exchange
        # validates all its records against one frozenset, hashed once.
        self._by_fields: dict[frozenset[str], tuple[jsonschema.protocols.Validator, Any]] = {}

    def _compile(self, projection: frozenset[str]) -> tuple[jsonschema.protocols.Validator, Any]:
        properties = self._schema.get("properties", {})
        schema = {
            **self._schema,
            "properties": {name: s for name, s in properties.items() if name in projection},
            "required": [name for name in self._schema.get("required", []) if name in projection],
            "additionalProperties": False,
        }
        return compile_validator(schema), _fast_validator(schema)

    def _validators(
        self, fields: Collection[str] | None
    ) -> tuple[jsonschema.protocols.Validator, Any]:
        if fields is None:
            return self._full
        if type(fields) is frozenset:
            found = self._by_fields.get(fields)
            if found is None:
                if len(self._by_fields) >= PROJECTION_CACHE_SIZE:
                    self._by_fields.clear()
                found = self._by_fields[fields] = self._validators(tuple(fields))
            return found
        projection = frozenset(fields) & self._properties
        if projection == self._properties:
            return self._full
        return self._projected(projection)

    def validator_for(self, fields: Collection[str] | None) -> jsonschema.protocols.Validator:
        """The compiled validator for a projection (None: every field)."""
        return self._validators(fields)[0]

    def errors(
        self, record: object, fields: Collection[str] | None = None
    ) -> list[ValidationIssue]:
        """Why ``record`` does not conform; with ``fields``, only those may (and must) appear."""
        # NaN, Infinity, a huge integer or a lone surrogate passes JSON Schema, but could not be
        # carried on to the caller.
        unfit = value_issue(record)
        if unfit is not None:
            return [ValidationIssue("$", unfit)]
        validator, fast = self._validators(fields)
        try:
            if fast.is_valid(record):
                return []
        except (ValueError, TypeError):
            pass  # a value that is not JSON data at all: the full validator says what is wrong
        errors = list(validator.iter_errors(record))
        if not errors:
            return []

        def unexpected(parts: Sequence[object]) -> str:
            if len(parts) == 1 and parts[0] in self._properties:
                return "field was not requested (outside the projection)"
            if len(parts) == 1:
                return "not a field of this dataset"
            return "unexpected property"

        issues: list[ValidationIssue] = []
        for error in errors:
            issues.extend(schema_error_issues(error, unexpected=unexpected))
        return _dedupe(issues)


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
                self._fast[name] = _fast_validator(schema)

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
        return _dedupe(issues)


_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]{1,30}$", re.ASCII)
_NUMBER_TEXT = re.compile(r"^[+-]?[0-9]{1,30}(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,4})?$", re.ASCII)


def json_types(schema_type: str | Sequence[str] | None) -> tuple[str, ...]:
    """A field's ``type`` keyword as a tuple of JSON type names."""
    if schema_type is None:
        return ()
    return (schema_type,) if isinstance(schema_type, str) else tuple(schema_type)


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
