"""The authorisation server (RFC 6749 client credentials) on Authlib's Flask integration."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidScopeError

from ..clients import Client, ClientStore
from .tokens import TokenIssuer

# DESIGN §6: the scopes the gateway knows.
SCOPES_SUPPORTED = ["data:read", "catalog:read", "audit:read", "admin"]


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
        # A client uses the one method it registered, at every endpoint.
        return self.client.active and method == self.client.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

    def validate_requested_scope(self) -> None:
        # RFC 6749 §3.3: the server may fully or partially ignore the requested scope; we refuse
        # a scope the client was not registered for rather than silently narrowing it.
        requested = set((self.request.payload.scope or "").split())
        allowed = self.request.client.client.scopes
        if requested - set(SCOPES_SUPPORTED) or requested - allowed:
            raise InvalidScopeError(
                description="the requested scope is not registered for this client"
            )


def create_authorization_server(clients: ClientStore, issuer: TokenIssuer) -> AuthorizationServer:
    def query_client(client_id: str) -> OAuthClient | None:
        client = clients.get(client_id) if client_id and len(client_id) <= 64 else None
        return OAuthClient(client) if client else None

    def save_token(token: dict[str, Any], request: Any) -> None:
        # JWT access tokens are self-contained (RFC 9068); nothing to store.
        return None

    server = AuthorizationServer(query_client=query_client, save_token=save_token)
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
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": granted,
        }

    server.register_token_generator("client_credentials", generate)
    server.register_grant(ClientCredentialsGrant)
    return server
