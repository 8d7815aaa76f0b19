"""Public keys published by others — partner clients (private_key_jwt) and trusted regional
issuers — fetched by URL and cached (``adapters.jwks``): fetched again when a token names a key
the cache lacks (a rotated key must not lock anyone out), but at most once a minute per URL, so
forged key ids cannot make the gateway hammer someone else's server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc.jwk import KeySet

from adapters.jwks import DEFAULT_DEADLINE, CachedKeySet, Freshness, signing_key_set

#: Others' keys: fetched again hourly, and for an unknown key id at most once a minute.
FRESHNESS = Freshness(max_age=3600.0, unknown_kid=60.0)
PUBLIC_KEY_TYPES = ("EC", "RSA", "OKP")


def public_key_set(document: Any) -> KeySet:
    """The public signing keys of a JWKS document; a private part is refused outright."""
    return signing_key_set(document, key_types=PUBLIC_KEY_TYPES, strict=True)


class KeySetDirectory:
    """One cached key set per URL, shared by everyone who trusts that URL."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        deadline: float = DEFAULT_DEADLINE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, CachedKeySet] = {}
        self.monotonic = monotonic
        self.deadline = deadline
        self._transport = transport

    def get(self, url: str) -> CachedKeySet:
        with self._lock:
            remote = self._sets.get(url)
            if remote is None:
                remote = self._sets[url] = CachedKeySet(
                    url,
                    parse=public_key_set,
                    freshness=FRESHNESS,
                    deadline=self.deadline,
                    monotonic=lambda: self.monotonic(),
                    transport=self._transport,
                )
            return remote
