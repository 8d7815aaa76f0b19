"""Signing keys for access tokens and adapter tokens: ES256, rotated with overlap
(docs/architecture.md#unified-authorisation).

The newest key signs; a retired key stays in the JWKS until every token it signed has expired,
so that rotation never locks a client out. Private keys are files readable by the owner only,
or a mounted secret (then the directory is read-only and rotation happens outside the gateway).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, KeySet

from gateway.core.settings import Settings

log = logging.getLogger(__name__)

ALGORITHM = "ES256"
#: How often a process looks at the key index for a rotation made elsewhere, in seconds.
RELOAD_SECONDS = 2.0
INDEX = "keys.json"


def _generate_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"alg": ALGORITHM, "use": "sig"}, private=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    kid: str
    created_at: dt.datetime
    retired_at: dt.datetime | None
    #: Published in the JWKS but not signing yet: the first half of a rotation across replicas.
    pending: bool = False


def key_ring(settings: Settings) -> SigningKeys:
    """The key ring the settings name."""
    return SigningKeys(
        settings.resolved_keys_dir,
        token_lifetime=settings.access_token_lifetime,
        clock_skew=settings.clock_skew,
    )


def prepare_instance(settings: Settings, *, migrate: bool = True) -> None:
    """The instance folder, the newest database schema and a signing key (all idempotent)."""
    from gateway.storage import upgrade

    settings.instance_path.mkdir(parents=True, exist_ok=True)
    if migrate:
        upgrade(settings.sqlalchemy_url)
    key_ring(settings).ensure()


class SigningKeys:
    """The key ring in a directory: ``keys.json`` (the index) and ``<kid>.jwk.json`` per key."""

    def __init__(self, directory: Path, *, token_lifetime: int, clock_skew: int) -> None:
        self.directory = directory
        self._grace = dt.timedelta(seconds=token_lifetime + clock_skew)
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._entries: list[KeyEntry] = []
        self._private: dict[str, ECKey] = {}
        self._public_set = KeySet([])
        self._jwks: dict[str, Any] = {"keys": []}
        self._checked_at = 0.0

    # -- files ------------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the directory and a first key when there is none."""
        if not (self.directory / INDEX).exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            os.chmod(self.directory, 0o700)
            self._write_new_key([])
        self.reload(force=True)

    def _write_new_key(self, entries: list[KeyEntry], *, pending: bool = False) -> str:
        key = _generate_key()
        # The kid (the RFC 7638 thumbprint, base64url) names the key on the command line too
        # (`keys activate KID`), where one that began with "-" would be read as an option.
        while (kid := key.thumbprint()).startswith("-"):
            key = _generate_key()
        key = ECKey.import_key(key.as_dict(private=True) | {"kid": kid})
        path = self.directory / f"{kid}.jwk.json"
        # The private key file is created with owner-only permissions before anything is written.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(key.as_dict(private=True), fh)
        now = _now()
        if pending:
            entries = [*entries, KeyEntry(kid, now, None, pending=True)]
        else:
            entries = [KeyEntry(e.kid, e.created_at, e.retired_at or now) for e in entries] + [
                KeyEntry(kid, now, None)
            ]
        self._write_index(entries)
        return kid

    def _write_index(self, entries: list[KeyEntry]) -> None:
        document = {
            "keys": [
                {
                    "kid": e.kid,
                    "createdAt": e.created_at.isoformat(),
                    "retiredAt": e.retired_at.isoformat() if e.retired_at else None,
                    "pending": e.pending,
                }
                for e in entries
            ]
        }
        tmp = self.directory / f".{INDEX}.tmp"
        tmp.write_text(json.dumps(document, indent=2), "utf-8")
        os.replace(tmp, self.directory / INDEX)

    def reload(self, *, force: bool = False) -> None:
        """Re-read the ring if the index changed (a CLI rotation reaches running processes)."""
        path = self.directory / INDEX
        mtime = path.stat().st_mtime
        if not force and mtime == self._mtime:
            return
        document = json.loads(path.read_text("utf-8"))
        entries = [
            KeyEntry(
                e["kid"],
                dt.datetime.fromisoformat(e["createdAt"]),
                dt.datetime.fromisoformat(e["retiredAt"]) if e.get("retiredAt") else None,
                bool(e.get("pending", False)),
            )
            for e in document["keys"]
        ]
        private = {
            e.kid: ECKey.import_key(json.loads((self.directory / f"{e.kid}.jwk.json").read_text()))
            for e in entries
        }
        with self._lock:
            self._entries, self._private, self._mtime = entries, private, mtime
            self._rebuild_public()

    def _rebuild_public(self) -> None:
        now = _now()
        live = [
            e for e in self._entries if e.retired_at is None or e.retired_at + self._grace > now
        ]
        public = [
            self._private[e.kid].as_dict(private=False) | {"alg": ALGORITHM, "use": "sig"}
            for e in live
        ]
        self._jwks = {"keys": public}
        self._public_set = KeySet.import_key_set({"keys": public})

    def rotate(self) -> tuple[str, str | None]:
        """Make a new signing key; the previous one is retired (still published until expiry).

        With several replicas, prefer ``add`` now and ``activate`` once every replica (and every
        client's JWKS cache) has seen the new key: no token is then signed by a key a verifier
        does not know yet.
        """
        self.reload(force=True)
        previous = self.current_kid()
        kid = self._write_new_key(list(self._entries))
        self.reload(force=True)
        return kid, previous

    def add(self) -> str:
        """A new key, published in the JWKS but not signing until ``activate``."""
        self.reload(force=True)
        kid = self._write_new_key(list(self._entries), pending=True)
        self.reload(force=True)
        return kid

    def activate(self, kid: str) -> str | None:
        """The pending key signs from now on; the previous signing key is retired."""
        self.reload(force=True)
        if kid not in {e.kid for e in self._entries if e.pending}:
            raise ValueError(f"no pending key {kid!r}")
        previous = self.current_kid()
        now = _now()
        entries = [
            KeyEntry(e.kid, e.created_at, now)
            if e.kid == previous
            else KeyEntry(e.kid, e.created_at, e.retired_at, pending=False)
            if e.kid == kid
            else e
            for e in self._entries
        ]
        # The activated key moves to the end: the newest active key signs.
        entries.sort(key=lambda e: (e.kid == kid, e.created_at))
        self._write_index(entries)
        self.reload(force=True)
        return previous

    def prune(self) -> list[str]:
        """Forget retired keys whose tokens have all expired (their files go too)."""
        self.reload(force=True)
        now = _now()
        gone = [e for e in self._entries if e.retired_at and e.retired_at + self._grace <= now]
        if gone:
            self._write_index([e for e in self._entries if e not in gone])
            for entry in gone:
                (self.directory / f"{entry.kid}.jwk.json").unlink(missing_ok=True)
            self.reload(force=True)
        return [e.kid for e in gone]

    # -- use --------------------------------------------------------------------------------

    def _fresh(self) -> None:
        """Notice a rotation made by another process (the CLI, another replica) within seconds."""
        now = time.monotonic()
        if now - self._checked_at >= RELOAD_SECONDS:
            self._checked_at = now
            try:
                self.reload()
            except OSError:
                log.warning("cannot re-read the signing keys in %s", self.directory)
            with self._lock:
                self._rebuild_public()  # a retired key leaves once its tokens have expired

    def current_kid(self) -> str | None:
        active = [e for e in self._entries if e.retired_at is None and not e.pending]
        return active[-1].kid if active else None

    def signing_key(self) -> ECKey:
        self._fresh()
        kid = self.current_kid()
        if kid is None:
            raise RuntimeError("no active signing key")
        return self._private[kid]

    def jwks(self) -> dict[str, Any]:
        """The public JWKS: the current key, pending keys, and retired keys whose tokens may
        still be live."""
        self._fresh()
        with self._lock:
            self._rebuild_public()
            return self._jwks

    def public_key_set(self) -> KeySet:
        self._fresh()
        return self._public_set

    def entries(self) -> list[KeyEntry]:
        return list(self._entries)
