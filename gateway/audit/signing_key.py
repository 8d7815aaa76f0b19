"""The Ed25519 key that signs checkpoints of the audit chain head (docs/auditors-guide.md).

A checkpoint binds a sequence number to the chain hash at that point; with the public key an
auditor can prove offline that nothing up to that point was altered, removed or appended.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc.jwk import OKPKey

KEY_FILE = "audit-ed25519.pem"
#: The public halves of retired checkpoint keys: {"keys": [JWK + "retiredAt", ...]}.
RETIRED_FILE = "audit-ed25519.retired.json"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: Ed25519PublicKey) -> dict[str, Any]:
    """RFC 8037 OKP JWK of the key, with its RFC 7638 thumbprint as kid."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}
    kid = OKPKey.import_key(jwk).thumbprint()
    return jwk | {"kid": kid, "use": "sig", "alg": "Ed25519"}


def verify(jwk: dict[str, Any], payload: bytes, signature: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(_unb64(str(jwk["x"])))
        key.verify(_unb64(signature), payload)
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


class AuditSigner:
    """The checkpoint signing key in the keys directory (owner-only file), made on first use.

    The key that signs can be replaced while gateways run (``jjj-gateway audit rotate-key``):
    every signature first checks whether the key file changed and, if so, loads the new key.
    Retired keys stay known by their public half, so checkpoints they signed still verify.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / KEY_FILE
        if not self.path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_new_private_pem())
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._load()
        retired_keys(directory)  # a damaged key set stops the start, with the file named

    def _load(self) -> None:
        stat = self.path.stat()
        try:
            loaded = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        except ValueError:
            loaded = None  # not a PEM private key at all: named like any other wrong key
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{self.path} does not hold an Ed25519 private key")
        self._key = loaded
        self.jwk = public_jwk(loaded.public_key())
        self.kid = str(self.jwk["kid"])
        self._stamp = (stat.st_ino, stat.st_mtime_ns)

    def _follow_rotation(self) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            return  # keep signing with the key in memory; the operator sees the file is gone
        if (stat.st_ino, stat.st_mtime_ns) != self._stamp:
            self._load()

    def signed(self, payload: bytes) -> tuple[str, str]:
        """(kid, signature) of ``payload`` with the current key."""
        with self._lock:
            self._follow_rotation()
            return self.kid, _b64(self._key.sign(payload))

    def sign(self, payload: bytes) -> str:
        return self.signed(payload)[1]

    def public_keys(self) -> dict[str, dict[str, Any]]:
        """Every key whose checkpoints verify, by kid: the current one and the retired ones."""
        with self._lock:
            self._follow_rotation()
            current = {self.kid: dict(self.jwk)}
        return retired_keys(self.directory) | current


def _new_private_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def retired_keys(directory: Path) -> dict[str, dict[str, Any]]:
    """The public keys retired by rotation, by kid (none when there was no rotation)."""
    path = directory / RETIRED_FILE
    try:
        document = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON key set ({exc})") from exc
    listed = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(listed, list):
        raise ValueError(f'{path}: expected {{"keys": [...]}}')
    return {str(k["kid"]): k for k in listed if isinstance(k, dict) and "kid" in k}


def rotate(directory: Path) -> tuple[str, str]:
    """Retire the current checkpoint key (its public half is kept) and make a new one.

    Returns (retired kid, new kid). Both files are replaced atomically: a gateway reading the
    directory meanwhile sees the old state or the new one, never half of either.
    """
    current = AuditSigner(directory)
    retired = retired_keys(directory)
    retired[current.kid] = dict(current.jwk) | {
        "retiredAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    }
    _replace(
        directory / RETIRED_FILE,
        (json.dumps({"keys": list(retired.values())}, indent=2) + "\n").encode("utf-8"),
        0o644,
    )
    _replace(current.path, _new_private_pem(), 0o600)
    return current.kid, AuditSigner(directory).kid


def _replace(path: Path, content: bytes, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)
