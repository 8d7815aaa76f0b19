"""The Ed25519 key that signs checkpoints of the audit chain head (DESIGN §8).

A checkpoint binds a sequence number to the chain hash at that point; with the public key an
auditor can prove offline that nothing up to that point was altered, removed or appended.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc.jwk import OKPKey

KEY_FILE = "audit-ed25519.pem"


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
    """The checkpoint signing key in the keys directory (owner-only file), made on first use."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / KEY_FILE
        if not self.path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(pem)
        loaded = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{self.path} does not hold an Ed25519 private key")
        self._key = loaded
        self.jwk = public_jwk(loaded.public_key())
        self.kid = str(self.jwk["kid"])

    def sign(self, payload: bytes) -> str:
        return _b64(self._key.sign(payload))
