"""JWT access tokens (RFC 9068) and the short-lived tokens the gateway gives adapter servers."""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from adapters.bearer import challenge
from adapters.jwks import KeysUnavailable
from gateway.core.problems import Problem
from gateway.identity.clients import Client
from gateway.identity.oauth.jwks import KeySetDirectory, public_key_set
from gateway.identity.oauth.revocation import foreign_token_key
from gateway.identity.signing_keys import ALGORITHM, SigningKeys
from policies import TrustedIssuer

# RFC 9068 §2.1: JWT access tokens MUST carry typ "at+jwt" ("application/at+jwt" is equivalent).
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
#: The protection space every bearer challenge of the gateway names (RFC 6750 §3).
REALM = "jjj-gateway"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as established by a verified access token."""

    client_id: str
    scopes: frozenset[str]
    region: str | None
    tier: str
    jti: str
    issuer: str
    expires_at: int
    issued_at: int = 0

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def invalid_token(description: str) -> Problem:
    """401 with the RFC 6750 §3 challenge."""
    return Problem(
        "unauthorized",
        detail=description,
        headers={
            "WWW-Authenticate": challenge(
                REALM, error="invalid_token", error_description=description
            )
        },
    )


class TokenIssuer:
    """Signs access tokens for clients and bearer tokens for adapter servers (current key)."""

    def __init__(
        self, keys: SigningKeys, *, issuer: str, audience: str, lifetime: int, adapter_lifetime: int
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        self.adapter_lifetime = adapter_lifetime
        self._adapter_cache: dict[str, tuple[float, str]] = {}

    def access_token(
        self,
        *,
        client_id: str,
        scope: str,
        region: str,
        tier: str,
        lifetime: int | None = None,
        valid_after: float | None = None,
    ) -> tuple[str, int]:
        lifetime = lifetime or self.lifetime
        now = int(time.time())
        key = self.keys.signing_key()
        # iat is whole seconds: a token issued in the second in which the client's tokens were
        # cut off (``valid_after``) says the next second, or it would be refused all its life.
        issued_at = max(now, math.ceil(valid_after)) if valid_after is not None else now
        claims = {
            "iss": self.issuer,
            "sub": client_id,
            # RFC 9068 §3: aud is the resource (this gateway's API), not the client.
            "aud": self.audience,
            "iat": issued_at,
            "nbf": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(16),
            "client_id": client_id,
            "scope": scope,
            "region": region,
            "tier": tier,
        }
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": key.kid}
        return jwt.encode(header, claims, key), lifetime

    def adapter_token(self, node_id: str) -> str:
        """A bearer token for one node (aud = node id, lifetime ≤ 60 s), reused while fresh."""
        cached = self._adapter_cache.get(node_id)
        now = time.time()
        # Reuse for half the lifetime so a token never reaches a node close to its expiry.
        if cached and cached[0] > now:
            return cached[1]
        key = self.keys.signing_key()
        iat = int(now)
        claims = {
            "iss": self.issuer,
            "sub": "jjj-gateway",
            "aud": node_id,
            "iat": iat,
            "exp": iat + self.adapter_lifetime,
            "jti": secrets.token_urlsafe(12),
        }
        token = jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": key.kid}, claims, key)
        self._adapter_cache[node_id] = (now + self.adapter_lifetime / 2, token)
        return token


#: Verified tokens remembered per process (a token lives ten minutes; clients reuse it).
VERIFIED_CACHE_SIZE = 20000

#: A foreign token's lifetime cap when its issuer names none: the gateway's own token lifetime.
DEFAULT_MAX_FOREIGN_LIFETIME = 600
#: A foreign token's ``jti``: printable ASCII, bounded (it is a deny-list key and audited).
FOREIGN_JTI = re.compile(r"[\x21-\x7e]{1,128}")

# Algorithms accepted from trusted regional issuers (never "none", never HMAC).
FOREIGN_ALGORITHMS = ("ES256", "ES384", "RS256", "PS256", "Ed25519")


class AccessTokenVerifier:
    """Checks an access token: signature, typ, iss, aud, exp, nbf, revocation, client status.

    Tokens of this gateway are checked against its own keys; tokens of a trusted regional
    issuer (policies/trust.yaml) against that issuer's keys, and mapped to a tier by its claim
    mapping. Any other issuer is refused.
    """

    def __init__(
        self,
        key_set: Callable[[], KeySet],
        *,
        issuer: str,
        audience: str,
        clock_skew: int,
        is_revoked: Callable[[str], bool],
        client_of: Callable[[str], Client | None],
        trusted: Mapping[str, TrustedIssuer] | None = None,
        remote_keys: KeySetDirectory | None = None,
        max_foreign_lifetime: int = DEFAULT_MAX_FOREIGN_LIFETIME,
        known_region: Callable[[str], bool] = lambda code: True,
    ) -> None:
        self._key_set = key_set
        self.max_foreign_lifetime = max_foreign_lifetime
        self._known_region = known_region
        self.issuer = issuer
        self.audience = audience
        self._clock_skew = clock_skew
        self._is_revoked = is_revoked
        self._client_of = client_of
        self._trusted = dict(trusted or {})
        self._remote_keys = remote_keys or KeySetDirectory()
        self._claims = self._registry(issuer, audience)
        self._verified: dict[str, Principal] = {}
        self._foreign_claims = {
            iss: self._registry(iss, spec.audience) for iss, spec in self._trusted.items()
        }

    def _registry(self, issuer: str, audience: str) -> jwt.JWTClaimsRegistry:
        return jwt.JWTClaimsRegistry(
            leeway=self._clock_skew,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            iat={"essential": True},
            jti={"essential": True},
        )

    def verify(self, token: str) -> Principal:
        issuer = unverified_claim(token, "iss")
        if issuer is not None and issuer != self.issuer and issuer in self._trusted:
            return self._verify_foreign(token, self._trusted[issuer])
        if issuer is not None and issuer != self.issuer:
            raise invalid_token("the access token's issuer is not trusted by this gateway")
        principal = self._verified.get(token)
        now = time.time()
        if principal is None or principal.expires_at + self._clock_skew <= now:
            claims = self.decode(token)
            principal = Principal(
                client_id=claims["client_id"],
                scopes=frozenset(str(claims.get("scope", "")).split()),
                region=claims.get("region"),
                tier=str(claims.get("tier", "")),
                jti=claims["jti"],
                issuer=claims["iss"],
                expires_at=int(claims["exp"]),
                issued_at=int(claims["iat"]),
            )
            # A token's signature and claims do not change: verify them once per process and
            # token. Revocation and the client's status are still checked on every request.
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = principal
        if self._is_revoked(principal.jti):
            raise invalid_token("the access token has been revoked")
        client = self._client_of(principal.client_id)
        if client is None or not client.active:
            raise invalid_token("the client is disabled")
        if not client.accepts_token_issued_at(principal.issued_at):
            raise invalid_token("the client's tokens issued before a revocation are refused")
        return principal

    def decode(self, token: str) -> dict[str, Any]:
        """The verified claims of one of our tokens, or a 401 problem saying what is wrong."""
        _check_shape(token)
        try:
            # Only our signing algorithm is accepted: no "none", no HMAC with a public key.
            decoded = jwt.decode(token, self._key_set(), algorithms=[ALGORITHM])
        except JoseError as exc:
            raise invalid_token(_describe(exc)) from None
        except (ValueError, TypeError, KeyError):
            raise invalid_token("the access token is malformed") from None
        claims = self._checked(decoded, self._claims)
        if not isinstance(claims.get("client_id"), str):
            raise invalid_token("the access token lacks a required claim (client_id)")
        return claims

    def _checked(self, decoded: jwt.Token, registry: jwt.JWTClaimsRegistry) -> dict[str, Any]:
        typ = str(decoded.header.get("typ", "")).lower()
        if typ not in ACCESS_TOKEN_TYPES:
            raise invalid_token("the token is not an access token (typ must be at+jwt)")
        try:
            registry.validate(decoded.claims)
        except JoseError as exc:
            raise invalid_token(_describe(exc)) from None
        return decoded.claims

    def _verify_foreign(self, token: str, trusted: TrustedIssuer) -> Principal:
        _check_shape(token)
        try:
            kid = jws.extract_compact(token.encode("ascii")).headers().get("kid")
            if trusted.jwks is not None:
                keys = public_key_set(trusted.jwks)
            else:
                assert trusted.jwks_uri is not None
                keys = self._remote_keys.get(trusted.jwks_uri).keys_for(
                    kid if isinstance(kid, str) else None
                )
            decoded = jwt.decode(token, keys, algorithms=list(FOREIGN_ALGORITHMS))
        except KeysUnavailable:
            raise invalid_token("the issuer's keys cannot be obtained right now") from None
        except JoseError as exc:
            raise invalid_token(_describe(exc)) from None
        except (ValueError, TypeError, KeyError, UnicodeEncodeError):
            raise invalid_token("the access token is malformed") from None
        claims = self._checked(decoded, self._foreign_claims[trusted.issuer])
        jti, iat, exp = claims["jti"], claims["iat"], claims["exp"]
        if not isinstance(jti, str) or not FOREIGN_JTI.fullmatch(jti):
            raise invalid_token("the access token has an invalid claim (jti)")
        # A token another region issued is trusted for as long as it says only up to a cap: a
        # long-lived foreign token would outlive any revocation the issuer makes.
        cap = self.foreign_lifetime(trusted)
        if not isinstance(iat, int | float) or not isinstance(exp, int | float) or exp - iat > cap:
            raise invalid_token(f"a trusted issuer's token may live at most {cap} s")
        try:
            caller = trusted.caller_for(claims)
        except ValueError as exc:
            raise invalid_token(str(exc)) from None
        if caller.region is not None and not self._known_region(caller.region):
            raise invalid_token("the access token names an unknown region")
        if self._is_revoked(foreign_token_key(trusted.issuer, jti)):
            raise invalid_token("the access token has been revoked")
        principal = Principal(
            client_id=caller.client_id,
            scopes=caller.scopes,
            region=caller.region,
            tier=caller.tier,
            jti=str(claims["jti"]),
            issuer=trusted.issuer,
            expires_at=int(claims["exp"]),
        )
        return principal

    def foreign_lifetime(self, trusted: TrustedIssuer) -> int:
        """The longest a token of ``trusted`` may live (``exp - iat``), in seconds."""
        return trusted.max_token_lifetime or self.max_foreign_lifetime


def _check_shape(token: str) -> None:
    if len(token) > 8192 or token.count(".") != 2:
        raise invalid_token("the access token is malformed")


def unverified_claim(token: str, name: str) -> str | None:
    """A string claim of a JWT, read before verification: only to choose the keys (``iss``) or
    what failures to count against (``sub`` of a client assertion)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return None
    value = claims.get(name) if isinstance(claims, dict) else None
    return value if isinstance(value, str) else None


def _describe(exc: JoseError) -> str:
    name = type(exc).__name__
    messages = {
        "BadSignatureError": "the access token signature is invalid",
        "ExpiredTokenError": "the access token has expired",
        "InvalidTokenError": "the access token is not yet valid",
        "UnsupportedAlgorithmError": "the access token uses an algorithm the gateway refuses",
        "InvalidKeyIdError": "the access token was signed by an unknown key",
        "MissingClaimError": f"the access token lacks a required claim ({exc.description})",
        "InvalidClaimError": f"the access token has an invalid claim ({exc.description})",
    }
    return messages.get(name, "the access token is invalid")
