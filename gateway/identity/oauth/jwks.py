"""Public keys published by others — partner clients (private_key_jwt) and trusted regional
issuers — fetched by URL, cached, and fetched again when a token names a key the cache lacks
(a rotated key must not lock anyone out), but at most once a minute per URL, so forged key ids
cannot make the gateway hammer someone else's server. A fetch ends by its wall-clock deadline,
and no request waits for one longer than that."""

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

from adapters.outbound import Deadline, fetch

log = logging.getLogger(__name__)

REFETCH_INTERVAL = 60.0
MAX_AGE = 3600.0
MAX_BYTES = 256 * 1024
#: Seconds a whole JWKS fetch may take, connecting to the last byte.
DEFAULT_DEADLINE = 5.0
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
    """One JWKS URL, cached.

    No lock is held while the keys are fetched: a fetch has a wall-clock deadline (a server that
    drips its answer cannot stretch it), one fetch at a time goes out per URL, and whoever needs
    the keys it brings waits for it at most until its deadline. Whoever can do with the cached
    keys does not wait at all.
    """

    def __init__(
        self,
        url: str,
        *,
        deadline: float = DEFAULT_DEADLINE,
        monotonic: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self._deadline = deadline
        self._monotonic = monotonic
        self._transport = transport
        self._lock = threading.Lock()  # guards the fields below, never held during a fetch
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._refetched_at = float("-inf")
        self._in_flight: tuple[threading.Event, Deadline] | None = None
        self.fetches = 0

    def keys_for(self, kid: str | None) -> KeySet:
        with self._lock:
            now = self._monotonic()
            lacking = self._keys is None or (
                kid is not None and all(key.kid != kid for key in self._keys)
            )
            if self._keys is None:
                due = now - self._fetched_at >= 1.0
            elif lacking:
                # An unknown kid is usually a rotation: fetch at once, but only once a minute,
                # so a stream of made-up kids cannot turn us into a fetching amplifier.
                due = now - self._refetched_at >= REFETCH_INTERVAL
                if due:
                    self._refetched_at = now
            else:
                due = now - self._fetched_at >= MAX_AGE
            in_flight = self._in_flight
            fetching = due and in_flight is None
            if fetching:
                self._fetched_at = now
                in_flight = self._in_flight = (threading.Event(), Deadline.after(self._deadline))
        if fetching:
            assert in_flight is not None
            self._fetch_into_cache(*in_flight)
        elif in_flight is not None and lacking:
            done, deadline = in_flight
            done.wait(max(0.0, deadline.remaining()))
        with self._lock:
            if self._keys is None:
                raise KeysUnavailable(f"the keys at {self.url} cannot be obtained")
            return self._keys

    def _fetch_into_cache(self, done: threading.Event, deadline: Deadline) -> None:
        try:
            self.fetches += 1
            body = fetch(
                self.url,
                deadline=deadline,
                cap=MAX_BYTES,
                headers={"Accept": "application/json"},
                transport=self._transport,
            )
            keys = public_key_set(json.loads(body))
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("cannot fetch JWKS from %s: %s", self.url, type(exc).__name__)
        else:
            with self._lock:
                self._keys = keys
        finally:
            with self._lock:
                self._in_flight = None
            done.set()


class KeySetDirectory:
    """One RemoteKeySet per URL, shared by everyone who trusts that URL."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        deadline: float = DEFAULT_DEADLINE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, RemoteKeySet] = {}
        self.monotonic = monotonic
        self.deadline = deadline
        self._transport = transport

    def get(self, url: str) -> RemoteKeySet:
        with self._lock:
            remote = self._sets.get(url)
            if remote is None:
                remote = self._sets[url] = RemoteKeySet(
                    url,
                    deadline=self.deadline,
                    monotonic=lambda: self.monotonic(),
                    transport=self._transport,
                )
            return remote
