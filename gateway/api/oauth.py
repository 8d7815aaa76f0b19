"""The OAuth 2.0 endpoints (DESIGN §6); errors keep the RFC 6749 §5.2 format clients expect."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from flask import Blueprint, Flask, Response
from werkzeug.exceptions import HTTPException

from ..services import Services
from .common import json_response, services

bp = Blueprint("oauth", __name__)

_ERRORS = {405: "invalid_request", 413: "invalid_request", 404: "invalid_request"}


def init_app(app: Flask, built: Services) -> None:
    from ..oauth.server import create_authorization_server

    server = create_authorization_server(built.clients, built.issuer)
    server.init_app(app)
    app.extensions["jjj-gateway-oauth"] = server


def _server() -> AuthorizationServer:
    from flask import current_app

    server: AuthorizationServer = current_app.extensions["jjj-gateway-oauth"]
    return server


def oauth_error(exc: HTTPException) -> Response:
    body: dict[str, Any] = {
        "error": _ERRORS.get(exc.code or 400, "invalid_request"),
        "error_description": exc.description or exc.name,
    }
    response = json_response(body, status=exc.code or 400)
    for key, value in exc.get_headers():
        if key.lower() == "allow":
            response.headers[key] = value
    return response


@bp.post("/oauth/token")
def token() -> Response:
    response: Response = _server().create_token_response()
    return response


@bp.get("/oauth/jwks")
def jwks() -> Response:
    response = json_response(services().keys.jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
