"""The contract of the administration API (gateway/http/api/admin.py,
docs/api.md#administration-scope-admin): the bodies it checks (their schemas are
gateway/http/api/admin_schemas.py, which the CLI checks its options against too), the clients and
grants it answers, and its operations."""

from __future__ import annotations

from typing import Any

from gateway.http.api import admin_schemas
from gateway.http.contract import (
    JSON,
    NULLABLE_STRING,
    STRING,
    Body,
    Operation,
    list_of,
    obj,
    ok,
    path,
    query,
    schema,
)
from gateway.http.openapi.components import PAGE_META
from gateway.identity.auth_methods import AUTH_METHODS
from gateway.identity.scopes import ADMIN, SCOPE_IDS

MAX_PER_PAGE = 100

CLIENT_REGISTRATION = Body(
    schema("ClientRegistration", admin_schemas.CLIENT_REGISTRATION),
    refused="the client registration is not valid",
)
CLIENT_KEYS = Body(
    schema("ClientKeys", admin_schemas.CLIENT_KEYS), refused="the keys are not valid"
)
SECRET_ROTATION = Body(
    schema("ClientSecretRotation", admin_schemas.CLIENT_SECRET_ROTATION),
    required=False,
    refused="the rotation is not valid",
)
GRANT_REQUEST = Body(
    schema("GrantRequest", admin_schemas.GRANT_REQUEST), refused="the grant is not valid"
)
GRANT_REVOCATION = Body(
    schema("Revocation", admin_schemas.GRANT_REVOCATION),
    required=False,
    refused="the revocation is not valid",
)
#: The issuer must also be this gateway or a trusted one, which the view checks.
NOT_AN_ISSUER = "not this gateway nor a trusted issuer"
TOKEN_REVOCATION = Body(
    schema("TokenRevocation", admin_schemas.TOKEN_REVOCATION),
    refused="the revocation is not valid",
    messages={"issuer": NOT_AN_ISSUER, "jti": "1 to 128 printable ASCII characters"},
)

CLIENT = schema(
    "Client",
    obj(
        {
            "clientId": STRING,
            "name": STRING,
            "region": STRING,
            "tier": STRING,
            "scopes": {"type": "array", "items": {"enum": list(SCOPE_IDS)}},
            "authMethod": {"enum": list(AUTH_METHODS)},
            "status": {"enum": ["active", "disabled"]},
            "jwksUri": NULLABLE_STRING,
            "hasJwks": {"type": "boolean"},
            "createdAt": {"type": ["string", "null"], "format": "date-time"},
            "tokensValidAfter": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "Access tokens issued before this instant are refused (set when "
                "the client is disabled, or its secret or keys rotated with revokeTokens).",
            },
            "clientSecret": {"type": "string", "description": "Shown once, at creation/rotation."},
        },
        ["clientId", "name", "region", "tier", "scopes", "authMethod", "status"],
    ),
)
GRANT = schema(
    "Grant",
    obj(
        {
            "id": STRING,
            "clientId": STRING,
            "dataset": STRING,
            "purpose": STRING,
            "fields": {"type": ["array", "null"], "items": STRING},
            "regions": {"type": ["array", "null"], "items": STRING},
            "validFrom": {"type": "string", "format": "date-time"},
            "validUntil": {"type": ["string", "null"], "format": "date-time"},
            "approver": STRING,
            "legalBasis": STRING,
            "revokedAt": {"type": ["string", "null"], "format": "date-time"},
            "state": STRING,
        },
        ["id", "clientId", "dataset", "purpose", "validFrom", "state"],
    ),
)
REVOKED_TOKEN = schema(
    "RevokedToken",
    obj(
        {
            "issuer": STRING,
            "jti": STRING,
            "revokedUntil": {"type": "string", "format": "date-time"},
        },
        ["issuer", "jti", "revokedUntil"],
    ),
)

_PROBLEMS = (400, 401, 403, 404, 415, 500, 503)
_CLIENT_ID = path("client_id", "Client id.")
_GRANT_ID = path("grant_id", "Grant id.")
_PAGING = (
    query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
    query("perPage", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "Items per page."),
)
CLIENT_RESPONSE = schema("ClientResponse", obj({"data": CLIENT}, ["data"]))
_CLIENT = ok("The client.", CLIENT_RESPONSE)
_GRANT = ok("The grant.", schema("GrantResponse", obj({"data": GRANT}, ["data"])))


def _admin(summary: str, operation_id: str, **declared: Any) -> Operation:
    return Operation(
        summary,
        "admin",
        operation_id=operation_id,
        scope=ADMIN,
        problems=_PROBLEMS,
        **declared,
    )


CREATE_CLIENT = _admin(
    "Register a client",
    "registerClient",
    body=CLIENT_REGISTRATION,
    responses={
        "201": ("Created; the secret is shown this once.", {JSON: CLIENT_RESPONSE}),
    },
)
LIST_CLIENTS = _admin(
    "List clients",
    "listClients",
    parameters=_PAGING,
    responses=ok("Clients.", schema("ClientList", list_of(CLIENT, PAGE_META))),
)
SHOW_CLIENT = _admin("One client", "getClient", parameters=(_CLIENT_ID,), responses=_CLIENT)
DISABLE_CLIENT = _admin(
    "Disable a client",
    "disableClient",
    description="It can get no token, and its live tokens stop working for good: "
    "enabling it again does not bring them back.",
    parameters=(_CLIENT_ID,),
    responses=_CLIENT,
)
ENABLE_CLIENT = _admin(
    "Enable a client", "enableClient", parameters=(_CLIENT_ID,), responses=_CLIENT
)
ROTATE_SECRET = _admin(
    "Rotate a client's secret",
    "rotateClientSecret",
    description="The old secret stops working at once; with revokeTokens, so do the "
    "access tokens issued so far.",
    parameters=(_CLIENT_ID,),
    body=SECRET_ROTATION,
    responses=_CLIENT,
)
SET_JWKS = _admin(
    "Register a client's public keys",
    "setClientKeys",
    description="The client then authenticates with private_key_jwt.",
    parameters=(_CLIENT_ID,),
    body=CLIENT_KEYS,
    responses=_CLIENT,
)
ISSUE_GRANT = _admin(
    "Issue a grant",
    "issueGrant",
    description="What makes a conditional dataset usable: client, dataset, purpose, "
    "optional fields and regions, validity, approver and legal basis.",
    body=GRANT_REQUEST,
    responses={
        "201": (
            "Issued; ``warnings`` say why it may never apply (e.g. the client's tier may "
            "not read the dataset).",
            {
                JSON: schema(
                    "IssuedGrant",
                    obj(
                        {"data": GRANT, "warnings": {"type": "array", "items": STRING}},
                        ["data", "warnings"],
                    ),
                )
            },
        )
    },
)
LIST_GRANTS = _admin(
    "List grants",
    "listGrants",
    parameters=(
        query("clientId", STRING, "Only this client's grants."),
        query("dataset", STRING, "Only grants on this dataset."),
        *_PAGING,
    ),
    responses=ok("Grants.", schema("GrantList", list_of(GRANT, PAGE_META))),
)
SHOW_GRANT = _admin("One grant", "getGrant", parameters=(_GRANT_ID,), responses=_GRANT)
REVOKE_GRANT = _admin(
    "Revoke a grant",
    "revokeGrant",
    parameters=(_GRANT_ID,),
    body=GRANT_REVOCATION,
    responses=_GRANT,
)
REVOKE_ACCESS_TOKEN = _admin(
    "Revoke an access token by issuer and jti",
    "revokeAccessTokenById",
    description="This gateway's token or a trusted regional issuer's (whose tokens "
    "/oauth/revoke cannot reach), named as audit records show it. It is refused on every "
    "replica within a second until no token of that issuer could still be alive; the "
    "revocation is audited.",
    body=TOKEN_REVOCATION,
    responses=ok(
        "Revoked.", schema("RevokedTokenResponse", obj({"data": REVOKED_TOKEN}, ["data"]))
    ),
)
