"""Administration API (scope ``admin``): clients and grants; every change is audited."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Blueprint, Response, g, request

from gateway.access.grants import GrantError, grant_json
from gateway.audit.actions import Actor
from gateway.core.instants import InstantError, parse_instant, rfc3339
from gateway.core.problems import Problem
from gateway.http.api import admin_contract as contract
from gateway.http.api.admin_contract import MAX_PER_PAGE
from gateway.http.api.common import (
    authenticate,
    integer_param,
    json_response,
    reject_unknown_params,
    services,
)
from gateway.http.contract import refused
from gateway.identity.auth_methods import DEFAULT_AUTH_METHOD
from gateway.identity.client_admin import revoke_token
from gateway.identity.clients import Client, ClientError
from gateway.identity.oauth.revocation import foreign_token_key
from gateway.identity.scopes import ADMIN

T = TypeVar("T")

bp = Blueprint("admin", __name__, url_prefix="/v1/admin")


def _actor() -> Actor:
    principal = authenticate(ADMIN)
    return Actor(
        principal.client_id, principal.region, principal.tier, principal.jti, g.exchange_id
    )


def _invalid(exc: ClientError) -> Problem:
    return Problem(
        "validation-failed", detail=str(exc), errors=[{"path": "$", "message": str(exc)}]
    )


def _not_found(client_id: str) -> Problem:
    return Problem("not-found", detail=f"no client {client_id!r}")


@bp.post("/clients")
@contract.CREATE_CLIENT
def create_client() -> Response:
    actor = _actor()
    body = contract.CLIENT_REGISTRATION.read()
    method = body.get("authMethod", DEFAULT_AUTH_METHOD)
    try:
        client, secret = services().admin.create(
            actor,
            name=body["name"],
            region=body["region"],
            tier=body["tier"],
            scopes=list(body["scopes"]),
            auth_method=method,
            client_id=body.get("clientId"),
            jwks=body.get("jwks"),
            jwks_uri=body.get("jwksUri"),
        )
    except ClientError as exc:
        raise _invalid(exc) from None
    data = client.public()
    if secret:
        data["clientSecret"] = secret  # shown this once; only its hash is kept
    return json_response(
        {"data": data}, status=201, headers={"Location": f"/v1/admin/clients/{client.client_id}"}
    )


def _paging() -> tuple[int, int]:
    page = integer_param("page", request.args.get("page", "1"))
    per_page = integer_param("perPage", request.args.get("perPage", "50"))
    if page is None or per_page is None or page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Problem(
            "validation-failed", detail=f"page must be ≥ 1 and perPage between 1 and {MAX_PER_PAGE}"
        )
    return page, per_page


def _listing(
    every: Sequence[T], render: Callable[[T], dict[str, Any]], page: int, per_page: int
) -> Response:
    """One page of a list the admin API answers, with the list's total."""
    chunk = every[(page - 1) * per_page : page * per_page]
    return json_response(
        {
            "data": [render(item) for item in chunk],
            "meta": {"total": len(every), "page": page, "perPage": per_page},
        }
    )


@bp.get("/clients")
@contract.LIST_CLIENTS
def list_clients() -> Response:
    _actor()
    page, per_page = _paging()
    every = services().clients.list()
    return _listing(every, Client.public, page, per_page)


@bp.get("/clients/<client_id>")
@contract.SHOW_CLIENT
def show_client(client_id: str) -> Response:
    _actor()
    client = services().clients.get(client_id)
    if client is None:
        raise _not_found(client_id)
    return json_response({"data": client.public()})


def _status(client_id: str, status: str) -> Response:
    actor = _actor()
    if services().clients.get(client_id) is None:
        raise _not_found(client_id)
    client = services().admin.set_status(actor, client_id, status)
    return json_response({"data": client.public()})


@bp.post("/clients/<client_id>/disable")
@contract.DISABLE_CLIENT
def disable_client(client_id: str) -> Response:
    """Disabled clients cannot get tokens, and their live tokens stop working — for good:
    enabling the client again does not bring back the tokens issued before."""
    return _status(client_id, "disabled")


@bp.post("/clients/<client_id>/enable")
@contract.ENABLE_CLIENT
def enable_client(client_id: str) -> Response:
    return _status(client_id, "active")


@bp.post("/clients/<client_id>/secret")
@contract.ROTATE_SECRET
def rotate_secret(client_id: str) -> Response:
    """A new secret; with {"revokeTokens": true} the tokens issued so far stop working too."""
    actor = _actor()
    body = contract.SECRET_ROTATION.read()
    if services().clients.get(client_id) is None:
        raise _not_found(client_id)
    try:
        client, secret = services().admin.rotate_secret(
            actor, client_id, revoke_tokens=bool(body.get("revokeTokens", False))
        )
    except ClientError as exc:
        raise _invalid(exc) from None
    return json_response({"data": client.public() | {"clientSecret": secret}})


@bp.put("/clients/<client_id>/jwks")
@contract.SET_JWKS
def set_jwks(client_id: str) -> Response:
    """Register the client's public keys; it then authenticates with private_key_jwt."""
    actor = _actor()
    if services().clients.get(client_id) is None:
        raise _not_found(client_id)
    body = contract.CLIENT_KEYS.read()
    try:
        client = services().admin.set_jwks(
            actor,
            client_id,
            jwks=body.get("jwks"),
            jwks_uri=body.get("jwksUri"),
            revoke_tokens=bool(body.get("revokeTokens", False)),
        )
    except ClientError as exc:
        raise _invalid(exc) from None
    return json_response({"data": client.public()})


# -- grants -------------------------------------------------------------------------------------


def _grant_time(
    body: dict[str, Any], name: str, errors: list[dict[str, str]], *, end: bool = False
) -> dt.datetime | None:
    """validFrom / validUntil: an RFC 3339 date-time; without an offset, or as a bare date (a
    whole day: validUntil includes it), in the deployment's zone."""
    value = body.get(name)
    if value is None:
        return None
    try:
        return parse_instant(value, services().settings.zone, end=end)
    except InstantError as exc:
        errors.append({"path": f"$.{name}", "message": str(exc)})
        return None


@bp.post("/grants")
@contract.ISSUE_GRANT
def issue_grant() -> Response:
    actor = _actor()
    body = contract.GRANT_REQUEST.parse()
    errors = contract.GRANT_REQUEST.issues(body)
    valid_from = _grant_time(body, "validFrom", errors)
    valid_until = _grant_time(body, "validUntil", errors, end=True)
    if errors:
        raise refused(contract.GRANT_REQUEST.refused, errors)
    admin = services().grant_admin
    try:
        grant = admin.issue(
            actor,
            client_id=body["clientId"],
            dataset=body["dataset"],
            purpose=body["purpose"],
            approver=body["approver"],
            legal_basis=body["legalBasis"],
            fields=body.get("fields"),
            regions=body.get("regions"),
            valid_from=valid_from,
            valid_until=valid_until,
        )
    except GrantError as exc:
        raise Problem(
            "validation-failed", detail=str(exc), errors=[{"path": "$", "message": str(exc)}]
        ) from None
    # A grant that can never apply is issued (the approval exists) but the answer says why.
    return json_response(
        {"data": grant_json(grant), "warnings": admin.never_applies(grant)},
        status=201,
        headers={"Location": f"/v1/admin/grants/{grant.id}"},
    )


@bp.get("/grants")
@contract.LIST_GRANTS
def list_grants() -> Response:
    _actor()
    reject_unknown_params(contract.LIST_GRANTS.query_names)
    page, per_page = _paging()
    every = services().grants.list(
        client_id=request.args.get("clientId"), dataset=request.args.get("dataset")
    )
    return _listing(every, grant_json, page, per_page)


@bp.get("/grants/<grant_id>")
@contract.SHOW_GRANT
def show_grant(grant_id: str) -> Response:
    _actor()
    grant = services().grants.get(grant_id)
    if grant is None:
        raise Problem("not-found", detail=f"no grant {grant_id!r}")
    return json_response({"data": grant_json(grant)})


@bp.post("/grants/<grant_id>/revoke")
@contract.REVOKE_GRANT
def revoke_grant(grant_id: str) -> Response:
    """The grant stops applying on every replica within a second; the change is audited."""
    actor = _actor()
    body = contract.GRANT_REVOCATION.read()
    try:
        grant = services().grant_admin.revoke(actor, grant_id, reason=body.get("reason", ""))
    except GrantError as exc:
        raise Problem("not-found", detail=str(exc)) from None
    return json_response({"data": grant_json(grant)})


@bp.post("/revocations")
@contract.REVOKE_ACCESS_TOKEN
def revoke_access_token() -> Response:
    """Revoke one access token by its issuer and ``jti`` (as audit records show them): this
    gateway's, or a trusted regional issuer's — a foreign token cannot be revoked at
    /oauth/revoke, and its issuer's own revocation does not reach this gateway."""
    actor = _actor()
    body = contract.TOKEN_REVOCATION.parse()
    errors = contract.TOKEN_REVOCATION.issues(body)
    built = services()
    issuer, jti = body.get("issuer"), body.get("jti")
    trusted = built.config.policies.trusted_issuers
    untrusted = {"path": "$.issuer", "message": contract.NOT_AN_ISSUER}
    if issuer != built.settings.issuer and issuer not in trusted and untrusted not in errors:
        errors.append(untrusted)
    if errors:
        raise refused(contract.TOKEN_REVOCATION.refused, errors)
    assert isinstance(issuer, str) and isinstance(jti, str)
    # No token of that issuer lives longer than its lifetime cap: the entry can go after that.
    if issuer == built.settings.issuer:
        key, lifetime = jti, built.settings.access_token_lifetime
    else:
        key, lifetime = (
            foreign_token_key(issuer, jti),
            built.verifier.foreign_lifetime(trusted[issuer]),
        )
    until = int(time.time()) + lifetime + built.settings.clock_skew
    revoke_token(
        built.audit, built.revocations, actor, issuer=issuer, jti=jti, key=key, expires_at=until
    )
    revoked_until = rfc3339(dt.datetime.fromtimestamp(until, dt.UTC))
    return json_response({"data": {"issuer": issuer, "jti": jti, "revokedUntil": revoked_until}})
