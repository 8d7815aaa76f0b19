"""What every request and response goes through: size limits on the request line and headers, a
request target in UTF-8, security headers, an opt-in CORS policy, and a database outage answered
as 503, not 500."""

from __future__ import annotations

import logging
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gateway.core.problems import Problem
from gateway.http.api.common import problem_response

log = logging.getLogger(__name__)

MAX_URI = 4096
MAX_HEADER = 8192
MAX_HEADERS_TOTAL = 16384
# Exposed to browser clients when CORS is configured: what an integrator needs to read.
EXPOSED = (
    "X-Exchange-Id, X-Exchange-Complete, X-Exchange-Limit, X-Fields-Masked, X-Next-Cursor, "
    "RateLimit, RateLimit-Policy, Retry-After, Location, Link, ETag"
)


def _request_target() -> str:
    """The path and query as the client sent them, still percent-encoded."""
    environ = request.environ
    return str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path)


def limit_request() -> Response | None:
    """RFC 9110 §15.5.15 / RFC 6585 §5: refuse an over-long URI (414) or headers (431)."""
    environ = request.environ
    uri = _request_target()
    if len(uri) > MAX_URI:
        return problem_response(Problem("uri-too-long"))
    total = 0
    for name, value in environ.items():
        if name.startswith("HTTP_") and isinstance(value, str):
            size = len(name) + len(value)
            total += size
            if size > MAX_HEADER or total > MAX_HEADERS_TOTAL:
                return problem_response(Problem("headers-too-large"))
    return None


def utf8_target() -> Response | None:
    """RFC 3986 §2.5: the API reads percent-encoded octets as UTF-8, so a path or query whose
    octets are not UTF-8 (``%FF``, a lone surrogate as ``%ED%A0%80``) is a 400. Read otherwise,
    the escape stays literal text or becomes U+FFFD, and the gateway searches for what the
    caller never sent."""
    if not request.path.startswith("/v1/"):
        return None
    try:
        unquote_to_bytes(_request_target()).decode("utf-8")
    except UnicodeDecodeError:
        detail = "the request target is not UTF-8: percent-encoded octets must be UTF-8"
        return problem_response(Problem("invalid-request", detail=detail))
    return None


# JSON answers need nothing from a browser; pages set their own, stricter-than-default policy.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def security_headers(response: Response) -> Response:
    """The security headers on every response, unless the view set its own (one pass)."""
    present = {name.lower() for name, _ in response.headers}
    wanted = (*SECURITY_HEADERS, HSTS) if request.is_secure else SECURITY_HEADERS
    response.headers.extend([(k, v) for k, v in wanted if k.lower() not in present])
    return response


def install_cors(app: Flask, origins: list[str]) -> None:
    """CORS is off unless origins are configured; then only for the API, only for them."""
    allowed = frozenset(origins)

    def preflight() -> Response | None:
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        response = Response(status=204)
        origin = request.headers.get("Origin", "")
        if origin in allowed and request.path.startswith(("/v1/", "/oauth/")):
            response.headers.update(
                {
                    "Access-Control-Allow-Origin": origin,
                    "Access-Control-Allow-Methods": "GET, POST, PUT",
                    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Purpose",
                    "Access-Control-Max-Age": "600",
                    "Vary": "Origin",
                }
            )
        return response

    def actual(response: Response) -> Response:
        origin = request.headers.get("Origin", "")
        if origin in allowed and request.path.startswith(("/v1/", "/oauth/")):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED
            response.headers.add("Vary", "Origin")
        return response

    app.before_request(preflight)
    app.after_request(actual)


def database_unavailable(exc: Exception) -> Response:
    """The database cannot be reached: nothing can be accounted for, so nothing is served —
    503 with Retry-After; the connection pool reconnects by itself when it is back."""
    log.error("database unavailable: %s", type(exc).__name__)
    if request.path.startswith("/oauth/"):
        from gateway.http.api.common import json_response

        # RFC 6749 §4.1.2.1 names temporarily_unavailable for exactly this.
        return json_response(
            {
                "error": "temporarily_unavailable",
                "error_description": "the authorisation server cannot reach its "
                "database; retry later",
            },
            status=503,
            headers={"Retry-After": "5"},
        )
    return problem_response(
        Problem(
            "service-unavailable",
            detail="the gateway cannot reach its database; retry later",
            headers={"Retry-After": "5"},
        )
    )


def install(app: Flask, *, cors_origins: list[str]) -> None:
    app.before_request(limit_request)
    app.before_request(utf8_target)
    app.after_request(security_headers)
    for error in (OperationalError, DBAPIError, PoolTimeout):
        app.register_error_handler(error, database_unavailable)
    if cors_origins:
        install_cors(app, cors_origins)
