"""Verification of the gateway-signed bearer tokens an adapter server accepts
(docs/architecture.md#the-adapter-protocol).

The gateway signs one short-lived JWT per call to a node: ``iss`` the gateway, ``aud`` the node,
lifetime at most 60 seconds, ES256 (or EdDSA). The node checks it against the gateway's
published JWKS, which is fetched once, cached (``adapters.jwks``), and fetched again when a
token names a key the cache does not hold (key rotation) — at most once per 30 seconds, so a
stream of forged key ids cannot turn the node into a JWKS-fetching amplifier.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSAlgModel, JWSRegistry

from .jwks import CachedKeySet, Freshness, signing_key_set

#: Signature algorithms of gateway tokens; anything else (``none``, HS*, RS*) is refused.
ALLOWED_ALGORITHMS = ("ES256", "EdDSA")
#: Clock skew tolerated on ``exp``, ``nbf`` and ``iat``, in seconds.
CLOCK_SKEW = 30
#: Longest lifetime (``exp`` − ``iat``) of a token the node accepts, in seconds.
MAX_LIFETIME = 60
#: The gateway's keys are fetched again after five minutes, so a withdrawn key stops working,
#: and for an unknown key id at most once per 30 seconds since any fetch: the gateway publishes
#: a key before it signs with it.
FRESHNESS = Freshness(max_age=300.0, unknown_kid=30.0, unknown_kid_after_any_fetch=True)
#: Verified tokens remembered (the gateway sends few distinct ones: one per node per 30 s).
VERIFIED_CACHE_SIZE = 1024


class InvalidToken(Exception):
    """The bearer token is not acceptable; ``description`` says why, without secrets."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class _Registry(JWSRegistry):
    """The JWS registry limited to the allowed algorithms.

    joserfc warns on every use of the polymorphic ``EdDSA`` name (RFC 9864); the gateway's
    contract names it, and the key's own type and curve pin it to Ed25519 or Ed448.
    """

    def get_alg(self, name: str) -> JWSAlgModel:
        if name not in ALLOWED_ALGORITHMS or name not in self.algorithms:
            return super().get_alg(name)
        return self.algorithms[name]


def _key_set(document: Any) -> KeySet:
    """The gateway's signing keys in a JWKS document; keys of other types or uses are left out."""
    return signing_key_set(document, key_types=("EC", "OKP"), strict=False)


class TokenVerifier:
    """Checks gateway tokens against the gateway's JWKS, read from a URL or a file.

    ``clock`` (wall time, for ``exp``/``iat``) and ``monotonic`` (for JWKS refetch pacing) are
    the time sources; they default to the system's.
    """

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None = None,
        jwks_file: Path | None = None,
        *,
        fetch_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if (jwks_url is None) == (jwks_file is None):
            raise ValueError("give exactly one of jwks_url and jwks_file")
        self.issuer = issuer
        self._keys = CachedKeySet(
            Path(jwks_file) if jwks_file is not None else str(jwks_url),
            parse=_key_set,
            freshness=FRESHNESS,
            deadline=fetch_timeout,
            monotonic=monotonic,
        )
        self._clock = clock
        self._registry = _Registry(algorithms=list(ALLOWED_ALGORITHMS))
        self._verified: dict[tuple[str, str], dict[str, Any]] = {}

    def verify(self, token: str, *, audience: str) -> dict[str, Any]:
        """The claims of a valid token for ``audience``; raises InvalidToken otherwise.

        The gateway reuses one token per node for half its lifetime, so a token once verified
        is remembered until it expires (the expiry is still checked on every use).
        """
        cached = self._verified.get((token, audience))
        if cached is not None and cached["exp"] + CLOCK_SKEW > self._clock():
            return cached
        claims = self._verify(token, audience=audience)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[(token, audience)] = claims
        return claims

    def _verify(self, token: str, *, audience: str) -> dict[str, Any]:
        try:
            header = jws.extract_compact(token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeEncodeError):
            raise InvalidToken("the token is not a compact JWS") from None
        alg = header.get("alg")
        # RFC 8725 §3.1: the algorithm is checked against an allow-list before any key is used.
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken("the token's signature algorithm is not accepted")
        # RFC 8725 §3.11: explicit typing — the gateway's adapter tokens are typed "JWT".
        if header.get("typ") != "JWT":
            raise InvalidToken("the token is not typed JWT")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the token's key id is not a string")
        keys = self._keys.keys_for(kid)
        try:
            claims = jwt.decode(token, keys, algorithms=ALLOWED_ALGORITHMS, registry=self._registry)
        except InvalidKeyIdError:
            raise InvalidToken("the token's key is not one of the gateway's") from None
        except JoseError:
            raise InvalidToken("the token's signature does not verify") from None
        self._check_claims(claims.claims, audience)
        return claims.claims

    def _check_claims(self, claims: dict[str, Any], audience: str) -> None:
        now = int(self._clock())
        rules = jwt.JWTClaimsRegistry(
            now=now,
            leeway=CLOCK_SKEW,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            rules.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("the token has expired") from None
        except MissingClaimError as exc:
            raise InvalidToken(f"the token lacks the claim {exc.claim}") from None
        except ClaimError as exc:
            raise InvalidToken(f"the token's claim {exc.claim} is not accepted") from None
        # The gateway signs one token per call; a long-lived token is not one of them.
        lifetime = claims["exp"] - claims["iat"]
        if not 0 < lifetime <= MAX_LIFETIME:
            raise InvalidToken(f"the token's lifetime is not within {MAX_LIFETIME} seconds")
