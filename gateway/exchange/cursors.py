"""Opaque page cursors for federated queries.

A cursor records, for each node still holding unread records, that node's own cursor. Node
cursors may be made of record values (a SQL node pages by its primary key, which can be a
resident ID), so the cursor is encrypted, not merely signed: AES-256-GCM with a key derived from
the server secret, the hash of the query and of the client it was issued to as associated data.
A client can neither read nor forge node positions, nor reuse a cursor on another query, nor
present a cursor issued to another client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.core.problems import Problem

VERSION = b"\x01"
NONCE_BYTES = 12
#: The longest cursor decoded: room for the positions of some forty nodes, each at most as long
#: as the adapter protocol allows a node's cursor to be (longer ones are refused as node errors).
MAX_LENGTH = 64 * 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(hashlib.sha256(b"jjj-gateway cursor\x00" + secret).digest())

    def encode(self, query_hash: str, positions: Mapping[str, str | None]) -> str:
        payload = json.dumps(dict(positions), separators=(",", ":"), sort_keys=True).encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, payload, VERSION + query_hash.encode("ascii"))
        return _b64(VERSION + nonce + sealed)

    def decode(self, cursor: str, query_hash: str) -> dict[str, str | None]:
        """Node → its cursor (None: start of that node), for a cursor made for this query."""
        try:
            if len(cursor) > MAX_LENGTH:
                raise ValueError
            raw = _unb64(cursor)
            if raw[:1] != VERSION or len(raw) < 1 + NONCE_BYTES + 16:
                raise ValueError
            nonce, sealed = raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
            payload = self._aead.decrypt(nonce, sealed, VERSION + query_hash.encode("ascii"))
            positions: Any = json.loads(payload)
            if not isinstance(positions, dict):
                raise ValueError
        except (ValueError, InvalidTag, UnicodeDecodeError, TypeError):
            # A cursor of another query fails the same way as a forged one: the associated
            # data differs, so the tag does not verify.
            raise Problem(
                "invalid-cursor",
                detail="the cursor is malformed, was not issued by "
                "this gateway, was issued to another client, or belongs to a different "
                "query (repeat the same filter, fields and regions with it)",
            ) from None
        return {str(k): (v if isinstance(v, str) else None) for k, v in positions.items()}
