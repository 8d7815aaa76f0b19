"""Canonical JSON for hashing: sorted keys, no insignificant white space, UTF-8."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def canonical_json(value: Any) -> str:
    # Verification hashes the stored text itself, never a re-serialisation, so the encoder only
    # has to be deterministic for one write; orjson is, and several times faster than json.
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()
