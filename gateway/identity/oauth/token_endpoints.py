"""The endpoints that answer about an access token already issued: introspection (RFC 7662)
and revocation (RFC 7009), for the client that holds it (or, for introspection, an
administrator)."""

from __future__ import annotations

import time
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from gateway.core.problems import Problem
from gateway.identity.clients import ClientStore
from gateway.identity.oauth.metadata import AUTH_METHODS
from gateway.identity.oauth.registered_client import OAuthClient
from gateway.identity.oauth.revocation import RevocationList
from gateway.identity.oauth.tokens import AccessTokenVerifier


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


class _AccessTokens:
    """What both endpoints share: clients authenticate as they registered, the tokens asked
    about are access tokens, and a request names one in ``token``."""

    CLIENT_AUTH_METHODS = AUTH_METHODS
    SUPPORTED_TOKEN_TYPES = ("access_token",)

    def check_params(self, request: Any, client: Any) -> None:
        # RFC 7662 §2.1, RFC 7009 §2.1: an unknown token_type_hint is not an error; the server
        # searches anyway.
        if "token" not in request.form:
            raise InvalidRequestError()


class Introspection(_AccessTokens, IntrospectionEndpoint):
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


class Revocation(_AccessTokens, RevocationEndpoint):
    def __init__(
        self,
        server: AuthorizationServer,
        verifier: AccessTokenVerifier,
        revocations: RevocationList,
    ) -> None:
        super().__init__(server)
        self._verifier = verifier
        self._revocations = revocations

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        # RFC 7009 §2.2: an invalid token is not an error — there is nothing to revoke.
        return _verified(self._verifier, token_string)

    def revoke_token(self, token: _Token, request: Any) -> None:
        self._revocations.revoke(
            str(token["jti"]), client_id=str(token["client_id"]), expires_at=int(token["exp"])
        )
