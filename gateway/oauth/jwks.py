"""Public keys published by others — partner clients (private_key_jwt) and trusted regional
issuers — fetched by URL, cached, and fetched again when a token names a key the cache lacks
(a rotated key must not lock anyone out), but at most once a minute per URL, so forged key ids
cannot make the gateway hammer someone else's server."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

REFETCH_INTERVAL = 60.0
MAX_AGE = 3600.0
MAX_BYTES = 256 * 1024
PUBLIC_KEY_TYPES = ("EC", "RSA", "OKP")


class KeysUnavailable(Exception):
    """The keys cannot be obtained right now."""


def public_key_set(document: Any) -> KeySet:
    """The public signing keys of a JWKS document; a private part is refused outright."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (an object with a 'keys' array)")
    keys = []
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") not in PUBLIC_KEY_TYPES:
            raise ValueError("a JWKS key must be an EC, RSA or OKP public key")
        if any(part in entry for part in ("d", "p", "q", "dp", "dq", "qi")):
            raise ValueError("a JWKS must hold public keys only")
        if entry.get("use", "sig") != "sig":
            continue
        keys.append(entry)
    try:
        return KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"the JWKS does not hold valid keys ({type(exc).__name__})") from None


class RemoteKeySet:
    """One JWKS URL, cached."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self._timeout = timeout
        self._monotonic = monotonic
        self._transport = transport
        self._lock = threading.Lock()
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._refetched_at = float("-inf")
        self.fetches = 0

    def keys_for(self, kid: str | None) -> KeySet:
        with self._lock:
            now = self._monotonic()
            if self._keys is None:
                due = now - self._fetched_at >= 1.0
            elif kid is not None and all(key.kid != kid for key in self._keys):
                # An unknown kid is usually a rotation: fetch at once, but only once a minute,
                # so a stream of made-up kids cannot turn us into a fetching amplifier.
                due = now - self._refetched_at >= REFETCH_INTERVAL
                if due:
                    self._refetched_at = now
            else:
                due = now - self._fetched_at >= MAX_AGE
            if due:
                self._fetched_at = now
                try:
                    self._keys = public_key_set(json.loads(self._fetch()))
                except (httpx.HTTPError, ValueError) as exc:
                    log.warning("cannot fetch JWKS from %s: %s", self.url, type(exc).__name__)
            if self._keys is None:
                raise KeysUnavailable(f"the keys at {self.url} cannot be obtained")
            return self._keys

    def _fetch(self) -> bytes:
        self.fetches += 1
        with (
            httpx.Client(
                timeout=self._timeout, follow_redirects=False, transport=self._transport
            ) as client,
            client.stream("GET", self.url, headers={"Accept": "application/json"}) as answer,
        ):
            answer.raise_for_status()
            body = b""
            for chunk in answer.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ValueError("JWKS document too large")
            return body


class KeySetDirectory:
    """One RemoteKeySet per URL, shared by everyone who trusts that URL."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, RemoteKeySet] = {}
        self.monotonic = monotonic

    def get(self, url: str) -> RemoteKeySet:
        with self._lock:
            remote = self._sets.get(url)
            if remote is None:
                remote = self._sets[url] = RemoteKeySet(url, monotonic=lambda: self.monotonic())
            return remote
