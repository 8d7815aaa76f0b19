"""Client authentication with a signed assertion, private_key_jwt (RFC 7523 §2.2), against the
keys the client registered: a JWKS, or a JWKS URI fetched and cached (``adapters.jwks``)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet

from adapters.jwks import KeysUnavailable
from gateway.identity.clients import ClientStore, is_client_id
from gateway.identity.oauth.jwks import KeySetDirectory, public_key_set
from gateway.identity.oauth.registered_client import OAuthClient
from gateway.identity.oauth.replay import ReplayGuard

# Signature algorithms accepted on client assertions: asymmetric only (no HMAC, no "none").
ASSERTION_ALGORITHMS = ["ES256", "ES384", "RS256", "PS256", "Ed25519"]
# A client assertion is single-use and short-lived (RFC 7523 §3: exp "limits the time window").
MAX_ASSERTION_LIFETIME = 300
# What an assertion for a client without registered keys (an unknown id, a secret client) is
# checked against: the signature check runs and fails as it does for a key that does not match,
# so neither the answer nor the work done tells which client ids exist.
_NO_KEY = ECKey.import_key(ECKey.generate_key("P-256", private=True).as_dict(private=False))
# One answer for every signature failure (wrong key, unknown kid, key of another type).
ASSERTION_DOES_NOT_VERIFY = "the client assertion does not verify against the client's keys"


class PrivateKeyJwt(JWTBearerClientAssertion):
    """RFC 7523 §2.2 client authentication with keys the client registered (JWKS or JWKS URI)."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(
        self,
        token_endpoint: str,
        replay: ReplayGuard,
        remote: KeySetDirectory,
        leeway: int,
        clients: ClientStore,
    ) -> None:
        super().__init__(validate_jti=True, leeway=leeway)
        self._token_endpoint = token_endpoint
        self._replay = replay
        self._remote = remote
        self._clients = clients

    def __call__(self, query_client: Any, request: Any) -> Any:
        # RFC 7521 §4.2: "If present, the value of the client_id parameter MUST identify the same
        # client as is identified by the client assertion."
        assertion = request.form.get("client_assertion")
        named = request.form.get("client_id")
        is_ours = request.form.get("client_assertion_type") == self.CLIENT_ASSERTION_TYPE
        if is_ours and assertion and named is not None:
            subject = self.extract_assertion(assertion)[1].get("sub")
            if named != subject:
                raise InvalidClientError(
                    description="client_id does not name the client the assertion is for"
                )
        return super().__call__(query_client, request)

    def get_audiences(self) -> list[str]:
        # RFC 7523 §3 item 3: the aud must identify the authorisation server; we require the
        # token endpoint URL, so an assertion made for another server is useless here.
        return [self._token_endpoint]

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet | Key:
        registered = client.client
        try:
            if registered.jwks is not None:
                return public_key_set(registered.jwks)
            if registered.jwks_uri:
                return self._remote.get(registered.jwks_uri).keys_for(None)
        except (ValueError, KeysUnavailable):
            raise InvalidClientError(
                description="the client's public keys cannot be obtained"
            ) from None
        return _NO_KEY

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            header = jws.extract_compact(assertion.encode("ascii")).headers()
        except (JoseError, UnicodeEncodeError):
            raise InvalidClientError(description="the client assertion is malformed") from None
        if header.get("alg") not in ASSERTION_ALGORITHMS:
            raise InvalidClientError(description="the assertion's algorithm is not accepted")
        kid = header.get("kid")
        keys = resolve_key
        sub = self.extract_assertion(assertion)[1].get("sub")
        client = self._clients.get(sub) if is_client_id(sub) else None
        if client is not None and client.jwks_uri and isinstance(kid, str):
            try:  # a key the cache lacks may be a rotated one: fetch again (rate-limited)
                keys = self._remote.get(client.jwks_uri).keys_for(kid)
            except KeysUnavailable:
                raise InvalidClientError(
                    description="the client's public keys cannot be obtained"
                ) from None
        try:
            token = jwt.decode(assertion, keys, algorithms=ASSERTION_ALGORITHMS)
        except JoseError:
            raise InvalidClientError(description=ASSERTION_DOES_NOT_VERIFY) from None
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: Any) -> None:
        if not isinstance(claims.get("iat"), int | float):
            raise InvalidClientError(description="the client assertion lacks iat")
        if not 0 < claims.get("exp", 0) - claims["iat"] <= MAX_ASSERTION_LIFETIME:
            raise InvalidClientError(
                description=f"a client assertion may live at most {MAX_ASSERTION_LIFETIME} s"
            )
        super().verify_claims(claims)

    def validate_jti(self, claims: Any, jti: Any) -> bool:
        if not isinstance(jti, str) or not 0 < len(jti) <= 128:
            return False
        return self._replay.first_use(str(claims["sub"]), jti, int(claims["exp"]))
