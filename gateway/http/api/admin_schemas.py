"""The administration request bodies (clients, grants) as JSON Schemas 2020-12: the one place
their limits and character rules are declared. The admin API checks each body against them, the
CLI checks the same body built from its options, and /openapi.json publishes them — so a name
the database cannot store (too long, a NUL byte) is a clear 400 naming the field on SQLite and
PostgreSQL alike, never a 500."""

from __future__ import annotations

from typing import Any

from gateway.core.instants import LOCAL_TIME
from gateway.identity.auth_methods import AUTH_METHODS
from gateway.identity.oauth.tokens import FOREIGN_JTI
from gateway.identity.scopes import SCOPE_IDS
from gateway.storage.bounds import column_length
from gateway.storage.tables import clients, grants

# Control characters (NUL, line breaks, escapes) have no place in a name, an approver or a legal
# basis; PostgreSQL cannot even store NUL. ("not" + search, because "$" in a pattern would let a
# trailing line break through in Python's regular expressions.)
_PRINTABLE = {
    "not": {"pattern": "[\\x00-\\x1f\\x7f]"},
    "errorMessage": "must not contain control characters (NUL, line breaks, tabs)",
}
_NOT_BLANK = {"pattern": "\\S", "errorMessage": "must not be blank"}


def text(max_length: int, *, blank: bool = False) -> dict[str, Any]:
    """A one-line text of at most ``max_length`` characters (the database column's size)."""
    rules: list[dict[str, Any]] = [_PRINTABLE] if blank else [_PRINTABLE, _NOT_BLANK]
    return {"type": "string", "maxLength": max_length, "allOf": rules}


def column_text(table: Any, column: str) -> dict[str, Any]:
    """A one-line text that fits ``table.column``: the column's size is the limit's one source."""
    limit = column_length(table, column)
    assert limit is not None, f"{table.name}.{column} is unbounded"
    return text(limit)


def _names(max_length: int, max_items: int) -> dict[str, Any]:
    return {"type": "array", "items": text(max_length), "minItems": 1, "maxItems": max_items}


CLIENT_ID = {
    "type": "string",
    "allOf": [
        _PRINTABLE,
        {
            "pattern": "^[A-Za-z0-9._-]{3,64}$",
            "errorMessage": "3–64 letters, digits, '.', '_' or '-'",
        },
    ],
}
JWKS_URI = {
    "type": "string",
    "maxLength": column_length(clients, "jwks_uri"),
    "allOf": [_PRINTABLE, {"pattern": "^https?://", "errorMessage": "an http(s) URL"}],
}
# A JWK member is a string (a key parameter), a list of strings (key_ops, x5c) or a flag.
_JWK_MEMBER = {
    "anyOf": [
        text(16384),
        {"type": "array", "maxItems": 16, "items": text(16384)},
        {"type": ["boolean", "number"]},
    ]
}
JWKS = {
    "type": "object",
    "required": ["keys"],
    "properties": {
        "keys": {
            "type": "array",
            "minItems": 1,
            "maxItems": 16,
            "items": {
                "type": "object",
                "maxProperties": 32,
                "propertyNames": {"maxLength": 64},
                "additionalProperties": _JWK_MEMBER,
            },
        }
    },
}
REVOKE_TOKENS = {
    "type": "boolean",
    "default": False,
    "description": "Also refuse every access token issued so far (default: they live out "
    "their lifetime).",
}


def _time(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "date-time",
        "maxLength": 40,
        "description": f"{description} {LOCAL_TIME}",
    }


CLIENT_REGISTRATION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": column_text(clients, "name"),
        "region": column_text(clients, "region"),
        "tier": column_text(clients, "tier"),
        "scopes": {
            "type": "array",
            "items": {"enum": list(SCOPE_IDS)},
            "minItems": 1,
            "maxItems": len(SCOPE_IDS),
        },
        "authMethod": {"enum": list(AUTH_METHODS)},
        "clientId": CLIENT_ID,
        "jwks": JWKS,
        "jwksUri": JWKS_URI,
    },
    "required": ["name", "region", "tier", "scopes"],
    "additionalProperties": False,
}
CLIENT_KEYS: dict[str, Any] = {
    "type": "object",
    "properties": {"jwks": JWKS, "jwksUri": JWKS_URI, "revokeTokens": REVOKE_TOKENS},
    "additionalProperties": False,
}
CLIENT_SECRET_ROTATION: dict[str, Any] = {
    "type": "object",
    "properties": {"revokeTokens": REVOKE_TOKENS},
    "additionalProperties": False,
}
GRANT_REQUEST: dict[str, Any] = {
    "type": "object",
    "properties": {
        # A client of this gateway, or of a trusted issuer ("issuer#client").
        "clientId": column_text(grants, "client_id"),
        "dataset": column_text(grants, "dataset"),
        "purpose": column_text(grants, "purpose"),
        "fields": _names(64, 200),
        "regions": _names(16, 200),
        "validFrom": _time("Start (default: now); a date starts at its midnight."),
        "validUntil": _time("End, excluded; a date is included whole."),
        "approver": column_text(grants, "approver"),
        "legalBasis": column_text(grants, "legal_basis"),
    },
    "required": ["clientId", "dataset", "purpose", "approver", "legalBasis"],
    "additionalProperties": False,
}
GRANT_REVOCATION: dict[str, Any] = {
    "type": "object",
    "properties": {"reason": text(500, blank=True)},
    "additionalProperties": False,
}
TOKEN_REVOCATION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "issuer": {"type": "string", "description": "This gateway or a trusted issuer."},
        # As a token's jti is checked; _PRINTABLE keeps out the line break "$" lets through.
        "jti": {"type": "string", "allOf": [{"pattern": f"^{FOREIGN_JTI.pattern}$"}, _PRINTABLE]},
    },
    "required": ["issuer", "jti"],
    "additionalProperties": False,
}
