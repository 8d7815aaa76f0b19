"""Opaque, signed page cursors for federated queries.

A cursor records, for each node still holding unread records, that node's own cursor. It is bound
to the query it continues (dataset, filter, fields, regions) and signed, so a client can neither
forge node positions nor reuse a cursor on another query.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from .problems import Problem

VERSION = 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"jjj-gateway cursor\x00" + secret).digest()

    def encode(self, query_hash: str, positions: Mapping[str, str | None]) -> str:
        payload = json.dumps(
            {"v": VERSION, "q": query_hash[:32], "p": dict(positions)},
            separators=(",", ":"),
            sort_keys=True,
        ).encode("utf-8")
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        return f"{_b64(payload)}.{_b64(mac)}"

    def decode(self, cursor: str, query_hash: str) -> dict[str, str | None]:
        """Node → its cursor (None: start of that node), for a cursor made for this query."""
        try:
            if len(cursor) > 8192:
                raise ValueError
            payload_b64, mac_b64 = cursor.split(".")
            payload = _unb64(payload_b64)
            expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
            if not hmac.compare_digest(expected, _unb64(mac_b64)):
                raise ValueError
            document: Any = json.loads(payload)
            positions = document["p"]
            if document.get("v") != VERSION or not isinstance(positions, dict):
                raise ValueError
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise Problem(
                "invalid-cursor", detail="the cursor is malformed or was not issued by this gateway"
            ) from None
        if document.get("q") != query_hash[:32]:
            raise Problem(
                "invalid-cursor",
                detail="the cursor belongs to a different query; "
                "repeat the same filter, fields and regions with it",
            )
        return {str(k): (v if isinstance(v, str) else None) for k, v in positions.items()}
