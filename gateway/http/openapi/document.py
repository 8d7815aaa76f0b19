"""OpenAPI 3.1 description of the gateway, generated from the routes the app registers and from
the catalogue.

Every rule of ``app.url_map`` becomes an operation, so a new route cannot be left out: the routes
this module knows get their full description (parameters, bodies, the scope they need, the
problems they answer with); any other route still appears, described by its view's docstring.
The catalogue adds a record schema per dataset, with its ``x-level``/``x-sensitivity``
annotations kept (OpenAPI 3.1 schemas are JSON Schema 2020-12, where unknown keywords are
annotations) and repeated in the descriptions, and a typed operation per served dataset with the
filters its query schema allows (``name`` for eq, ``name.op`` for the other operators).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from catalog import SHARE_TYPES, Dataset
from gateway.core.problems import DOCUMENTATION_PATH, TYPES
from gateway.core.version import version
from gateway.http.api import admin_schemas as admin_requests
from gateway.identity import auth_methods, scopes
from gateway.identity.auth_methods import AUTH_METHODS
from policies import Policies

OPENAPI_VERSION = "3.1.0"
PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
JSON_LD = "application/ld+json"
HTML = "text/html"
CSV = "text/csv"
#: HTTP methods every Flask rule answers by itself; they are not operations of their own.
_IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})
_RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")

SCOPES: Mapping[str, str] = {scope.id: scope.description for scope in scopes.SCOPES}

#: An operation's tag key → the tag's name, for people (a client generator names a module after
#: it: "Problem types" → ``problem_types``), its Chinese name and its description.
TAGS: Mapping[str, tuple[str, str, str]] = {
    "catalog": (
        "Catalogue",
        "数据目录",
        "The shared catalogue: search with facets, dataset entries, regions, DCAT-AP.",
    ),
    "data": (
        "Records",
        "数据记录",
        "Dataset records through the exchange pipeline (any dataset, by id).",
    ),
    "oauth": (
        "Authorisation",
        "统一授权",
        "Unified authorisation: OAuth 2.0 client credentials, RFC 8414, 7662, 7009.",
    ),
    "audit": ("Audit", "审计", "The tamper-evident audit trail: search, verification, export."),
    "admin": ("Administration", "管理", "Clients and grants; every change is audited."),
    "problems": ("Problem types", "问题类型", "Documentation of the RFC 9457 problem types."),
    "health": ("Health", "运行状态", "Liveness, readiness and metrics for operators."),
    "docs": ("Reference", "接口文档", "This description and its reference page."),
    "pages": ("Pages", "目录网页", "The catalogue's web pages for people (HTML)."),
}


# -- schemas shared by the operations --------------------------------------------------------


def _or(words: Iterable[str]) -> str:
    """``a, b or c``."""
    *rest, last = words
    return f"{', '.join(rest)} or {last}" if rest else last


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(
    properties: Mapping[str, Any], required: Iterable[str] = (), **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        out["required"] = list(required)
    out.update(extra)
    return out


def _list_of(items: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    return _obj({"data": {"type": "array", "items": items}, "meta": meta}, ["data", "meta"])


_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
#: How a time is read (gateway.core.instants): every instant the gateway writes is UTC with an
#: offset.
_LOCAL_TIME = admin_requests.LOCAL_TIME
_I18N = _ref("I18nText")

BASE_SCHEMAS: dict[str, Any] = {
    "I18nText": _obj(
        {"zh": {"type": "string"}, "en": {"type": "string"}},
        ["zh", "en"],
        description="A text in Chinese (zh) and English (en).",
    ),
    "Problem": _obj(
        {
            "type": {
                "type": "string",
                "format": "uri-reference",
                "description": "Stable problem type, documented at the same path "
                f"(GET {DOCUMENTATION_PATH}/<slug>).",
            },
            "title": _STRING,
            "status": {"type": "integer"},
            "detail": _STRING,
            "instance": {"type": "string", "format": "uri-reference"},
            "exchangeId": {"type": "string", "description": "Also in X-Exchange-Id."},
            "traceId": {"type": "string", "description": "W3C trace id of the exchange."},
            "errors": {"type": "array", "items": _ref("ProblemError")},
        },
        ["type", "title", "status"],
        description="RFC 9457 problem details. Never holds a stack trace, SQL or a file path.",
    ),
    "ProblemError": _obj(
        {
            "path": {"type": "string", "description": "JSON path of the offending input."},
            "message": _STRING,
        },
        ["path", "message"],
    ),
    "OAuthError": _obj(
        {"error": _STRING, "error_description": _STRING},
        ["error"],
        description="RFC 6749 §5.2 error response (the /oauth/* endpoints keep this format).",
    ),
    "DatasetLinks": _obj(
        {"self": _STRING, "records": _STRING, "page": _STRING},
        ["self", "records", "page"],
    ),
    "DatasetSummary": _obj(
        {
            "id": _STRING,
            "title": _I18N,
            "description": _I18N,
            "provider": _obj(
                {
                    "id": _STRING,
                    "name": _I18N,
                    "regions": {"type": "array", "items": _STRING},
                },
                ["id", "name", "regions"],
            ),
            "themes": {"type": "array", "items": _STRING},
            "keywords": _obj(
                {
                    "zh": {"type": "array", "items": _STRING},
                    "en": {"type": "array", "items": _STRING},
                },
                ["zh", "en"],
            ),
            "shareType": {"enum": list(SHARE_TYPES)},
            "level": {"type": "integer", "minimum": 1, "maximum": 4},
            "updateFrequency": _STRING,
            "modified": {"type": "string", "format": "date"},
            "links": _ref("DatasetLinks"),
        },
        ["id", "title", "description", "provider", "shareType", "level", "links"],
    ),
    "SearchMeta": _obj(
        {
            "total": {"type": "integer", "description": "Matches on all pages."},
            "page": {"type": "integer"},
            "perPage": {"type": "integer"},
            "sort": {"enum": ["relevance", "title", "updated"]},
            "lang": {"enum": ["zh", "en"]},
            "facets": {
                "type": "object",
                "description": "facet (theme, shareType, level, provider, region) → value → "
                "number of datasets matching the text and every other filter.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                },
            },
        },
        ["total", "page", "perPage", "facets"],
    ),
    "Field": _obj(
        {
            "name": _STRING,
            "type": {"oneOf": [_STRING, {"type": "array", "items": _STRING}]},
            "format": _NULLABLE_STRING,
            "label": _I18N,
            "description": _NULLABLE_STRING,
            "level": {"type": "integer", "description": "x-level: 1 public … 4 core."},
            "sensitivity": {
                "type": ["string", "null"],
                "description": "x-sensitivity: the kind of personal data, if any.",
            },
            "required": {"type": "boolean"},
            "filters": {"type": "array", "items": _STRING},
        },
        ["name", "type", "label", "level"],
    ),
    "Tier": _obj(
        {"id": _STRING, "label": _I18N, "maxLevel": {"type": "integer"}},
        ["id", "label", "maxLevel"],
    ),
    "FieldPlan": _obj(
        {
            "clear": {"type": "array", "items": _STRING},
            "masked": {
                "type": "object",
                "description": "field → masking method (partial, hmac, generalise, redact)",
                "additionalProperties": _STRING,
            },
            "dropped": {"type": "array", "items": _STRING},
        },
        ["clear", "masked", "dropped"],
    ),
    "Access": _obj(
        {
            "shareType": _STRING,
            "served": {"type": "boolean", "description": "False: listed, never served."},
            "scope": _NULLABLE_STRING,
            "purposeHeader": _NULLABLE_STRING,
            "grantRequired": {"type": "boolean"},
            "lowestTier": {"oneOf": [_ref("Tier"), {"type": "null"}]},
            "tiers": {
                "type": "array",
                "description": "Tiers admitted, lowest first, with the fields each sees when "
                "no grant names them.",
                "items": {"allOf": [_ref("Tier"), _obj({"fields": _ref("FieldPlan")}, ["fields"])]},
            },
            "purposes": {
                "type": "array",
                "items": _obj({"id": _STRING, "label": _I18N}, ["id", "label"]),
            },
            "summary": _I18N,
        },
        ["shareType", "served", "grantRequired", "tiers", "purposes"],
        description="How to get access, read from the policies the gateway enforces.",
    ),
    "SampleCall": _obj(
        {
            "method": _STRING,
            "url": {"type": "string", "format": "uri"},
            "curl": _STRING,
            "key": _STRING,
            "body": {"type": "object"},
            "shell": _STRING,
        },
        ["method", "url", "curl"],
    ),
    "SampleRequest": _obj(
        {
            "purpose": _STRING,
            "note": _I18N,
            "token": _ref("SampleCall"),
            "keyLookup": {"oneOf": [_ref("SampleCall"), {"type": "null"}]},
            "query": _ref("SampleCall"),
            "queryBody": _ref("SampleCall"),
        },
        ["purpose", "token", "query"],
    ),
    "Node": _obj(
        {
            "id": _STRING,
            "name": _I18N,
            "level": _STRING,
            "regions": {"type": "array", "items": _STRING},
        },
        ["id", "name", "level", "regions"],
    ),
    "DatasetEntry": {
        "allOf": [
            _ref("DatasetSummary"),
            _obj(
                {
                    "keyField": _STRING,
                    "regionField": _STRING,
                    "fields": {"type": "array", "items": _ref("Field")},
                    "nodes": {"type": "array", "items": _ref("Node")},
                    "regionsServed": {"type": "array", "items": _STRING},
                    "access": _ref("Access"),
                    "sampleRequest": {"oneOf": [_ref("SampleRequest"), {"type": "null"}]},
                    "recordSchema": {"type": "object"},
                    "querySchema": {"type": "object"},
                },
                ["keyField", "fields", "nodes", "regionsServed", "access"],
            ),
        ]
    },
    "Region": _obj(
        {
            "code": _STRING,
            "zh": _STRING,
            "en": _STRING,
            "level": _STRING,
            "standard": {"type": "boolean", "description": "False: a project-local grouping."},
            "members": {"type": "array", "items": _STRING},
            "children": {"type": "array", "items": _ref("Region")},
        },
        ["code", "zh", "en", "level", "standard", "children"],
    ),
    "DcatDocument": _obj(
        {"@context": {"type": "object"}, "@graph": {"type": "array", "items": {"type": "object"}}},
        ["@context", "@graph"],
        description="DCAT-AP 3.0 JSON-LD with the @context inline.",
    ),
    "Source": _obj(
        {
            "node": _STRING,
            "regions": {"type": "array", "items": _STRING},
            "status": {"enum": ["ok", "timeout", "unavailable", "invalid-data", "error"]},
            "count": {"type": "integer"},
            "latencyMs": {"type": ["number", "integer"]},
        },
        ["node", "regions", "status"],
    ),
    "ExchangeMeta": _obj(
        {
            "exchangeId": _STRING,
            "traceId": _NULLABLE_STRING,
            "dataset": _STRING,
            "purpose": _STRING,
            "sources": {"type": "array", "items": _ref("Source")},
            "fields": _ref("FieldPlan"),
            "decision": _obj({"ruleId": _STRING, "grantId": _NULLABLE_STRING}),
            "complete": {
                "type": "boolean",
                "description": "False when a source failed (X-Exchange-Complete: false).",
            },
            "count": {"type": "integer"},
            "limit": {"type": "integer", "description": "The page size that applied."},
            "limitCapped": {
                "type": "boolean",
                "description": "True when the limit asked for was larger than the caller's "
                "tier allows (or than the records left of the day's quota) and was cut down "
                "to `limit`.",
            },
            "nextCursor": _NULLABLE_STRING,
        },
        ["exchangeId", "dataset", "purpose", "sources", "fields", "complete"],
    ),
    "Record": {
        "type": "object",
        "description": "One record in catalogue field names, masked and projected for the "
        "caller; its dataset's schema is components/schemas/<Dataset>Record.",
    },
    "RecordPage": _list_of(_ref("Record"), _ref("ExchangeMeta")),
    "RecordsCsv": {
        "type": "string",
        "description": "RFC 4180 CSV (UTF-8, CRLF): a header row of the fields the caller "
        "sees, in the order of `fields` (else schema order), then one row per record. Null is "
        "an empty cell, lists and objects their JSON text, and a text a spreadsheet would run "
        "as a formula (=, +, -, @) starts with an apostrophe. What meta says is in the "
        "headers: X-Exchange-Id, X-Exchange-Complete, X-Fields-Masked, X-Exchange-Limit, "
        "Link (next page) or X-Next-Cursor.",
    },
    "RecordResponse": _obj({"data": _ref("Record"), "meta": _ref("ExchangeMeta")}),
    "Query": _obj(
        {
            "filter": {
                "type": "object",
                "description": "{field: value} or {field: {eq|in|gte|lte|prefix: value}}, "
                "on the fields the dataset's querySchema allows.",
            },
            "fields": {"type": "array", "items": _STRING, "minItems": 1},
            "regions": {"type": "array", "items": _STRING, "minItems": 1},
            "limit": {"type": "integer", "minimum": 1},
            "cursor": _STRING,
            "strict": {"type": "boolean"},
        },
        additionalProperties=False,
    ),
    "TokenResponse": _obj(
        {
            "access_token": {"type": "string", "description": "RFC 9068 JWT (typ at+jwt)."},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "scope": _STRING,
        },
        ["access_token", "token_type", "expires_in"],
    ),
    "TokenRequest": _obj(
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
    "TokenParameter": _obj(
        {"token": _STRING, "token_type_hint": _STRING},
        ["token"],
        description="Client authentication as at the token endpoint.",
    ),
    "Introspection": _obj(
        {"active": {"type": "boolean"}},
        ["active"],
        description="RFC 7662 §2.2; an active token also carries its claims.",
    ),
    "JWKS": _obj({"keys": {"type": "array", "items": {"type": "object"}}}, ["keys"]),
    "ServerMetadata": {"type": "object", "description": "RFC 8414 authorisation server metadata."},
    "ResourceMetadata": {"type": "object", "description": "RFC 9728 protected resource metadata."},
    "Health": _obj({"status": {"const": "ok"}}, ["status"]),
    "Readiness": _obj(
        {"status": {"enum": ["ready", "unavailable"]}, "checks": {"type": "object"}},
        ["status", "checks"],
    ),
    "AuditRecord": {"type": "object", "description": "One audit record (docs/auditors-guide.md)."},
    "AuditPage": _list_of(
        _ref("AuditRecord"),
        _obj(
            {
                "count": {"type": "integer"},
                "limit": {"type": "integer"},
                "nextCursor": _NULLABLE_STRING,
            }
        ),
    ),
    "Verification": _obj(
        {
            "valid": {"type": "boolean"},
            "status": {
                "enum": ["valid", "broken", "unanchored"],
                "description": "broken names firstBrokenSeq; unanchored: intact, but no signed "
                "checkpoint covers the last record (only ever for an exported bundle).",
            },
            "checked": {"type": "integer"},
            "firstBrokenSeq": {"type": ["integer", "null"]},
            "reason": _NULLABLE_STRING,
            "lastSeq": {"type": ["integer", "null"]},
            "checkpointsChecked": {"type": "integer"},
            "anchoredThrough": {
                "type": ["integer", "null"],
                "description": "The newest seq a valid signed checkpoint vouches for.",
            },
            "anchoredAt": {**_NULLABLE_STRING, "description": "When that checkpoint was signed."},
            "headAnchored": {
                "type": "boolean",
                "description": "Whether that checkpoint covers the last record.",
            },
        },
        ["valid", "status", "checked", "anchoredThrough", "headAnchored"],
    ),
    "Client": _obj(
        {
            "clientId": _STRING,
            "name": _STRING,
            "region": _STRING,
            "tier": _STRING,
            "scopes": {"type": "array", "items": {"enum": list(SCOPES)}},
            "authMethod": {"enum": list(AUTH_METHODS)},
            "status": {"enum": ["active", "disabled"]},
            "jwksUri": _NULLABLE_STRING,
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
    # The request bodies, with their limits, as the admin API checks them.
    "ClientRegistration": admin_requests.CLIENT_REGISTRATION,
    "ClientKeys": admin_requests.CLIENT_KEYS,
    "ClientSecretRotation": admin_requests.CLIENT_SECRET_ROTATION,
    "Grant": _obj(
        {
            "id": _STRING,
            "clientId": _STRING,
            "dataset": _STRING,
            "purpose": _STRING,
            "fields": {"type": ["array", "null"], "items": _STRING},
            "regions": {"type": ["array", "null"], "items": _STRING},
            "validFrom": {"type": "string", "format": "date-time"},
            "validUntil": {"type": ["string", "null"], "format": "date-time"},
            "approver": _STRING,
            "legalBasis": _STRING,
            "revokedAt": {"type": ["string", "null"], "format": "date-time"},
            "state": _STRING,
        },
        ["id", "clientId", "dataset", "purpose", "validFrom", "state"],
    ),
    "GrantRequest": admin_requests.GRANT_REQUEST,
    "Revocation": admin_requests.GRANT_REVOCATION,
    "TokenRevocation": _obj(
        {
            "issuer": {"type": "string", "description": "This gateway or a trusted issuer."},
            "jti": {"type": "string", "minLength": 1, "maxLength": 128},
        },
        ["issuer", "jti"],
    ),
    "RevokedToken": _obj(
        {
            "issuer": _STRING,
            "jti": _STRING,
            "revokedUntil": {"type": "string", "format": "date-time"},
        },
        ["issuer", "jti", "revokedUntil"],
    ),
    "PageMeta": _obj(
        {"total": {"type": "integer"}, "page": {"type": "integer"}, "perPage": {"type": "integer"}},
        ["total", "page", "perPage"],
    ),
    "ProblemType": _obj(
        {
            "type": _STRING,
            "title": _STRING,
            "status": {"type": "integer"},
            "description": _STRING,
        },
        ["type", "title", "status", "description"],
    ),
    # Every answer body has a component of its own: a generated client names its model after
    # the component, not after the operation and status ("…Response200").
    "DatasetList": _list_of(_ref("DatasetSummary"), _ref("SearchMeta")),
    "DatasetResponse": _obj({"data": _ref("DatasetEntry")}, ["data"]),
    "RegionTree": _list_of(_ref("Region"), {"type": "object"}),
    "RegionResponse": _obj({"data": _ref("Region")}, ["data"]),
    "ClientResponse": _obj({"data": _ref("Client")}, ["data"]),
    "ClientList": _list_of(_ref("Client"), _ref("PageMeta")),
    "GrantResponse": _obj({"data": _ref("Grant")}, ["data"]),
    "IssuedGrant": _obj(
        {"data": _ref("Grant"), "warnings": {"type": "array", "items": _STRING}},
        ["data", "warnings"],
    ),
    "GrantList": _list_of(_ref("Grant"), _ref("PageMeta")),
    "AuditRecordResponse": _obj({"data": _ref("AuditRecord")}, ["data"]),
    "ProblemTypeList": _list_of(_ref("ProblemType"), _ref("PageMeta")),
    "OpenApiDocument": {"type": "object", "description": "An OpenAPI 3.1 document."},
    "RevokedTokenResponse": _obj({"data": _ref("RevokedToken")}, ["data"]),
}


# -- responses, headers and parameters -------------------------------------------------------


def _problem_response(status: int) -> dict[str, Any]:
    slugs = sorted(t.uri for t in TYPES.values() if t.status == status)
    text = f"Problem types: {', '.join(f'`{s}`' for s in slugs)}." if slugs else "A problem."
    out: dict[str, Any] = {
        "description": text,
        "content": {PROBLEM_JSON: {"schema": _ref("Problem")}},
    }
    if status == 401:
        out["headers"] = {"WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}}
    elif status in (429, 503):
        out["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    return out


def _problem_statuses() -> list[int]:
    return sorted({t.status for t in TYPES.values()})


HEADERS: dict[str, Any] = {
    "X-Exchange-Id": {
        "description": "The exchange id (UUIDv7), also in the body and the audit record.",
        "schema": _STRING,
    },
    "X-Exchange-Complete": {
        "description": "`false` when a source failed and the answer lacks its records; a "
        "CSV answer always carries it (`true` or `false`).",
        "schema": {"enum": ["true", "false"]},
    },
    "RateLimit-Policy": {
        "description": "IETF RateLimit-Policy: the client's quotas by tier.",
        "schema": _STRING,
    },
    "RateLimit": {"description": "IETF RateLimit: what is left of the quotas.", "schema": _STRING},
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": _STRING},
    "WWW-Authenticate": {"description": "RFC 6750 §3 bearer challenge.", "schema": _STRING},
    "ETag": {
        "description": "Strong validator of the representation (RFC 9110 §8.8.3); send it back "
        "as If-None-Match for a 304.",
        "schema": _STRING,
    },
    "Last-Modified": {
        "description": "When the gateway loaded the configuration it answers from; send it "
        "back as If-Modified-Since for a 304.",
        "schema": _STRING,
    },
    "Cache-Control": {
        "description": "`public, max-age=300` for the catalogue and the description; data "
        "answers are `no-store`.",
        "schema": _STRING,
    },
    "Link": {
        "description": "RFC 8288: the other pages of the list (rel first, prev, next, last; "
        "a data list links its next page, the cursor in the URL).",
        "schema": _STRING,
    },
    "X-Next-Cursor": {
        "description": "A POSTed query's next cursor (as meta.nextCursor; a CSV answer has "
        "no meta): send it as the next body's cursor.",
        "schema": _STRING,
    },
    "X-Fields-Masked": {
        "description": "CSV answers: field=method for each masked column "
        "(meta.fields.masked of the JSON answer).",
        "schema": _STRING,
    },
    "X-Exchange-Limit": {
        "description": "CSV answers: the page size that applied (meta.limit).",
        "schema": _STRING,
    },
}

#: Answers the same for every caller: cacheable, conditional (304) and compressed.
CACHEABLE_PREFIXES = ("catalog_api.", "docs.")
#: Lists whose answers carry a Link header to their other pages.
LINKED = frozenset({"catalog_api.list_datasets", "audit.search"})


def _query(name: str, schema: Mapping[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": dict(schema)} | (
        extra
    )


def _path(name: str, description: str, schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": dict(schema or _STRING),
    }


PARAMETERS: dict[str, Any] = {
    "Purpose": {
        "name": "X-Purpose",
        "in": "header",
        "required": True,
        "description": "The purpose of the request, from the purpose vocabulary; recorded in "
        "the audit trail, and for a conditional dataset the purpose a grant was issued for.",
        "schema": _ref("Purpose"),
    },
    "DatasetId": _path(
        "dataset_id", "Dataset id from the catalogue.", {"type": "string", "pattern": "^[a-z]"}
    ),
    "Key": _path("key", "The record's key field value (its region is derived from it)."),
    "Region": _query(
        "region",
        {"type": "string"},
        "Region codes (comma-separated): a province means all its districts.",
    ),
    "Fields": _query(
        "fields",
        {"type": "array", "items": _STRING},
        "Only these fields (comma-separated).",
        style="form",
        explode=False,
    ),
    # Its maximum, the largest page of any tier, is set per document (openapi_document).
    "Limit": _query(
        "limit",
        {"type": "integer", "minimum": 1},
        "Page size, capped by the caller's tier: `meta.limit` is the page size that applied and "
        "`meta.limitCapped` is true when it is smaller than the limit asked for.",
    ),
    "Cursor": _query("cursor", _STRING, "The nextCursor of the previous page."),
    "Strict": _query(
        "strict",
        {"type": "boolean"},
        "true: a failed source fails the whole exchange (502/504); default false for lists, "
        "true for key lookups.",
    ),
}


# -- operations of the known routes ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operation:
    """The description of one route: what it does, who may call it, what it answers."""

    summary: str
    tag: str
    description: str = ""
    #: OAuth scope the bearer token must carry; None: public.
    scope: str | None = None
    #: The token, introspection and revocation endpoints authenticate the client itself.
    client_auth: bool = False
    parameters: tuple[dict[str, Any], ...] = ()
    body: dict[str, Any] | None = None
    body_type: str = JSON
    body_required: bool = True
    #: status → (description, media type → schema); schema None: no body.
    responses: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)
    problems: tuple[int, ...] = ()
    oauth_errors: bool = False


def _ok(description: str, schema: Mapping[str, Any], media: str = JSON) -> dict[str, Any]:
    return {"200": (description, {media: schema})}


#: The catalogue's linked data in the RDF syntaxes other than JSON-LD
#: (gateway/http/api/linked_data.py).
_RDF_CONTENT = {"text/turtle": _STRING, "application/rdf+xml": _STRING}


def _format_parameter(*formats: str) -> dict[str, Any]:
    return _query("format", {"enum": list(formats)}, "Overrides the Accept header, for a link.")


_DATA_PROBLEMS = (400, 401, 403, 404, 406, 429, 500, 502, 503, 504)
_AUDIT_PROBLEMS = (400, 401, 403, 500, 503)
_ADMIN_PROBLEMS = (400, 401, 403, 404, 415, 500, 503)
_SEARCH_PARAMETERS = (
    _query(
        "q",
        {"type": "string", "maxLength": 200},
        "Words that must all occur (substring, "
        "so Chinese needs no segmentation) in a title, description, keyword or field.",
    ),
    _query(
        "region",
        _STRING,
        "Region code: a province matches datasets served in any of its "
        "districts; an unknown code matches nothing.",
    ),
    _query("theme", _STRING, "Theme id (facet `theme`)."),
    _query("shareType", _STRING, f"{_or(SHARE_TYPES)}."),
    _query("level", {"type": "integer", "minimum": 1, "maximum": 4}, "Data level 1–4."),
    _query("provider", _STRING, "Provider id (facet `provider`)."),
    _query("sort", {"enum": ["relevance", "title", "updated"], "default": "relevance"}, "Order."),
    _query("lang", {"enum": ["zh", "en"], "default": "zh"}, "Language of the title sort."),
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
    _query(
        "perPage",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
        "Datasets per page.",
    ),
)
_CLIENT_ID = _path("client_id", "Client id.")
_GRANT_ID = _path("grant_id", "Grant id.")
_PAGING = (
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
    _query("perPage", {"type": "integer", "minimum": 1, "maximum": 100}, "Items per page."),
)
_CLIENT_RESPONSE = _ok("The client.", _ref("ClientResponse"))
_GRANT_RESPONSE = _ok("The grant.", _ref("GrantResponse"))
_TIME = {"type": "string", "format": "date-time"}

OPERATIONS: dict[str, Operation] = {
    "health.healthz": Operation(
        "Liveness", "health", responses=_ok("The process answers.", _ref("Health"))
    ),
    "health.readyz": Operation(
        "Readiness",
        "health",
        description="Ready when the database answers and the configuration is loaded; nodes "
        "are reported but a down node does not make the gateway unready.",
        responses={
            "200": ("Ready.", {JSON: _ref("Readiness")}),
            "503": ("Not ready.", {JSON: _ref("Readiness")}),
        },
    ),
    "metrics.metrics": Operation(
        "Prometheus metrics",
        "health",
        responses=_ok("Text exposition format.", _STRING, "text/plain"),
    ),
    "oauth.token": Operation(
        "Get an access token",
        "oauth",
        description="RFC 6749 §4.4 client credentials. The client authenticates with HTTP "
        "Basic (client_secret_basic), with client_id/client_secret in the body "
        "(client_secret_post) or with a signed assertion (private_key_jwt, RFC 7523). The "
        "token is an RFC 9068 JWT, valid for 10 minutes.",
        client_auth=True,
        body=_ref("TokenRequest"),
        body_type="application/x-www-form-urlencoded",
        responses=_ok("The access token.", _ref("TokenResponse")),
        oauth_errors=True,
    ),
    "oauth.introspect": Operation(
        "Introspect a token",
        "oauth",
        description="RFC 7662: the state of an access token issued to the calling client.",
        client_auth=True,
        body=_ref("TokenParameter"),
        body_type="application/x-www-form-urlencoded",
        responses=_ok("The token's state.", _ref("Introspection")),
        oauth_errors=True,
    ),
    "oauth.revoke": Operation(
        "Revoke a token",
        "oauth",
        description="RFC 7009: the token stops working on every replica within a second.",
        client_auth=True,
        body=_ref("TokenParameter"),
        body_type="application/x-www-form-urlencoded",
        responses={"200": ("Revoked (or unknown: the answer is the same).", {})},
        oauth_errors=True,
    ),
    "oauth.jwks": Operation(
        "Token signing keys", "oauth", responses=_ok("Current and previous keys.", _ref("JWKS"))
    ),
    "oauth.discovery": Operation(
        "Authorisation server metadata",
        "oauth",
        description="RFC 8414.",
        responses=_ok("The metadata.", _ref("ServerMetadata")),
    ),
    "oauth.resource_metadata": Operation(
        "Protected resource metadata",
        "oauth",
        description="RFC 9728: the data API's resource identifier (the `aud` of its tokens), "
        "the authorisation servers whose tokens it accepts, its scopes and how to send a "
        "token. Also at the well-known path followed by the resource's path, which a 401 "
        "challenge names (`resource_metadata`).",
        responses=_ok("The metadata.", _ref("ResourceMetadata")),
        problems=(404,),
    ),
    "catalog_api.list_datasets": Operation(
        "Search the catalogue",
        "catalog",
        description="Free text in Chinese and English, filters, facets with counts, sorting "
        "and pages. A filter value that nothing has gives an empty page, not an error.",
        parameters=_SEARCH_PARAMETERS,
        responses=_ok(
            "One page of datasets, the total and the facets.",
            _ref("DatasetList"),
        ),
        problems=(400, 500),
    ),
    "catalog_api.get_dataset": Operation(
        "One dataset",
        "catalog",
        description="The entry, its field table (type, description, x-level, sensitivity), the "
        "nodes and regions that serve it, how to get access and a sample request. The address "
        "is the dataset's IRI in the DCAT-AP export: by the Accept header (or `format`) it "
        "answers the dataset's DCAT-AP description in JSON-LD, Turtle or RDF/XML, and sends a "
        "browser (text/html) to the dataset's page.",
        parameters=(_format_parameter("json", "jsonld", "turtle", "rdfxml"),),
        responses={
            "200": (
                "The entry (JSON), or its DCAT-AP description.",
                {JSON: _ref("DatasetResponse"), **_RDF_CONTENT},
            ),
            "303": ("A browser asked for text/html: the dataset's page is at Location.", {}),
        },
        problems=(400, 404, 500),
    ),
    "catalog_api.regions": Operation(
        "The region tree",
        "catalog",
        responses=_ok("Provinces, cities, districts and groupings.", _ref("RegionTree")),
    ),
    "catalog_api.region": Operation(
        "One region",
        "catalog",
        description="A region with its children and parents; the dct:spatial IRIs of the DCAT-AP "
        "export resolve here.",
        responses=_ok("The region.", _ref("RegionResponse")),
        problems=(404, 500),
    ),
    "catalog_api.dcat": Operation(
        "The catalogue as DCAT-AP 3.0",
        "catalog",
        description="JSON-LD with an inline @context (nothing to fetch): the catalog, a dataset "
        "per entry with zh and en texts, publishers, themes, spatial coverage, access rights, "
        "a distribution per served dataset and the gateway's data service. Turtle or RDF/XML "
        "by the Accept header (or `format`).",
        parameters=(_format_parameter("jsonld", "turtle", "rdfxml"),),
        responses={
            "200": ("The catalogue.", {JSON_LD: _ref("DcatDocument"), **_RDF_CONTENT}),
        },
        problems=(400, 500),
    ),
    "data.list_records": Operation(
        "Query records of a dataset",
        "data",
        description="Filters are query parameters: `name=value` (eq) or `name.op=value` with op "
        "in, gte, lte, prefix (in is repeated or takes a comma-separated list), on the fields "
        "the dataset's querySchema allows; see the per-dataset operations for each dataset's "
        "filters.",
        scope="data:read",
        parameters=(
            {"$ref": "#/components/parameters/Purpose"},
            {
                "name": "filter",
                "in": "query",
                "description": "Filter parameters of the dataset (name or name.op).",
                "schema": {"type": "object", "additionalProperties": _STRING},
                "style": "form",
                "explode": True,
            },
            {"$ref": "#/components/parameters/Region"},
            {"$ref": "#/components/parameters/Fields"},
            {"$ref": "#/components/parameters/Limit"},
            {"$ref": "#/components/parameters/Cursor"},
            {"$ref": "#/components/parameters/Strict"},
        ),
        responses=_ok("Records and the exchange's meta.", _ref("RecordPage")),
        problems=_DATA_PROBLEMS,
    ),
    "data.get_record": Operation(
        "One record by key",
        "data",
        description="The key's region is derived from the key where the dataset says how; a "
        "failed source fails the lookup unless strict=false.",
        scope="data:read",
        parameters=(
            {"$ref": "#/components/parameters/Purpose"},
            {"$ref": "#/components/parameters/Fields"},
            {"$ref": "#/components/parameters/Strict"},
        ),
        responses=_ok("The record.", _ref("RecordResponse")),
        problems=_DATA_PROBLEMS,
    ),
    "data.query": Operation(
        "Query records with a JSON body",
        "data",
        scope="data:read",
        parameters=({"$ref": "#/components/parameters/Purpose"},),
        body=_ref("Query"),
        responses=_ok("Records and the exchange's meta.", _ref("RecordPage")),
        problems=(*_DATA_PROBLEMS, 413, 415),
    ),
    "admin.create_client": Operation(
        "Register a client",
        "admin",
        scope="admin",
        body=_ref("ClientRegistration"),
        responses={
            "201": (
                "Created; the secret is shown this once.",
                {JSON: _ref("ClientResponse")},
            )
        },
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.list_clients": Operation(
        "List clients",
        "admin",
        scope="admin",
        parameters=_PAGING,
        responses=_ok("Clients.", _ref("ClientList")),
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.show_client": Operation(
        "One client", "admin", scope="admin", responses=_CLIENT_RESPONSE, problems=_ADMIN_PROBLEMS
    ),
    "admin.disable_client": Operation(
        "Disable a client",
        "admin",
        description="It can get no token, and its live tokens stop working for good: "
        "enabling it again does not bring them back.",
        scope="admin",
        responses=_CLIENT_RESPONSE,
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.enable_client": Operation(
        "Enable a client",
        "admin",
        scope="admin",
        responses=_CLIENT_RESPONSE,
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.rotate_secret": Operation(
        "Rotate a client's secret",
        "admin",
        description="The old secret stops working at once; with revokeTokens, so do the "
        "access tokens issued so far.",
        scope="admin",
        body=_ref("ClientSecretRotation"),
        body_required=False,
        responses=_CLIENT_RESPONSE,
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.set_jwks": Operation(
        "Register a client's public keys",
        "admin",
        description="The client then authenticates with private_key_jwt.",
        scope="admin",
        body=_ref("ClientKeys"),
        responses=_CLIENT_RESPONSE,
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.issue_grant": Operation(
        "Issue a grant",
        "admin",
        description="What makes a conditional dataset usable: client, dataset, purpose, "
        "optional fields and regions, validity, approver and legal basis.",
        scope="admin",
        body=_ref("GrantRequest"),
        responses={
            "201": (
                "Issued; ``warnings`` say why it may never apply (e.g. the client's tier may "
                "not read the dataset).",
                {JSON: _ref("IssuedGrant")},
            )
        },
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.list_grants": Operation(
        "List grants",
        "admin",
        scope="admin",
        parameters=(
            _query("clientId", _STRING, "Only this client's grants."),
            _query("dataset", _STRING, "Only grants on this dataset."),
            *_PAGING,
        ),
        responses=_ok("Grants.", _ref("GrantList")),
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.show_grant": Operation(
        "One grant", "admin", scope="admin", responses=_GRANT_RESPONSE, problems=_ADMIN_PROBLEMS
    ),
    "admin.revoke_grant": Operation(
        "Revoke a grant",
        "admin",
        scope="admin",
        body=_ref("Revocation"),
        body_required=False,
        responses=_GRANT_RESPONSE,
        problems=_ADMIN_PROBLEMS,
    ),
    "admin.revoke_access_token": Operation(
        "Revoke an access token by issuer and jti",
        "admin",
        description="This gateway's token or a trusted regional issuer's (whose tokens "
        "/oauth/revoke cannot reach), named as audit records show it. It is refused on every "
        "replica within a second until no token of that issuer could still be alive; the "
        "revocation is audited.",
        scope="admin",
        body=_ref("TokenRevocation"),
        responses=_ok("Revoked.", _ref("RevokedTokenResponse")),
        problems=_ADMIN_PROBLEMS,
    ),
    "audit.search": Operation(
        "Search the audit trail",
        "audit",
        description="Who saw what, when, why; newest first. The search itself is audited.",
        scope="audit:read",
        parameters=(
            _query("clientId", _STRING, "Client id."),
            _query("dataset", _STRING, "Dataset id."),
            _query("decision", {"enum": ["allow", "deny", "error"]}, "Decision."),
            _query("purpose", _STRING, "Purpose id."),
            _query("region", _STRING, "Region codes (comma-separated)."),
            _query("traceId", {"type": "string", "pattern": "^[0-9a-f]{32}$"}, "Trace id."),
            _query("kind", {"enum": ["exchange", "admin", "audit"]}, "Record kind."),
            _query("from", _TIME, "Earliest time, included. " + _LOCAL_TIME),
            _query("to", _TIME, "Latest time, excluded; a date is included whole. " + _LOCAL_TIME),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size."),
            _query("cursor", _STRING, "nextCursor of the previous page."),
        ),
        responses=_ok("Audit records.", _ref("AuditPage")),
        problems=_AUDIT_PROBLEMS,
    ),
    "audit.one": Operation(
        "One audit record",
        "audit",
        scope="audit:read",
        responses=_ok("The record.", _ref("AuditRecordResponse")),
        problems=(*_AUDIT_PROBLEMS, 404),
    ),
    "audit.verify": Operation(
        "Verify the chain",
        "audit",
        scope="audit:read",
        parameters=(
            _query(
                "from",
                {"enum": ["start", "checkpoint"]},
                "Verify from the start or from the newest signed checkpoint.",
            ),
        ),
        responses=_ok("The verification result.", _ref("Verification")),
        problems=_AUDIT_PROBLEMS,
    ),
    "audit.keys": Operation(
        "Checkpoint signing keys",
        "audit",
        scope="audit:read",
        responses=_ok("Public keys.", _ref("JWKS")),
        problems=_AUDIT_PROBLEMS,
    ),
    "audit.export": Operation(
        "Export a verifiable bundle",
        "audit",
        scope="audit:read",
        parameters=(
            _query("format", {"enum": ["jsonl", "csv"], "default": "jsonl"}, "Bundle format."),
            _query("from", _TIME, "Earliest time, included. " + _LOCAL_TIME),
            _query("to", _TIME, "Latest time, excluded; a date is included whole. " + _LOCAL_TIME),
        ),
        responses={
            "200": (
                "Records, checkpoints and the public key, streamed; the last record is covered "
                "by a signed checkpoint. An empty range is a bundle without records.",
                {"application/x-ndjson": _STRING, "text/csv": _STRING},
            )
        },
        problems=_AUDIT_PROBLEMS,
    ),
    "problem_docs.list_problems": Operation(
        "Every problem type",
        "problems",
        responses=_ok("The problem types.", _ref("ProblemTypeList")),
    ),
    "problem_docs.problem": Operation(
        "One problem type",
        "problems",
        responses=_ok("Its documentation.", _ref("ProblemType")),
        problems=(404,),
    ),
    "docs.openapi_document": Operation(
        "This OpenAPI description",
        "docs",
        responses=_ok("OpenAPI 3.1.", _ref("OpenApiDocument")),
    ),
    "docs.reference_page": Operation(
        "API reference page",
        "docs",
        description="This description rendered as HTML, served by the gateway itself in the "
        "catalogue's layout, Chinese or English (?lang=, else Accept-Language): authentication "
        "and every operation, by tag.",
        responses=_ok("The page.", _STRING, HTML),
    ),
    "docs.reference_tag_page": Operation(
        "API reference page of one tag",
        "docs",
        description="The operations of one tag in full, with the schemas they use.",
        responses={
            "200": ("The page.", {HTML: _STRING}),
            "404": ("No such tag: an error page.", {HTML: _STRING}),
        },
    ),
    "web.home": Operation(
        "Catalogue home page",
        "pages",
        description="Search box, facets and results; the search state is in the URL (the "
        "parameters of GET /v1/catalog/datasets). Chinese by default, English with ?lang=en.",
        responses=_ok("The page.", _STRING, HTML),
    ),
    "web.dataset_page": Operation(
        "Dataset page", "pages", responses=_ok("The page.", _STRING, HTML)
    ),
    "web.regions_page": Operation(
        "Region browser", "pages", responses=_ok("The page.", _STRING, HTML)
    ),
    "web.region_page": Operation(
        "One region's datasets", "pages", responses=_ok("The page.", _STRING, HTML)
    ),
}

#: Stable operation ids of the known routes: a generated client names its functions after them.
OPERATION_IDS: Mapping[str, str] = {
    "health.healthz": "getLiveness",
    "health.readyz": "getReadiness",
    "metrics.metrics": "getMetrics",
    "oauth.token": "getAccessToken",
    "oauth.introspect": "introspectToken",
    "oauth.revoke": "revokeToken",
    "oauth.jwks": "getTokenSigningKeys",
    "oauth.discovery": "getAuthorizationServerMetadata",
    "oauth.resource_metadata": "getProtectedResourceMetadata",
    "catalog_api.list_datasets": "searchDatasets",
    "catalog_api.get_dataset": "getDataset",
    "catalog_api.regions": "getRegionTree",
    "catalog_api.region": "getRegion",
    "catalog_api.dcat": "getDcatCatalogue",
    "data.list_records": "getDatasetRecords",
    "data.get_record": "getDatasetRecord",
    "data.query": "queryDatasetRecords",
    "admin.create_client": "registerClient",
    "admin.list_clients": "listClients",
    "admin.show_client": "getClient",
    "admin.disable_client": "disableClient",
    "admin.enable_client": "enableClient",
    "admin.rotate_secret": "rotateClientSecret",
    "admin.set_jwks": "setClientKeys",
    "admin.issue_grant": "issueGrant",
    "admin.list_grants": "listGrants",
    "admin.show_grant": "getGrant",
    "admin.revoke_grant": "revokeGrant",
    "admin.revoke_access_token": "revokeAccessTokenById",
    "audit.search": "searchAuditRecords",
    "audit.one": "getAuditRecord",
    "audit.verify": "verifyAuditChain",
    "audit.keys": "getCheckpointSigningKeys",
    "audit.export": "exportAuditBundle",
    "problem_docs.list_problems": "listProblemTypes",
    "problem_docs.problem": "getProblemType",
    "docs.openapi_document": "getOpenApiDocument",
    "docs.reference_page": "getReferencePage",
    "docs.reference_tag_page": "getReferenceTagPage",
    "web.home": "getCatalogueHomePage",
    "web.dataset_page": "getDatasetPage",
    "web.regions_page": "getRegionBrowserPage",
    "web.region_page": "getRegionPage",
}

# Path parameters of the known routes, by name.
_PATH_PARAMETERS: Mapping[str, dict[str, Any]] = {
    "dataset_id": {"$ref": "#/components/parameters/DatasetId"},
    "key": {"$ref": "#/components/parameters/Key"},
    "client_id": _CLIENT_ID,
    "grant_id": _GRANT_ID,
    "exchange_id": _path("exchange_id", "Exchange id."),
    "slug": _path("slug", "Problem type slug."),
    "tag": _path("tag", "A tag of the reference, as its page names it (`hourly-air-quality`)."),
    "code": _path("code", "Region code (GB/T 2260) or grouping id."),
}


# -- per-dataset schemas and operations ------------------------------------------------------


def schema_name(dataset_id: str) -> str:
    """``market-entity-registration`` → ``MarketEntityRegistration``."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", dataset_id) if part)


def _annotated(spec: Mapping[str, Any]) -> str:
    label = spec.get("x-label", {})
    parts = [f"{label.get('en', '')} ({label.get('zh', '')})."]
    if spec.get("description"):
        parts.append(str(spec["description"]))
    parts.append(f"Data level {spec.get('x-level')}.")
    if spec.get("x-sensitivity"):
        parts.append(
            f"Personal data ({spec['x-sensitivity']}): in clear only when the caller's grant "
            "names the field; otherwise masked by the tier's profile or dropped."
        )
    return " ".join(p for p in parts if p)


def _value_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A field's schema without its annotations: what a filter value must satisfy."""
    return {
        k: copy.deepcopy(v)
        for k, v in spec.items()
        if not k.startswith("x-") and k not in ("description", "title", "examples")
    }


def _rebase(node: Any, base: str) -> Any:
    """Local references of a record schema (``#/$defs/…``) made relative to its component."""
    if isinstance(node, dict):
        return {
            k: (
                base + v[1:]
                if k in ("$ref", "$dynamicRef") and isinstance(v, str) and v.startswith("#")
                else _rebase(v, base)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item, base) for item in node]
    return node


def record_schema(dataset: Dataset) -> dict[str, Any]:
    """A dataset's records as the data API returns them.

    The catalogue's recordSchema, with three changes a caller's validator needs: no ``required``
    (``fields`` projects records), a personal field may also be a masked string or null
    (redacted), and every field's description states its label, level and sensitivity.
    """
    name = schema_name(dataset.id)
    schema = _rebase(copy.deepcopy(dataset.record_schema), f"#/components/schemas/{name}Record")
    schema.pop("$schema", None)
    schema.pop("required", None)
    properties: dict[str, Any] = {}
    for field_name, spec in schema.get("properties", {}).items():
        described = {"description": _annotated(spec)}
        annotations = {k: v for k, v in spec.items() if k.startswith("x-")}
        if spec.get("x-sensitivity"):
            masked = {
                "type": ["string", "null"],
                "description": "Masked (partial, pseudonym or generalised) or null (redacted).",
            }
            properties[field_name] = {
                **described,
                **annotations,
                "anyOf": [_value_schema(spec), masked],
            }
        else:
            properties[field_name] = {**spec, **described}
    schema["properties"] = properties
    # No title: client generators name the model after the title when there is one, and the
    # component's name (``MarketEntityRegistrationRecord``) is the one to keep.
    schema.pop("title", None)
    schema["description"] = (
        f"{dataset.title.en} ({dataset.title.zh}): one record as served, in catalogue field "
        "names. Fields the caller's tier may not read are dropped."
    )
    return schema


def _filter_parameters(dataset: Dataset) -> list[dict[str, Any]]:
    out = []
    for field_name, ops in dataset.filters.items():
        spec = dataset.record_schema["properties"][field_name]
        value = _value_schema(spec)
        label = spec["x-label"]
        for op in ops:
            text = f"{label['en']} ({label['zh']})"
            if op == "eq":
                out.append(_query(field_name, value, f"{text} equals."))
            elif op == "in":
                out.append(
                    _query(
                        f"{field_name}.in",
                        {"type": "array", "items": value, "minItems": 1},
                        f"{text} is one of: repeat the parameter "
                        f"(`{field_name}.in=A&{field_name}.in=B`) or give one comma-separated "
                        "list; both may be mixed.",
                        style="form",
                        explode=True,
                    )
                )
            elif op == "prefix":
                out.append(
                    _query(f"{field_name}.prefix", {"type": "string"}, f"{text} starts with.")
                )
            else:
                bound = {k: v for k, v in value.items() if k not in ("enum", "const")}
                word = "at least" if op == "gte" else "at most"
                out.append(_query(f"{field_name}.{op}", bound, f"{text} is {word}."))
    return out


def _operators_name(dataset: Dataset, field_name: str) -> str:
    """``MarketEntityRegistrationCreditCodeOperators``: a name a generated model keeps."""
    return f"{schema_name(dataset.id)}{field_name[:1].upper()}{field_name[1:]}Operators"


def filter_schema(dataset: Dataset) -> dict[str, Any]:
    """The ``filter`` member of a query body: each filterable field's value or operators (a
    component of its own, see filter_operator_schemas)."""
    properties: dict[str, Any] = {}
    for field_name, ops in dataset.filters.items():
        value = _value_schema(dataset.record_schema["properties"][field_name])
        operators = _ref(_operators_name(dataset, field_name))
        properties[field_name] = {"anyOf": [value, operators]} if "eq" in ops else operators
    return {"type": "object", "properties": properties, "additionalProperties": False}


def filter_operator_schemas(dataset: Dataset) -> dict[str, Any]:
    """Component name → the operators object of one filterable field (eq, in, gte, lte, prefix
    as its query schema allows)."""
    out: dict[str, Any] = {}
    for field_name, ops in dataset.filters.items():
        value = _value_schema(dataset.record_schema["properties"][field_name])
        by_op: dict[str, Any] = {}
        for op in ops:
            if op == "in":
                by_op[op] = {"type": "array", "items": value, "minItems": 1}
            elif op == "prefix":
                by_op[op] = {"type": "string", "minLength": 1}
            elif op == "eq":
                by_op[op] = value
            else:
                by_op[op] = {k: v for k, v in value.items() if k not in ("enum", "const")}
        out[_operators_name(dataset, field_name)] = {
            "type": "object",
            "properties": by_op,
            "additionalProperties": False,
            "minProperties": 1,
        }
    return out


def _dataset_components(dataset: Dataset, limit: Mapping[str, Any]) -> dict[str, Any]:
    name = schema_name(dataset.id)
    record = _ref(f"{name}Record")
    return {
        f"{name}Record": record_schema(dataset),
        f"{name}Filter": filter_schema(dataset),
        **filter_operator_schemas(dataset),
        f"{name}Query": _obj(
            {
                "filter": _ref(f"{name}Filter"),
                "fields": {
                    "type": "array",
                    "items": {"enum": list(dataset.fields)},
                    "minItems": 1,
                },
                "regions": {"type": "array", "items": _STRING, "minItems": 1},
                "limit": dict(limit),
                "cursor": _STRING,
                "strict": {"type": "boolean"},
            },
            additionalProperties=False,
        ),
        f"{name}RecordPage": _list_of(record, _ref("ExchangeMeta")),
        f"{name}RecordResponse": _obj(
            {"data": record, "meta": _ref("ExchangeMeta")}, ["data", "meta"]
        ),
    }


def _dataset_operations(dataset: Dataset) -> dict[str, tuple[str, str, Operation]]:
    """path → (method, operationId template, operation) for one served dataset."""
    name = schema_name(dataset.id)
    fields = {
        "name": "fields",
        "in": "query",
        "description": "Only these fields (comma-separated).",
        "schema": {"type": "array", "items": {"enum": list(dataset.fields)}},
        "style": "form",
        "explode": False,
    }
    # The tag a person recognises, and a generated client names its module after.
    tag = dataset.title.en
    access = (
        " Shared on conditions: an active grant for the client, this dataset and the purpose "
        "is required."
        if dataset.share_type == "conditional"
        else ""
    )
    base = f"/v1/datasets/{dataset.id}"
    return {
        f"{base}/records": (
            "get",
            "get{}Records",
            Operation(
                f"Query {dataset.title.en} records",
                tag,
                description=f"{dataset.title.zh}. Filters from the query schema.{access}",
                scope="data:read",
                parameters=(
                    {"$ref": "#/components/parameters/Purpose"},
                    *_filter_parameters(dataset),
                    {"$ref": "#/components/parameters/Region"},
                    fields,
                    {"$ref": "#/components/parameters/Limit"},
                    {"$ref": "#/components/parameters/Cursor"},
                    {"$ref": "#/components/parameters/Strict"},
                ),
                responses=_ok("Records.", _ref(f"{name}RecordPage")),
                problems=_DATA_PROBLEMS,
            ),
        ),
        f"{base}/records/{{key}}": (
            "get",
            "get{}Record",
            Operation(
                f"One {dataset.title.en} record by {dataset.key_field}",
                tag,
                description=f"{dataset.title.zh}.{access}",
                scope="data:read",
                parameters=(
                    {"$ref": "#/components/parameters/Purpose"},
                    _path(
                        "key",
                        f"The {dataset.key_field} of the record.",
                        _value_schema(dataset.record_schema["properties"][dataset.key_field]),
                    ),
                    fields,
                    {"$ref": "#/components/parameters/Strict"},
                ),
                responses=_ok("The record.", _ref(f"{name}RecordResponse")),
                problems=_DATA_PROBLEMS,
            ),
        ),
        f"{base}/query": (
            "post",
            "query{}Records",
            Operation(
                f"Query {dataset.title.en} records with a JSON body",
                tag,
                description=f"{dataset.title.zh}.{access}",
                scope="data:read",
                parameters=({"$ref": "#/components/parameters/Purpose"},),
                body=_ref(f"{name}Query"),
                responses=_ok("Records.", _ref(f"{name}RecordPage")),
                problems=(*_DATA_PROBLEMS, 413, 415),
            ),
        ),
    }


# -- assembling the document -----------------------------------------------------------------


def openapi_path(rule: str) -> tuple[str, dict[str, str]]:
    """A Werkzeug rule as an OpenAPI path, and each path argument's converter."""
    converters: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        converters[match["name"]] = match["converter"] or "default"
        return "{" + match["name"] + "}"

    return _RULE_ARGUMENT.sub(replace, rule), converters


def _operation_id(endpoint: str, method: str, taken: set[str]) -> str:
    candidate = OPERATION_IDS.get(endpoint)
    if candidate is None:
        words = re.split(r"[^A-Za-z0-9]+", endpoint)
        candidate = words[0] + "".join(w.capitalize() for w in words[1:] if w)
    if candidate in taken:
        candidate += method.capitalize()
    taken.add(candidate)
    return candidate


def tag_name(key: str) -> str:
    """The tag of an operation as people read it (a dataset's tag is its title already)."""
    known = TAGS.get(key)
    return known[0] if known else key


#: RFC 6749 §2.3 / RFC 7523: how a client authenticates at the token, introspection and
#: revocation endpoints, by its registered method (the client's ``authMethod``).
CLIENT_AUTHENTICATION: Mapping[str, Mapping[str, Any]] = {
    method.id: (
        {"bodyFields": list(method.body_fields)}
        if method.body_fields
        else {"securityScheme": "clientSecretBasic"}
    )
    for method in auth_methods.METHODS
}
_CLIENT_AUTH_TEXT = (
    "Client authentication, by the method the client was registered with (`authMethod`): "
    + "; ".join(
        f"`{method.id}` — {method.description}"
        + ("" if method.body_fields else " (security scheme `clientSecretBasic`)")
        for method in auth_methods.METHODS
    )
    + "."
)


def _render(
    operation: Operation,
    operation_id: str,
    path_parameters: list[dict[str, Any]],
    *,
    endpoint: str = "",
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tags": [tag_name(operation.tag)],
        "summary": operation.summary,
        "operationId": operation_id,
    }
    description = operation.description
    if operation.scope:
        description = f"{description}\n\nScope: `{operation.scope}`.".strip()
        out["security"] = [{"oauth2": [operation.scope]}]
    elif operation.client_auth:
        description = f"{description}\n\n{_CLIENT_AUTH_TEXT}".strip()
        # Either HTTP Basic (client_secret_basic) or no header at all: client_secret_post and
        # private_key_jwt authenticate with fields of the form body. OpenAPI has no security
        # scheme for body fields, so the body's schema names them and x-client-authentication
        # says which fields belong to which method.
        out["security"] = [{"clientSecretBasic": []}, {}]
        out["x-client-authentication"] = CLIENT_AUTHENTICATION
    else:
        out["security"] = []
    if description:
        out["description"] = description
    parameters = [*path_parameters, *operation.parameters]
    if parameters:
        out["parameters"] = parameters
    if operation.body is not None:
        out["requestBody"] = {
            "required": operation.body_required,
            "content": {operation.body_type: {"schema": operation.body}},
        }
    responses: dict[str, Any] = {}
    for status, (text, content) in operation.responses.items():
        response: dict[str, Any] = {"description": text}
        if content:
            response["content"] = {media: {"schema": schema} for media, schema in content.items()}
        if operation.scope == "data:read":
            response["headers"] = {
                name: {"$ref": f"#/components/headers/{name}"}
                for name in (
                    "X-Exchange-Id",
                    "X-Exchange-Complete",
                    "RateLimit-Policy",
                    "RateLimit",
                    "Link",
                    "X-Next-Cursor",
                    "X-Fields-Masked",
                    "X-Exchange-Limit",
                )
            }
            if "content" in response:
                # Accept: text/csv — the same records, masked and audited alike.
                response["content"][CSV] = {"schema": _ref("RecordsCsv")}
        if status == "200":
            names = []
            if endpoint.startswith(CACHEABLE_PREFIXES):
                names += ["ETag", "Last-Modified", "Cache-Control"]
            if endpoint in LINKED:
                names.append("Link")
            if names:
                response["headers"] = {
                    **response.get("headers", {}),
                    **{name: {"$ref": f"#/components/headers/{name}"} for name in names},
                }
        responses[status] = response
    if endpoint.startswith(CACHEABLE_PREFIXES):
        responses["304"] = {
            "description": "Not modified: the representation named by If-None-Match (or "
            "older than If-Modified-Since) is still current.",
            "headers": {
                name: {"$ref": f"#/components/headers/{name}"}
                for name in ("ETag", "Last-Modified", "Cache-Control")
            },
        }
    for problem_status in operation.problems:
        responses[str(problem_status)] = {"$ref": f"#/components/responses/Problem{problem_status}"}
    if operation.oauth_errors:
        error = {
            "description": "RFC 6749 error.",
            "content": {JSON: {"schema": _ref("OAuthError")}},
        }
        responses.setdefault("400", error)
        responses.setdefault("401", error)
    elif operation.tag != "pages":
        responses["default"] = {"$ref": "#/components/responses/Problem"}
    out["responses"] = responses or {"200": {"description": "Success."}}
    return out


def _fallback(app: Flask, endpoint: str) -> Operation:
    """A route this module does not know: described by its view's docstring."""
    view = app.view_functions.get(endpoint)
    doc = (getattr(view, "__doc__", None) or "").strip()
    summary = doc.splitlines()[0] if doc else endpoint
    tag = endpoint.split(".")[0] if "." in endpoint else "other"
    return Operation(summary, tag, description=doc, responses={"200": ("Success.", {})})


def _info(base_url: str) -> dict[str, Any]:
    return {
        "title": "JJJ Data Gateway API",
        "version": version(),
        "summary": "Beijing-Tianjin-Hebei public data sharing: unified authorisation, tiered "
        "use, centralised management.",
        "description": (
            "京津冀公共数据共享网关。Partners fetch public data held in another region through "
            "one OAuth-secured gateway.\n\n"
            "1. Get an access token from `POST /oauth/token` with the client credentials grant "
            f"({_or(AUTH_METHODS)}).\n"
            "2. Call a data endpoint with `Authorization: Bearer <token>` and "
            "`X-Purpose: <purpose>` (the purpose vocabulary is listed on each dataset's "
            "catalogue entry).\n"
            "3. Read `data` and `meta`: which nodes answered, which fields are in clear, masked "
            "or dropped, and whether the answer is complete.\n\n"
            "Errors are RFC 9457 problems (`application/problem+json`) whose `type` is "
            f"documented at `{DOCUMENTATION_PATH}/<slug>`; the `/oauth/*` endpoints keep the "
            "RFC 6749 error format. The catalogue is public: search it at `/v1/catalog/datasets`, "
            f"harvest it as DCAT-AP at `{base_url.rstrip('/')}/v1/catalog/dcat`."
        ),
    }


def _limit_schema(policies: Policies, max_page_size: int | None) -> dict[str, Any]:
    """``limit``: at most the largest page of any tier (each caller's own tier may cap lower)."""
    pages = [t.max_page_size for t in policies.tiers.values()]
    largest = max(pages) if pages else 1
    if max_page_size is not None:
        largest = min(largest, max_page_size)
    return {"type": "integer", "minimum": 1, "maximum": largest}


def _purpose_schema(policies: Policies) -> dict[str, Any]:
    labels = "; ".join(f"`{p.id}`: {p.en} ({p.zh})" for p in policies.purposes.values())
    return {
        "type": "string",
        "enum": list(policies.purposes),
        "description": f"The purpose vocabulary (policies/purposes.yaml). {labels}.",
    }


def openapi_document(
    app: Flask,
    datasets: Iterable[Dataset],
    policies: Policies,
    base_url: str,
    *,
    max_page_size: int | None = None,
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``: every route it registers (static files aside) and
    the typed operations of each served dataset. ``max_page_size``: the gateway's own cap on
    a page, below the tiers' when it is lower."""
    base = base_url.rstrip("/")
    limit = _limit_schema(policies, max_page_size)
    paths: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        path, converters = openapi_path(rule.rule)
        parameters = []
        for name, converter in converters.items():
            known = _PATH_PARAMETERS.get(name)
            if known is not None:
                parameters.append(known)
            else:
                kind = {"int": "integer", "float": "number"}.get(converter, "string")
                parameters.append(_path(name, f"The {name}.", {"type": kind}))
        operation = OPERATIONS.get(rule.endpoint) or _fallback(app, rule.endpoint)
        for method in sorted((rule.methods or set()) - _IMPLICIT_METHODS):
            paths.setdefault(path, {})[method.lower()] = _render(
                operation,
                _operation_id(rule.endpoint, method, taken),
                parameters,
                endpoint=rule.endpoint,
            )

    schemas = dict(BASE_SCHEMAS)
    schemas["Purpose"] = _purpose_schema(policies)
    schemas["Query"] = copy.deepcopy(schemas["Query"])
    schemas["Query"]["properties"]["limit"] = dict(limit)
    shared_parameters = copy.deepcopy(PARAMETERS)
    shared_parameters["Limit"]["schema"] = dict(limit)
    # x-name-zh: the tag's Chinese name, for the reference page in Chinese.
    tags = [
        {"name": name, "description": text, "x-name-zh": zh} for name, zh, text in TAGS.values()
    ]
    served = [d for d in datasets if d.share_type != "none"]
    for dataset in datasets:
        schemas.update(_dataset_components(dataset, limit))
    for dataset in served:
        tags.append(
            {
                "name": dataset.title.en,
                "x-name-zh": dataset.title.zh,
                "description": f"{dataset.title.en} ({dataset.title.zh}): {dataset.description.en}",
            }
        )
        for path, (method, verb, operation) in _dataset_operations(dataset).items():
            operation_id = verb.format(schema_name(dataset.id))
            taken.add(operation_id)
            paths.setdefault(path, {})[method] = _render(operation, operation_id, [])

    responses = {f"Problem{status}": _problem_response(status) for status in _problem_statuses()}
    responses["Problem"] = {
        "description": "Any other problem (RFC 9457).",
        "content": {PROBLEM_JSON: {"schema": _ref("Problem")}},
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": _info(base),
        "servers": [{"url": base}],
        "tags": tags,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "responses": responses,
            "parameters": shared_parameters,
            "headers": HEADERS,
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 client credentials; access tokens are RFC 9068 "
                    "JWTs carrying the client's scopes, region and tier.",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": f"{base}/oauth/token",
                            "scopes": dict(SCOPES),
                        }
                    },
                },
                "clientSecretBasic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "client_secret_basic (RFC 6749 §2.3.1): the client id and "
                    "secret as HTTP Basic credentials. A client registered for "
                    "client_secret_post sends the same two values as the form fields "
                    "client_id and client_secret instead (see the token request body).",
                },
            },
        },
        # Purposes are part of every data request; a client generator can offer them.
        "x-purposes": [
            {"id": p.id, "label": {"zh": p.zh, "en": p.en}} for p in policies.purposes.values()
        ],
    }
