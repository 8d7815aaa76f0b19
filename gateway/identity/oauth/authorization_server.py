"""The authorisation server on Authlib's Flask integration: client credentials (RFC 6749 §4.4)
with client_secret_basic, client_secret_post and private_key_jwt (RFC 7523), introspection
(RFC 7662), revocation (RFC 7009) and metadata (RFC 8414)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import (
    InsecureTransportError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet

from adapters.jwks import KeysUnavailable
from gateway.core.problems import Problem
from gateway.identity import auth_methods
from gateway.identity.clients import Client, ClientStore, is_client_id, unregistered
from gateway.identity.oauth.backoff import AuthenticationBackoff
from gateway.identity.oauth.jwks import KeySetDirectory, public_key_set
from gateway.identity.oauth.replay import ReplayGuard
from gateway.identity.oauth.revocation import RevocationList
from gateway.identity.oauth.tokens import AccessTokenVerifier, TokenIssuer, unverified_claim
from gateway.identity.scopes import SCOPE_IDS

# docs/architecture.md#unified-authorisation: the scopes the gateway knows.
SCOPES_SUPPORTED = list(SCOPE_IDS)
AUTH_METHODS = list(auth_methods.AUTH_METHODS)
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


class OAuthClient(ClientMixin):
    """Authlib's view of a registered client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return " ".join(sorted(self.client.scopes))
        return " ".join(s for s in scope.split() if s in self.client.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client.check_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # A client uses the one method it registered, at every endpoint; a disabled one none.
        return self.client.active and method == self.client.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = tuple(AUTH_METHODS)

    def validate_requested_scope(self) -> None:
        # RFC 6749 §3.3 lets the server narrow a requested scope; we refuse a scope the client
        # was not registered for instead, so an integrator learns of the mistake at once.
        requested = set((self.request.payload.scope or "").split())
        allowed = self.request.client.client.scopes
        if requested - set(SCOPES_SUPPORTED) or requested - allowed:
            raise InvalidScopeError(
                description="the requested scope is not registered for this client"
            )


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


class _Token(dict[str, Any]):
    """A verified access token's claims, as Authlib's endpoints expect a token object."""

    def is_expired(self) -> bool:
        return int(self.get("exp", 0)) <= time.time()

    def is_revoked(self) -> bool:
        return bool(self.get("_revoked"))

    def check_client(self, client: OAuthClient) -> bool:
        return self.get("client_id") == client.get_client_id()


def _verified(verifier: AccessTokenVerifier, token: str) -> _Token | None:
    try:
        return _Token(verifier.decode(token))
    except Problem:
        return None


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def __init__(
        self,
        server: AuthorizationServer,
        verifier: AccessTokenVerifier,
        revocations: RevocationList,
        clients: ClientStore,
    ) -> None:
        super().__init__(server)
        self._verifier = verifier
        self._revocations = revocations
        self._clients = clients

    def check_params(self, request: Any, client: Any) -> None:
        # RFC 7662 §2.1: an unknown token_type_hint is not an error; the server searches anyway.
        if "token" not in request.form:
            super().check_params(request, client)

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        token = _verified(self._verifier, token_string)
        if token is not None:
            owner = self._clients.get(str(token["client_id"]))
            token["_revoked"] = (
                self._revocations.is_revoked(str(token["jti"]))
                or owner is None
                or not owner.active
                or not owner.accepts_token_issued_at(float(token["iat"]))
            )
        return token

    def check_permission(self, token: _Token, client: OAuthClient, request: Any) -> bool:
        # A client may introspect its own tokens; an administrator any token of this gateway.
        # (A token the caller may not see is reported inactive: RFC 7662 §4, no token scanning.)
        return token.check_client(client) or "admin" in client.client.scopes

    def introspect_token(self, token: _Token) -> dict[str, Any]:
        claims = {k: v for k, v in token.items() if not k.startswith("_")}
        return {"active": True, "token_type": "Bearer", **claims}


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def __init__(
        self,
        server: AuthorizationServer,
        verifier: AccessTokenVerifier,
        revocations: RevocationList,
    ) -> None:
        super().__init__(server)
        self._verifier = verifier
        self._revocations = revocations

    def check_params(self, request: Any, client: Any) -> None:
        if "token" not in request.form:
            super().check_params(request, client)

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        # RFC 7009 §2.2: an invalid token is not an error — there is nothing to revoke.
        return _verified(self._verifier, token_string)

    def revoke_token(self, token: _Token, request: Any) -> None:
        self._revocations.revoke(
            str(token["jti"]), client_id=str(token["client_id"]), expires_at=int(token["exp"])
        )


class RetryLater(OAuth2Error):
    """Too many failed client authentications: 429 with Retry-After (RFC 6585 §4), answered
    before any secret is checked. The error code is RFC 6749's "temporarily_unavailable"."""

    error = "temporarily_unavailable"
    status_code = 429

    def __init__(self, seconds: int) -> None:
        super().__init__(
            description=f"too many failed client authentications; retry after {seconds} s"
        )
        self.seconds = seconds

    def get_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super().get_headers()
        return [*headers, ("Retry-After", str(self.seconds))]


def _claimed_client_id(request: Any) -> str:
    """The client id a request names (Basic header, form, or an assertion's sub), unverified:
    what failures are counted against."""
    client_id, _ = extract_basic_authorization(request.headers)
    if client_id:
        return str(client_id)
    form = request.form
    if form.get("client_id"):
        return str(form["client_id"])
    sub = unverified_claim(str(form.get("client_assertion") or ""), "sub")
    return sub or ""


class ClientAddressedRequest(FlaskOAuth2Request):
    """The OAuth request at the address its client used. TLS ends at the ingress (see
    docs/deployment.md), so the hop that reached the gateway is plain HTTP under whatever Host
    the ingress passed on; when the gateway's public address is https, that is what the client
    spoke to. Otherwise the request's own URL is judged (loopback HTTP is allowed, RFC 8252
    §7.3), as Authlib does."""

    def __init__(self, request: Any, public_base: str) -> None:
        # RFC 6749 §3.2: the token endpoint MUST be reached over TLS.
        uri = request.url
        if public_base.startswith("https://"):
            uri = f"{public_base.rstrip('/')}{request.full_path.rstrip('?')}"
        OAuth2Request.__init__(self, method=request.method, uri=uri, headers=request.headers)
        self._request = request
        self.payload = FlaskOAuth2Payload(request)


class GatewayAuthorizationServer(AuthorizationServer):
    def __init__(
        self,
        *,
        backoff: AuthenticationBackoff,
        address_of: Callable[[], str],
        public_base: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.backoff = backoff
        self._address_of = address_of
        self._public_base = public_base

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        from flask import request as flask_request

        return ClientAddressedRequest(flask_request, self._public_base)

    def create_token_response(self, request: Any = None) -> Any:
        try:
            return super().create_token_response(request)
        except InsecureTransportError:
            return self._insecure()

    def create_endpoint_response(self, name: str, request: Any = None) -> Any:
        try:
            return super().create_endpoint_response(name, request)
        except InsecureTransportError:
            return self._insecure()

    def _insecure(self) -> Any:
        # Raised while the request is built, before Authlib's own error handling: answered in
        # the RFC 6749 format the client expects, never as a 500.
        error = InvalidRequestError(
            description="this endpoint is served only over TLS: reach the gateway at its https "
            "address (operators: set GATEWAY_ISSUER to the public https URL)"
        )
        return self.handle_response(*error())

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> Any:
        # Every endpoint that authenticates a client comes here: failures are counted, and a
        # caller that failed too often waits before its next secret costs an argon2 check.
        claimed, address = _claimed_client_id(request), self._address_of()
        wait = self.backoff.retry_after(claimed, address)
        if wait > 0:
            raise RetryLater(wait)
        try:
            client = super().authenticate_client(request, methods, endpoint)
        except InvalidClientError:
            self.backoff.failed(claimed, address)
            raise
        self.backoff.succeeded(claimed, address)
        return client

    def handle_error_response(self, request: Any, error: Any) -> Any:
        # Say plainly that authentication failed, without telling which part (unknown client,
        # wrong secret, wrong method) — that would help someone guessing client ids.
        if getattr(error, "error", None) == "invalid_client" and str(
            getattr(error, "description", "")
        ).startswith("The client cannot authenticate"):
            error.description = (
                "client authentication failed: check the client id, the secret "
                "or key, and that the client uses its registered method"
            )
        return super().handle_error_response(request, error)


def create_authorization_server(
    *,
    clients: ClientStore,
    issuer: TokenIssuer,
    verifier: AccessTokenVerifier,
    revocations: RevocationList,
    replay: ReplayGuard,
    remote_keys: KeySetDirectory,
    token_endpoint: str,
    leeway: int,
    backoff: AuthenticationBackoff,
    address_of: Callable[[], str],
) -> AuthorizationServer:
    def query_client(client_id: Any) -> OAuthClient:
        # Never None: Authlib would answer "does not exist" at once for an unknown id, while a
        # wrong secret costs an argon2 check — the difference would list the registered ids.
        # An id that cannot be registered is not looked up (a NUL byte would upset PostgreSQL).
        client = clients.get(client_id) if is_client_id(client_id) else None
        return OAuthClient(client or unregistered(str(client_id)[:64]))

    def save_token(token: dict[str, Any], request: Any) -> None:
        # JWT access tokens are self-contained (RFC 9068); nothing to store.
        return None

    server = GatewayAuthorizationServer(
        query_client=query_client,
        save_token=save_token,
        backoff=backoff,
        address_of=address_of,
        public_base=token_endpoint.removesuffix("/oauth/token"),
    )
    server.scopes_supported = SCOPES_SUPPORTED

    def generate(
        grant_type: str,
        client: OAuthClient,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        granted = client.get_allowed_scope(scope)
        token, lifetime = issuer.access_token(
            client_id=client.client.client_id,
            scope=granted,
            region=client.client.region,
            tier=client.client.tier,
            valid_after=(
                client.client.tokens_valid_after.timestamp()
                if client.client.tokens_valid_after
                else None
            ),
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": granted,
        }

    server.register_token_generator("client_credentials", generate)
    server.register_client_auth_method(
        "private_key_jwt", PrivateKeyJwt(token_endpoint, replay, remote_keys, leeway, clients)
    )
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(Introspection(server, verifier, revocations, clients))
    server.register_endpoint(Revocation(server, verifier, revocations))
    return server


#: RFC 9728 §3: the well-known path of protected resource metadata.
RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource"


def resource_metadata_url(issuer: str, resource: str) -> str:
    """Where the metadata of ``resource`` is (RFC 9728 §3.1: the well-known path goes between
    the host and the resource's path); a resource elsewhere than the issuer's origin is
    described at the issuer's own well-known path."""
    base, parsed = urlsplit(issuer), urlsplit(resource)
    origin = f"{base.scheme}://{base.netloc}"
    path = parsed.path.rstrip("/") if (parsed.scheme, parsed.netloc) == base[:2] else ""
    return f"{origin}{RESOURCE_METADATA_PATH}{path}"


def protected_resource_metadata(
    issuer: str, resource: str, trusted_issuers: Iterable[str]
) -> dict[str, Any]:
    """RFC 9728 §2 protected resource metadata of the data API."""
    base = issuer.rstrip("/")
    return {
        "resource": resource,
        # This gateway's tokens and those of the trusted regional issuers are accepted.
        "authorization_servers": [issuer, *sorted(trusted_issuers)],
        "jwks_uri": f"{base}/oauth/jwks",
        "scopes_supported": SCOPES_SUPPORTED,
        # RFC 6750 §2.1 only: no form body or query parameter tokens.
        "bearer_methods_supported": ["header"],
        "resource_signing_alg_values_supported": ["ES256"],
        "resource_name": "JJJ Data Gateway (京津冀公共数据共享网关)",
        "resource_documentation": f"{base}/docs",
    }


def metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 §2 authorisation server metadata."""
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "token_endpoint": f"{base}/oauth/token",
        "jwks_uri": f"{base}/oauth/jwks",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "scopes_supported": SCOPES_SUPPORTED,
        # RFC 9068 access tokens are signed with these.
        "access_token_signing_alg_values_supported": ["ES256"],
        "service_documentation": f"{base}/docs",
    }
