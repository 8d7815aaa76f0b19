"""A JWKS read from a URL or a file and cached: one fetcher for every key set of the project —
partners' and trusted issuers' keys at the gateway, the gateway's keys at an adapter server.

The set is fetched on first use, again once it is older than its maximum age (a withdrawn key
stops working), and again when a token names a key the set lacks (a rotation must not lock
anyone out) — but not more often than the ``Freshness`` allows, so a stream of forged key ids
cannot turn the holder into a JWKS-fetching amplifier. A fetch ends by its wall-clock deadline
and within a size cap; no lock is held meanwhile, one fetch at a time goes out per set, and
whoever needs the keys it brings waits for it at most until its deadline. Whoever can do with
the cached keys does not wait at all. A failed fetch keeps the keys already held.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from adapters.outbound import Deadline, fetch

log = logging.getLogger(__name__)

#: A JWKS document larger than this is not a JWKS.
MAX_JWKS_BYTES = 256 * 1024
#: Seconds a whole JWKS fetch may take, connecting to the last byte.
DEFAULT_DEADLINE = 5.0
#: Members of a JWK that belong to a private key (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2).
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")

__all__ = [
    "DEFAULT_DEADLINE",
    "MAX_JWKS_BYTES",
    "CachedKeySet",
    "Freshness",
    "KeysUnavailable",
    "signing_key_set",
]


class KeysUnavailable(Exception):
    """The keys cannot be obtained right now, so no token they sign can be verified."""


def signing_key_set(document: Any, *, key_types: Collection[str], strict: bool) -> KeySet:
    """The public signing keys of ``key_types`` in a JWKS document; keys for another use are
    left out. A key of another type or with a private part, or no key at all, refuses the whole
    document when ``strict`` (a registration that must be right); otherwise such keys are left
    out, and a set without keys verifies no token."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (an object with a 'keys' array)")
    keys = []
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") not in key_types:
            if strict:
                *others, last = key_types
                named = f"{', '.join(others)} or {last}" if others else last
                raise ValueError(f"a JWKS key must be an {named} public key")
            continue
        if any(part in entry for part in PRIVATE_MEMBERS):
            if strict:
                raise ValueError("a JWKS must hold public keys only")
            continue  # a private key has no business in a published JWKS
        if entry.get("use", "sig") != "sig":
            continue
        keys.append(entry)
    if not keys and not strict:
        return KeySet([])  # a valid JWKS without keys: every token fails to verify
    try:
        return KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"the JWKS does not hold valid keys ({type(exc).__name__})") from None


@dataclass(frozen=True, slots=True)
class Freshness:
    """When a cached key set is fetched again, in seconds of the holder's monotonic clock."""

    #: A set older than this is fetched again before use.
    max_age: float
    #: Least time between two fetches caused by a key id the set lacks.
    unknown_kid: float
    #: Least time between two attempts while no set is held.
    retry: float = 1.0
    #: Whether ``unknown_kid`` counts from the last fetch of any cause (a holder that trusts one
    #: issuer, whose keys are published before they sign), not only from the last one an
    #: unknown key id caused (a holder whose partners rotate when they like).
    unknown_kid_after_any_fetch: bool = False


class CachedKeySet:
    """One JWKS, at a URL or in a file, cached as ``parse`` reads it (``parse`` raises
    ``ValueError`` or ``JoseError`` for a document it refuses)."""

    def __init__(
        self,
        source: str | Path,
        *,
        parse: Callable[[Any], KeySet],
        freshness: Freshness,
        deadline: float = DEFAULT_DEADLINE,
        monotonic: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.source = source
        self._parse = parse
        self._freshness = freshness
        self._deadline = deadline
        self._monotonic = monotonic
        self._transport = transport
        self._lock = threading.Lock()  # guards the fields below, never held during a fetch
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._refetched_at = float("-inf")
        self._in_flight: tuple[threading.Event, Deadline] | None = None

    def keys_for(self, kid: str | None) -> KeySet:
        """The cached keys, fetched first when due; ``KeysUnavailable`` while none are held."""
        with self._lock:
            now = self._monotonic()
            lacking = self._keys is None or (
                kid is not None and all(key.kid != kid for key in self._keys)
            )
            due = self._due(now, lacking)
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
                raise KeysUnavailable(f"the keys at {self.source} cannot be obtained")
            return self._keys

    def _due(self, now: float, lacking: bool) -> bool:
        """Whether a fetch is due now (the lock is held)."""
        freshness = self._freshness
        if self._keys is None:
            return now - self._fetched_at >= freshness.retry
        if lacking:
            # An unknown kid is usually a rotation: fetch at once, but only so often.
            after_any = freshness.unknown_kid_after_any_fetch
            since = self._fetched_at if after_any else self._refetched_at
            if now - since < freshness.unknown_kid:
                return False
            self._refetched_at = now
            return True
        return now - self._fetched_at >= freshness.max_age

    def _fetch_into_cache(self, done: threading.Event, deadline: Deadline) -> None:
        try:
            keys = self._parse(json.loads(self._read(deadline)))
        except (OSError, httpx.HTTPError, ValueError, JoseError) as exc:
            log.warning("cannot fetch JWKS from %s: %s", self.source, type(exc).__name__)
        else:
            with self._lock:
                self._keys = keys
        finally:
            with self._lock:
                self._in_flight = None
            done.set()

    def _read(self, deadline: Deadline) -> bytes:
        if isinstance(self.source, Path):
            body = self.source.read_bytes()
            if len(body) > MAX_JWKS_BYTES:
                raise ValueError("JWKS document too large")
            return body
        return fetch(
            self.source,
            deadline=deadline,
            cap=MAX_JWKS_BYTES,
            headers={"Accept": "application/json"},
            transport=self._transport,
        )
