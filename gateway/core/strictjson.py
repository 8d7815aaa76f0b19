"""Strict JSON input: no duplicate keys, no NaN/Infinity, only numbers the gateway can carry
(I-JSON, RFC 7493 §2.2), bounded nesting."""

from __future__ import annotations

import json
import math
from typing import Any

from catalog import MAX_SAFE_INTEGER

MAX_DEPTH = 32
#: Digits of the largest integer accepted: a longer one is refused before it is converted (the
#: conversion of thousands of digits is itself a cost, and Python refuses past 4,300).
_MAX_INTEGER_DIGITS = len(str(MAX_SAFE_INTEGER))


class StrictJSONError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJSONError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not valid JSON")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) <= _MAX_INTEGER_DIGITS:
        value = int(text)
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
    shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text)} digits)"
    raise StrictJSONError(
        f"the integer {shown} is out of range: integers must lie within ±{MAX_SAFE_INTEGER} "
        "(RFC 7493 §2.2)"
    )


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 24 else f"{text[:20]}…"
        raise StrictJSONError(f"the number {shown} is out of range")
    return value


def _depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads(data: bytes | str) -> Any:
    """Parse a request body; raises StrictJSONError with a message fit for the client."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise StrictJSONError("the body is not UTF-8") from None
    # RFC 8259 §8.1: a JSON text sent over a network must not begin with a byte order mark.
    if text.startswith("\ufeff"):
        raise StrictJSONError("the body begins with a byte order mark (U+FEFF); JSON must not")
    if _depth(text) > MAX_DEPTH:
        raise StrictJSONError(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=_integer,
            parse_float=_number,
        )
        # RFC 8259 §8.2: a lone surrogate (\ud800) is not a Unicode character; refuse it here
        # rather than fail later when the value is hashed or sent on.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except UnicodeEncodeError:
        raise StrictJSONError("the body contains an unpaired UTF-16 surrogate") from None
    except StrictJSONError:
        raise
    except json.JSONDecodeError as exc:
        raise StrictJSONError(
            f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
