"""Hostile JSON bodies: a valid body with one thing planted in it, and what the gateway must
answer to each kind (docs/api.md#json-bodies; tests/gateway/test_hostile_json_properties.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .schema_values import TEXT, Path

#: Stands for bytes that str cannot hold (invalid UTF-8); swapped in after encoding.
RAW_BYTES = "\U000f0000"


def _children(value: Any) -> list[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    return []


def _containers(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, dict | list):
        yield path, value
    for key, item in _children(value):
        yield from _containers(item, (*path, key))


def _values(value: Any, path: Path = ()) -> Iterator[Path]:
    for key, item in _children(value):
        yield (*path, key)
        yield from _values(item, (*path, key))


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _render(value: Any, path: Path, at: Path, raw: str, *, add: bool) -> str:
    """The body as JSON text with ``raw`` in place of the value at ``at``, or (add) appended
    to the object (a member) or array (an element) there."""
    if path == at and not add:
        return raw
    if isinstance(value, dict):
        parts = [
            f"{_text(k)}: {_render(v, (*path, k), at, raw, add=add)}" for k, v in value.items()
        ]
    elif isinstance(value, list):
        parts = [_render(v, (*path, i), at, raw, add=add) for i, v in enumerate(value)]
    else:
        return _text(value)
    if add and path == at:
        parts.append(raw)
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return opening + ", ".join(parts) + closing


def _fresh_key(container: Any) -> str:
    key = "planted"
    while isinstance(container, dict) and key in container:
        key += "_"
    return key


def plant_value(data: st.DataObject, body: Any, raw: str) -> str:
    """``raw`` (JSON text) as a value somewhere in the body: in place of one, or added to an
    object or array."""
    replaceable, containers = list(_values(body)), list(_containers(body))
    if not containers:
        return raw  # a body that is one scalar: the planted value is the body
    replace = bool(replaceable) and data.draw(st.booleans(), label="replace a value")
    if replace:
        return _render(body, (), data.draw(st.sampled_from(replaceable)), raw, add=False)
    path, container = data.draw(st.sampled_from(containers), label="container")
    member = raw if isinstance(container, list) else f"{_text(_fresh_key(container))}: {raw}"
    return _render(body, (), path, member, add=True)


def plant_member(data: st.DataObject, body: Any, member: Callable[[dict[str, Any]], str]) -> str:
    """A member made for one of the body's objects (nested or the body itself), added to it."""
    objects = [(p, c) for p, c in _containers(body) if isinstance(c, dict)]
    if not objects:
        return "{" + member({}) + "}"
    path, target = data.draw(st.sampled_from(objects), label="object")
    return _render(body, (), path, member(target), add=True)


def _duplicate(data: st.DataObject) -> Callable[[dict[str, Any]], str]:
    def member(target: dict[str, Any]) -> str:
        if target:
            key = data.draw(st.sampled_from(sorted(target)), label="key to repeat")
            return f"{_text(key)}: {_text(target[key])}"
        key = _text(_fresh_key(target))
        return f"{key}: 1, {key}: 2"

    return member


@dataclass(frozen=True)
class Refusal:
    """What the gateway must answer: the status, the problem type (None: any the gateway
    lists) and a pattern the problem's detail matches, so that it names what is wrong."""

    detail: str
    status: int = 400
    problem: str | None = "/problems/invalid-request"


Body = tuple[bytes, str | None]  # the bytes sent and their Content-Type (None: no header)


@dataclass(frozen=True)
class Hostility:
    """One kind of hostile body: how to make one from a valid body, and its refusal."""

    name: str
    make: Callable[[st.DataObject, Any, int], Body]  # (data, valid body, size cap) → body
    refusal: Refusal


BEYOND_I_JSON = st.one_of(
    st.sampled_from([2**64, -(2**63) - 1, 10**400, 2**53, -(2**53)]),
    st.integers(min_value=2**53),
    st.integers(max_value=-(2**53)),
).map(str)
NON_FINITE = st.sampled_from(["1e400", "-1e400", "1E+309", "123456789e999", "-0.5e99999"])
NOT_A_NUMBER = st.sampled_from(["NaN", "Infinity", "-Infinity"])
LONE_SURROGATE = st.integers(0xD800, 0xDFFF).map(lambda unit: f"\\u{unit:04x}")
NOT_UTF8 = st.sampled_from(
    [b"\xff", b"\xfe\xff", b"\x80", b"\xc0\xaf", b"\xe4\xba", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]
)
NOT_JSON_MEDIA = st.sampled_from(
    [
        None,
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonx",
        "application/json-seq",
        "application/merge-patch+json",
        "application/octet-stream",
    ]
)
JSON = "application/json"


def _surrounded(data: st.DataObject, inner: str) -> str:
    before, after = data.draw(st.text(TEXT, max_size=3)), data.draw(st.text(TEXT, max_size=3))
    return f'"{before}{inner}{after}"'


def _planted(values: st.SearchStrategy[str]) -> Callable[[st.DataObject, Any, int], Body]:
    def make(data: st.DataObject, body: Any, _cap: int) -> Body:
        return plant_value(data, body, data.draw(values)).encode(), JSON

    return make


def _surrogate_value(data: st.DataObject, body: Any, _cap: int) -> Body:
    return plant_value(data, body, _surrounded(data, data.draw(LONE_SURROGATE))).encode(), JSON


def _surrogate_key(data: st.DataObject, body: Any, _cap: int) -> Body:
    key = _surrounded(data, data.draw(LONE_SURROGATE))
    return plant_member(data, body, lambda _object: f"{key}: 1").encode(), JSON


def _deep(data: st.DataObject, body: Any, _cap: int) -> Body:
    depth = data.draw(st.sampled_from([33, 64, 1000, 10_000]), label="depth")
    arrays = data.draw(st.booleans(), label="arrays (else objects)")
    nested = "[" * depth + "]" * depth if arrays else '{"a": ' * depth + "1" + "}" * depth
    return plant_value(data, body, nested).encode(), JSON


def _duplicate_key(data: st.DataObject, body: Any, _cap: int) -> Body:
    return plant_member(data, body, _duplicate(data)).encode(), JSON


def _byte_order_mark(_data: st.DataObject, body: Any, _cap: int) -> Body:
    return b"\xef\xbb\xbf" + _text(body).encode(), JSON


def _not_utf8(data: st.DataObject, body: Any, _cap: int) -> Body:
    text = plant_value(data, body, _surrounded(data, RAW_BYTES))
    return text.encode().replace(RAW_BYTES.encode(), data.draw(NOT_UTF8)), JSON


def _truncated(data: st.DataObject, body: Any, _cap: int) -> Body:
    text = _text(body)
    return text[: data.draw(st.integers(1, len(text) - 1))].encode(), JSON


def _huge(*, over: bool) -> Callable[[st.DataObject, Any, int], Body]:
    def make(data: st.DataObject, body: Any, cap: int) -> Body:
        letter = data.draw(st.sampled_from(["x", "京"]))
        room = cap - len(_text(body).encode()) - 64  # what the planted key and quotes take
        size = (
            cap + data.draw(st.integers(1, 4096))
            if over
            else data.draw(st.integers(room // 2, room))
        )
        text = plant_value(data, body, '"' + letter * (size // len(letter.encode())) + '"')
        return text.encode(), JSON

    return make


def _not_json(data: st.DataObject, body: Any, _cap: int) -> Body:
    return _text(body).encode(), data.draw(NOT_JSON_MEDIA)


HOSTILITIES = (
    Hostility("integer beyond I-JSON", _planted(BEYOND_I_JSON), Refusal("out of range")),
    Hostility("number beyond float", _planted(NON_FINITE), Refusal("out of range")),
    Hostility("NaN or Infinity", _planted(NOT_A_NUMBER), Refusal("(NaN|Infinity) is not valid")),
    Hostility("lone surrogate in a value", _surrogate_value, Refusal("unpaired UTF-16 surrogate")),
    Hostility("lone surrogate in a key", _surrogate_key, Refusal("unpaired UTF-16 surrogate")),
    Hostility("deep nesting", _deep, Refusal(r"nested deeper than \d+ levels")),
    Hostility("duplicate key", _duplicate_key, Refusal("duplicate key")),
    Hostility("byte order mark", _byte_order_mark, Refusal("byte order mark")),
    Hostility("bytes that are not UTF-8", _not_utf8, Refusal("not UTF-8")),
    Hostility("cut-off body", _truncated, Refusal(r"malformed JSON at line \d+ column \d+")),
    Hostility("huge string within the size cap", _huge(over=False), Refusal(r"\w", problem=None)),
    Hostility(
        "body over the size cap",
        _huge(over=True),
        Refusal("larger than", 413, "/problems/payload-too-large"),
    ),
    Hostility(
        "media type that is not JSON",
        _not_json,
        Refusal("application/json", 415, "/problems/unsupported-media-type"),
    ),
)
