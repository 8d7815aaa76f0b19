"""Record validation against a dataset's schema, compiled once and reused, and what every check
of the catalogue shares: issues, compiled validators, the I-JSON value rule (filters are checked
in catalog/filters.py).

Record validation runs for every record a node returns, so a dataset's validators are compiled
once, when it is first used (and once per projection, cached). Callers only see
:class:`ValidationIssue` lists, which keeps the engine behind them replaceable.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import ValidationError, best_match

from catalog.formats import FORMAT_CHECKER, FORMAT_NAMES, FORMAT_PREDICATES, FormatProblem
from catalog.issues import CatalogIssue, json_path

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


def deduplicated(issues: Iterable[ValidationIssue]) -> list[ValidationIssue]:
    return list(dict.fromkeys(issues))


def fast_validator(schema: Mapping[str, Any]) -> Any:
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
        self._full = (compile_validator(self._schema), fast_validator(self._schema))
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
        return compile_validator(schema), fast_validator(schema)

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
        return deduplicated(issues)


def records_issues(
    record_schema: Mapping[str, Any], records: Sequence[object]
) -> Iterator[tuple[int, ValidationIssue]]:
    """(index, issue) for each way each record does not conform to ``record_schema``.

    For records checked once (an entry's examples, at load): the compiled validator alone
    judges them, and the full validators are made only to explain a record it refuses.
    """
    if not records:
        return
    fast = fast_validator(record_schema)
    full: RecordValidator | None = None
    for index, record in enumerate(records):
        if value_issue(record) is None:
            try:
                if fast.is_valid(record):
                    continue
            except (ValueError, TypeError):
                pass  # not JSON data: the full validator says what is wrong
        full = full or RecordValidator(record_schema)
        for issue in full.errors(record):
            yield index, issue


def json_types(schema_type: str | Sequence[str] | None) -> tuple[str, ...]:
    """A field's ``type`` keyword as a tuple of JSON type names."""
    if schema_type is None:
        return ()
    return (schema_type,) if isinstance(schema_type, str) else tuple(schema_type)


def packaged_schema(name: str) -> dict[str, Any]:
    """One of the JSON Schemas shipped in ``catalog/schema/`` (``name``: its file name)."""
    text = (resources.files("catalog") / "schema" / name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def document_issues(schema: Mapping[str, Any], document: Any, file: str) -> list[CatalogIssue]:
    """Where a catalogue document (the region registry, the taxonomy) breaks its schema."""
    return [
        CatalogIssue(file, issue.path, issue.message)
        for error in compile_validator(schema).iter_errors(document)
        for issue in schema_error_issues(error, abbreviate=False)
    ]
