"""What every blueprint shares: the services, the caller's token, JSON and problem responses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from flask import Response, current_app, g, request

from adapters.bearer import MalformedCredentials, challenge
from adapters.bearer import bearer_token as parse_bearer_token
from gateway.core.jsonio import dumps
from gateway.core.problems import CONTENT_TYPE, Problem
from gateway.identity.oauth.tokens import REALM, Principal
from gateway.observability.tracing import current_ids

if TYPE_CHECKING:
    # The HTTP layer sits below the app that builds the services (docs/architecture.md): it
    # reaches them through the app it serves, and names their type for the checker only.
    from gateway.services import Services


def services() -> Services:
    return cast("Services", current_app.extensions["jjj-gateway"])


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        dumps(body), status=status, headers=headers, content_type="application/json; charset=utf-8"
    )


def problem_response(problem: Problem) -> Response:
    g.problem = problem  # what the audit record of the answer names
    trace_id, _ = current_ids()
    body = problem.body(instance=request.path, exchange_id=g.get("exchange_id"), trace_id=trace_id)
    return Response(
        dumps(body), status=problem.status, headers=problem.headers, content_type=CONTENT_TYPE
    )


def bearer_token() -> str:
    """The bearer token of the request (RFC 6750 §2.1), or a 401 problem."""
    try:
        token = parse_bearer_token(request.headers.get("Authorization"))
    except MalformedCredentials:
        raise Problem(
            "unauthorized",
            detail="the Authorization header must be 'Bearer <token>'",
            headers={"WWW-Authenticate": challenge(REALM, error="invalid_request")},
        ) from None
    if token is None:
        # RFC 6750 §3.1: a request without credentials gets a challenge with no error code.
        raise Problem(
            "unauthorized",
            detail="an access token is required (Authorization: Bearer)",
            headers={"WWW-Authenticate": challenge(REALM)},
        )
    return token


def authenticate(scope: str | None = None) -> Principal:
    """The verified caller; with a scope, 403 insufficient_scope when the token lacks it."""
    principal = services().verifier.verify(bearer_token())
    g.principal = principal
    if scope and not principal.has_scope(scope):
        raise Problem(
            "insufficient-scope",
            detail=f"this endpoint needs the scope {scope!r}",
            headers={"WWW-Authenticate": challenge(REALM, error="insufficient_scope", scope=scope)},
        )
    return principal


#: The most digits an integer query parameter may have: every page size and page number fits,
#: and no value can overflow a database parameter (a signed 64-bit integer holds 18 digits).
MAX_INTEGER_PARAM_DIGITS = 9


def integer_param(
    name: str, value: str | None, *, digits: int = MAX_INTEGER_PARAM_DIGITS
) -> int | None:
    """A query parameter of ASCII digits as an int (None when absent), or a 400 problem.
    (``str.isdigit`` alone accepts "²", which ``int`` then refuses.)"""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > digits:
        raise Problem(
            "validation-failed",
            detail=f"{name} must be a positive integer",
            errors=[{"path": f"$.query.{name}", "message": "must be a positive integer"}],
        )
    return int(value)


def reject_unknown_params(known: Iterable[str]) -> None:
    """A parameter the endpoint does not know is an error, not silently ignored (a typo in a
    filter name must not widen a query)."""
    unknown = sorted(set(request.args) - set(known))
    if unknown:
        raise Problem(
            "validation-failed",
            detail=f"unknown parameter(s): {', '.join(unknown)}",
            errors=[{"path": f"$.query.{u}", "message": "unknown parameter"} for u in unknown],
        )
