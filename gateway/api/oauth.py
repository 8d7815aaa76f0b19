"""The OAuth 2.0 endpoints (DESIGN §6); errors keep the RFC 6749 §5.2 format clients expect."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from flask import Blueprint, Flask, Response, current_app
from werkzeug.exceptions import HTTPException

from ..oauth.server import create_authorization_server, metadata
from ..services import Services
from .common import json_response, services

bp = Blueprint("oauth", __name__)


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
    )
    server.init_app(app)
    app.extensions["jjj-gateway-oauth"] = server


def _server() -> AuthorizationServer:
    server: AuthorizationServer = current_app.extensions["jjj-gateway-oauth"]
    return server


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
def token() -> Response:
    """RFC 6749 §4.4 client credentials; client authenticated by its registered method."""
    response: Response = _server().create_token_response()
    return response


@bp.post("/oauth/introspect")
def introspect() -> Response:
    """RFC 7662: the state of an access token, for the client it was issued to."""
    response: Response = _server().create_endpoint_response("introspection")
    return response


@bp.post("/oauth/revoke")
def revoke() -> Response:
    """RFC 7009: the token stops working on every replica within a second."""
    response: Response = _server().create_endpoint_response("revocation")
    return response


@bp.get("/oauth/jwks")
def jwks() -> Response:
    response = json_response(services().keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/oauth-authorization-server")
def discovery() -> Response:
    response = json_response(metadata(services().settings.issuer))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
