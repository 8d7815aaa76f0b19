"""What a request schema of /openapi.json accepts, as Hypothesis strategies, and where in a body
it takes strings: the valid bodies that hostile input is planted in
(tests/gateway/test_hostile_json_properties.py).

Only what the gateway's request schemas use is drawn (types, enum, const, properties, items,
lengths, bounds, anchored patterns, anyOf/oneOf, allOf, $ref); every drawn value is checked
with jsonschema against the document, so a keyword this does not know costs examples, never
validity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

Schema = Mapping[str, Any]

#: Letters and digits of every script (Chinese included): never a control character, a quote
#: or a lone surrogate, so a drawn value is hostile only where a test plants something.
TEXT = st.characters(categories=("L", "Nd"))
#: Bounds that keep drawn bodies small; a test that wants size asks for it.
MAX_TEXT, MAX_ITEMS, MAX_EXTRA_KEYS = 12, 3, 3


def valid_values(schema: Schema, document: Schema) -> st.SearchStrategy[Any]:
    """Values that ``schema`` (a schema of ``document``, whose $refs point into it) accepts."""
    validator = Draft202012Validator({**schema, "components": document.get("components", {})})
    return _values(schema, document).filter(validator.is_valid)


def _resolve(document: Schema, ref: str) -> Schema:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def resolved(document: Schema, node: Schema) -> Schema:
    """What a node of the document stands for: its $ref followed, to the end of the chain."""
    while "$ref" in node:
        node = _resolve(document, str(node["$ref"]))
    return node


def _values(schema: Schema, document: Schema) -> st.SearchStrategy[Any]:
    if "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return _values({**_resolve(document, schema["$ref"]), **rest}, document)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            rest = {k: v for k, v in schema.items() if k != keyword}
            return st.one_of([_values({**rest, **branch}, document) for branch in schema[keyword]])
    kind = schema.get("type") or _implied_type(schema)
    if isinstance(kind, list):
        return st.one_of([_values({**schema, "type": one}, document) for one in kind])
    if kind == "object":
        return _objects(schema, document)
    if kind == "array":
        return _arrays(schema, document)
    if kind == "string":
        return _strings(schema, document)
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "number":
        low, high = schema.get("minimum", -1e6), schema.get("maximum", 1e6)
        return st.floats(low, high, allow_nan=False) | st.integers(int(low), int(high))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.just("any")  # a schema that accepts anything accepts this


def _implied_type(schema: Schema) -> str | None:
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    if {"pattern", "minLength", "maxLength", "format"} & set(schema):
        return "string"
    return None


def _objects(schema: Schema, document: Schema) -> st.SearchStrategy[dict[str, Any]]:
    properties: Mapping[str, Schema] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    named = st.fixed_dictionaries(
        {name: _values(sub, document) for name, sub in properties.items() if name in required},
        optional={
            name: _values(sub, document) for name, sub in properties.items() if name not in required
        },
    )
    extra = schema.get("additionalProperties")
    if not isinstance(extra, Mapping) or properties:
        return named
    names = _strings(schema.get("propertyNames", {}), document)
    most = min(schema.get("maxProperties", MAX_EXTRA_KEYS), MAX_EXTRA_KEYS)
    return st.dictionaries(names, _values(extra, document), max_size=most)


def _arrays(schema: Schema, document: Schema) -> st.SearchStrategy[list[Any]]:
    least = schema.get("minItems", 0)
    most = min(schema.get("maxItems", least + MAX_ITEMS), least + MAX_ITEMS)
    return st.lists(_values(schema.get("items", {}), document), min_size=least, max_size=most)


def _strings(schema: Schema, document: Schema) -> st.SearchStrategy[str]:
    parts = [schema, *(_resolve_part(p, document) for p in schema.get("allOf", ()))]
    anchored = [p["pattern"] for p in parts if str(p.get("pattern", "")).startswith("^")]
    if anchored:
        return st.from_regex(anchored[0], fullmatch=True)
    if schema.get("format") == "date-time":
        return st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)).map(
            lambda moment: moment.replace(microsecond=0).isoformat() + "+08:00"
        )
    if schema.get("format") == "date":
        return st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)).map(dt.date.isoformat)
    least = max(schema.get("minLength", 1), 1)
    most = max(min(schema.get("maxLength", MAX_TEXT), MAX_TEXT), least)
    return st.text(TEXT, min_size=least, max_size=most)


def _resolve_part(part: Schema, document: Schema) -> Schema:
    return _resolve(document, part["$ref"]) if "$ref" in part else part


# -- where a schema puts its strings ------------------------------------------------------------

Path = tuple[str | int, ...]
#: How deep a schema is walked for strings (a recursive schema would otherwise never end).
MAX_DEPTH = 8


def string_slots(schema: Schema, document: Schema, path: Path = ()) -> list[Path]:
    """Every place in a body where ``schema`` takes a string: array items at index 0, members
    of a free-form object under the key "member"."""
    return list(dict.fromkeys(_string_slots(schema, document, path)))


def _string_slots(schema: Schema, document: Schema, path: Path) -> Iterator[Path]:
    if len(path) > MAX_DEPTH:
        return
    if "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**_resolve(document, schema["$ref"]), **rest}
    for keyword in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(keyword, ()):
            yield from _string_slots(branch, document, path)
    kinds = schema.get("type") or []
    if "string" in ([kinds] if isinstance(kinds, str) else kinds):
        yield path
    for name, sub in schema.get("properties", {}).items():
        yield from _string_slots(sub, document, (*path, name))
    if isinstance(schema.get("additionalProperties"), Mapping):
        yield from _string_slots(schema["additionalProperties"], document, (*path, "member"))
    if isinstance(schema.get("items"), Mapping):
        yield from _string_slots(schema["items"], document, (*path, 0))


def placed(body: Any, path: Path, value: Any) -> Any:
    """A copy of ``body`` with ``value`` at ``path``; the objects and arrays on the way are made
    where the body has none."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(key, int):
        items = list(body) if isinstance(body, list) and body else [None]
        items[0] = placed(items[0], rest, value)
        return items
    members = dict(body) if isinstance(body, dict) else {}
    members[key] = placed(members.get(key), rest, value)
    return members
