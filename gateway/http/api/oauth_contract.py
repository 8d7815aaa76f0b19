"""The contract of the OAuth 2.0 endpoints (gateway/http/api/oauth.py, docs/api.md#authentication):
the form bodies the authorisation server reads, its answers and its RFC 6749 errors."""

from __future__ import annotations

from gateway.http.contract import (
    FORM,
    JSON,
    STRING,
    Body,
    Operation,
    Responses,
    obj,
    ok,
    schema,
)
from gateway.http.openapi.components import JWKS

OAUTH_ERROR = schema(
    "OAuthError",
    obj(
        {"error": STRING, "error_description": STRING},
        ["error"],
        description="RFC 6749 §5.2 error response (the /oauth/* endpoints keep this format).",
    ),
)
#: RFC 6749 §5.2: the errors of the endpoints that authenticate the client.
_ERRORS: Responses = {status: ("RFC 6749 error.", {JSON: OAUTH_ERROR}) for status in ("400", "401")}

TOKEN_REQUEST = schema(
    "TokenRequest",
    obj(
        {
            "grant_type": {"const": "client_credentials"},
            "scope": {"type": "string", "description": "Space-separated scopes."},
            "client_id": {
                "type": "string",
                "description": "client_secret_post: the client id (with client_secret; a "
                "client_secret_basic client sends it in the Authorization header instead).",
            },
            "client_secret": {
                "type": "string",
                "description": "client_secret_post: the client secret.",
            },
            "client_assertion_type": {
                "const": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "description": "private_key_jwt (RFC 7523)",
            },
            "client_assertion": {"type": "string", "description": "private_key_jwt"},
        },
        ["grant_type"],
        description="The client credentials grant. Which client fields it carries depends on "
        "the client's authentication method: none for client_secret_basic (HTTP Basic), "
        "client_id and client_secret for client_secret_post, client_assertion_type and "
        "client_assertion for private_key_jwt.",
    ),
)
TOKEN_PARAMETER = schema(
    "TokenParameter",
    obj(
        {"token": STRING, "token_type_hint": STRING},
        ["token"],
        description="Client authentication as at the token endpoint.",
    ),
)
TOKEN_RESPONSE = schema(
    "TokenResponse",
    obj(
        {
            "access_token": {"type": "string", "description": "RFC 9068 JWT (typ at+jwt)."},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "scope": STRING,
        },
        ["access_token", "token_type", "expires_in"],
    ),
)
INTROSPECTION = schema(
    "Introspection",
    obj(
        {"active": {"type": "boolean"}},
        ["active"],
        description="RFC 7662 §2.2; an active token also carries its claims.",
    ),
)


def _authenticating(
    summary: str, operation_id: str, description: str, body: Body, answer: Responses
) -> Operation:
    """An endpoint where the client authenticates itself, and errors are RFC 6749's."""
    return Operation(
        summary,
        "oauth",
        operation_id=operation_id,
        description=description,
        client_auth=True,
        body=body,
        responses={**answer, **_ERRORS},
        default_problem=False,
    )


TOKEN = _authenticating(
    "Get an access token",
    "getAccessToken",
    "RFC 6749 §4.4 client credentials. The client authenticates with HTTP "
    "Basic (client_secret_basic), with client_id/client_secret in the body "
    "(client_secret_post) or with a signed assertion (private_key_jwt, RFC 7523). The "
    "token is an RFC 9068 JWT, valid for 10 minutes.",
    Body(TOKEN_REQUEST, FORM),
    ok("The access token.", TOKEN_RESPONSE),
)
INTROSPECT = _authenticating(
    "Introspect a token",
    "introspectToken",
    "RFC 7662: the state of an access token issued to the calling client.",
    Body(TOKEN_PARAMETER, FORM),
    ok("The token's state.", INTROSPECTION),
)
REVOKE = _authenticating(
    "Revoke a token",
    "revokeToken",
    "RFC 7009: the token stops working on every replica within a second.",
    Body(TOKEN_PARAMETER, FORM),
    {"200": ("Revoked (or unknown: the answer is the same).", {})},
)
SIGNING_KEYS = Operation(
    "Token signing keys",
    "oauth",
    operation_id="getTokenSigningKeys",
    responses=ok("Current and previous keys.", JWKS),
)
DISCOVERY = Operation(
    "Authorisation server metadata",
    "oauth",
    operation_id="getAuthorizationServerMetadata",
    description="RFC 8414.",
    responses=ok(
        "The metadata.",
        schema(
            "ServerMetadata",
            {"type": "object", "description": "RFC 8414 authorisation server metadata."},
        ),
    ),
)
RESOURCE_METADATA = Operation(
    "Protected resource metadata",
    "oauth",
    operation_id="getProtectedResourceMetadata",
    description="RFC 9728: the data API's resource identifier (the `aud` of its tokens), "
    "the authorisation servers whose tokens it accepts, its scopes and how to send a "
    "token. Also at the well-known path followed by the resource's path, which a 401 "
    "challenge names (`resource_metadata`).",
    responses=ok(
        "The metadata.",
        schema(
            "ResourceMetadata",
            {"type": "object", "description": "RFC 9728 protected resource metadata."},
        ),
    ),
    problems=(404,),
)
