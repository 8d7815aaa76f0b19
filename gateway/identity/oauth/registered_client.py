"""A registered client as Authlib's endpoints see it: its id, scopes, secret check and the one
authentication method it registered."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin

from gateway.identity.clients import Client


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
