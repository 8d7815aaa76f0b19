"""The authorisation server on Authlib's Flask integration: client credentials (RFC 6749 §4.4)
with client_secret_basic, client_secret_post and private_key_jwt (RFC 7523,
``client_assertion``), introspection and revocation (RFC 7662, RFC 7009, ``token_endpoints``),
and back-off for clients that keep failing to authenticate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import (
    InsecureTransportError,
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization

from gateway.identity.clients import ClientStore, is_client_id, unregistered
from gateway.identity.oauth.backoff import AuthenticationBackoff
from gateway.identity.oauth.client_assertion import PrivateKeyJwt
from gateway.identity.oauth.jwks import KeySetDirectory
from gateway.identity.oauth.metadata import AUTH_METHODS, SCOPES_SUPPORTED
from gateway.identity.oauth.registered_client import OAuthClient
from gateway.identity.oauth.replay import ReplayGuard
from gateway.identity.oauth.revocation import RevocationList
from gateway.identity.oauth.token_endpoints import Introspection, Revocation
from gateway.identity.oauth.tokens import AccessTokenVerifier, TokenIssuer, unverified_claim


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
