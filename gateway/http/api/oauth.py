"""The OAuth 2.0 endpoints (docs/architecture.md#unified-authorisation); errors keep the RFC 6749
§5.2 format clients expect."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from gateway.core.problems import Problem
from gateway.http.api.common import json_response, services
from gateway.http.api.oauth_contract import (
    DISCOVERY,
    INTROSPECT,
    RESOURCE_METADATA,
    REVOKE,
    SIGNING_KEYS,
    TOKEN,
)
from gateway.identity.oauth.authorization_server import create_authorization_server
from gateway.identity.oauth.backoff import AuthenticationBackoff
from gateway.identity.oauth.metadata import (
    RESOURCE_METADATA_PATH,
    metadata,
    protected_resource_metadata,
    resource_metadata_url,
)

if TYPE_CHECKING:
    from gateway.services import Services

bp = Blueprint("oauth", __name__)


def caller_address(trusted_proxies: int) -> str:
    """The caller's address: the peer's, or with N trusted reverse proxies in front, the one the
    N-th proxy from us saw (each appends the address it received the request from to
    X-Forwarded-For, so entries further left were written by the caller and prove nothing)."""
    peer = request.remote_addr or ""
    if trusted_proxies <= 0:
        return peer
    forwarded = [
        hop.strip()
        for header in request.headers.getlist("X-Forwarded-For")
        for hop in header.split(",")
        if hop.strip()
    ]
    if len(forwarded) < trusted_proxies:
        return forwarded[0][:64] if forwarded else peer
    return forwarded[-trusted_proxies][:64]


def init_app(app: Flask, built: Services) -> None:
    settings = built.settings
    server = create_authorization_server(
        clients=built.clients,
        issuer=built.issuer,
        verifier=built.verifier,
        revocations=built.revocations,
        replay=built.replay,
        remote_keys=built.remote_keys,
        token_endpoint=f"{settings.issuer.rstrip('/')}/oauth/token",
        leeway=settings.clock_skew,
        backoff=AuthenticationBackoff(built.redis),
        address_of=lambda: caller_address(settings.trusted_proxies),
    )
    server.init_app(app)
    app.extensions["jjj-gateway-oauth"] = server


def _server() -> AuthorizationServer:
    server: AuthorizationServer = current_app.extensions["jjj-gateway-oauth"]
    return server


@bp.before_request
def require_form_body() -> Response | None:
    """RFC 6749 §4.4.2, RFC 7662 §2.1, RFC 7009 §2.1: parameters come form-encoded; a body in any
    other format (JSON, say) is a malformed request, not a request for an unknown grant."""
    if request.method != "POST" or not (request.content_length or request.mimetype):
        return None
    if request.mimetype == "application/x-www-form-urlencoded":
        return None
    body = {
        "error": "invalid_request",
        "error_description": "the request body must be application/x-www-form-urlencoded",
    }
    # As Authlib answers its own errors (RFC 6749 §5.2 media type, never cached).
    return Response(
        json.dumps(body),
        status=400,
        content_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


@bp.after_app_request
def advertise_resource_metadata(response: Response) -> Response:
    """RFC 9728 §5.1: a bearer challenge names where the resource's metadata is."""
    challenge = response.headers.get("WWW-Authenticate", "")
    if response.status_code == 401 and challenge.startswith("Bearer"):
        settings = services().settings
        url = resource_metadata_url(settings.issuer, settings.resource_id)
        separator = ", " if challenge.strip() != "Bearer" else " "
        response.headers["WWW-Authenticate"] = f'{challenge}{separator}resource_metadata="{url}"'
    return response


def oauth_error(exc: HTTPException) -> Response:
    body: dict[str, Any] = {
        "error": "invalid_request",
        "error_description": exc.description or exc.name,
    }
    response = json_response(body, status=exc.code or 400)
    for key, value in exc.get_headers():
        if key.lower() == "allow":
            response.headers[key] = value
    return response


@bp.post("/oauth/token")
@TOKEN
def token() -> Response:
    """RFC 6749 §4.4 client credentials; client authenticated by its registered method."""
    response: Response = _server().create_token_response()
    return response


@bp.post("/oauth/introspect")
@INTROSPECT
def introspect() -> Response:
    """RFC 7662: the state of an access token, for the client it was issued to."""
    response: Response = _server().create_endpoint_response("introspection")
    return response


@bp.post("/oauth/revoke")
@REVOKE
def revoke() -> Response:
    """RFC 7009: the token stops working on every replica within a second."""
    response: Response = _server().create_endpoint_response("revocation")
    return response


@bp.get("/oauth/jwks")
@SIGNING_KEYS
def jwks() -> Response:
    response = json_response(services().keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/oauth-authorization-server")
@DISCOVERY
def discovery() -> Response:
    response = json_response(metadata(services().settings.issuer))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get(RESOURCE_METADATA_PATH)
@bp.get(f"{RESOURCE_METADATA_PATH}/<path:resource_path>")
@RESOURCE_METADATA
def resource_metadata(resource_path: str = "") -> Response:
    """RFC 9728 §3: the data API's protected resource metadata."""
    built = services()
    settings = built.settings
    expected = resource_metadata_url(settings.issuer, settings.resource_id)
    if resource_path and not expected.endswith(f"{RESOURCE_METADATA_PATH}/{resource_path}"):
        raise Problem("not-found", detail="this gateway describes one protected resource")
    document = protected_resource_metadata(
        settings.issuer, settings.resource_id, built.config.policies.trusted_issuers
    )
    response = json_response(document)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
