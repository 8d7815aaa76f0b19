"""The contract of the data endpoints (gateway/http/api/data.py, docs/api.md#data): their
parameters, the query body the views check, the answers and the headers of an exchange. The
typed operations of each dataset's own document (gateway/http/openapi/datasets.py) take the
same parameters and answer alike."""

from __future__ import annotations

from typing import Any

from gateway.http.contract import (
    NULLABLE_STRING,
    STRING,
    Body,
    Component,
    Operation,
    header,
    list_of,
    obj,
    ok,
    parameter,
    path,
    query,
    schema,
)
from gateway.http.openapi.components import DATASET_ID, LINK
from gateway.identity.scopes import DATA_READ

CSV = "text/csv"

#: The purpose vocabulary; /openapi.json lists the configured purposes in it.
PURPOSE = schema("Purpose", {"type": "string"})
#: The page size asked for; /openapi.json adds the largest page of any tier as its maximum (a
#: larger one is cut down to the caller's tier, never refused).
PAGE_LIMIT: dict[str, Any] = {"type": "integer", "minimum": 1}

PURPOSE_HEADER = parameter(
    "Purpose",
    {
        "name": "X-Purpose",
        "in": "header",
        "required": True,
        "description": "The purpose of the request, from the purpose vocabulary; recorded in "
        "the audit trail, and for a conditional dataset the purpose a grant was issued for.",
        "schema": PURPOSE,
    },
)
KEY = parameter("Key", path("key", "The record's key field value (its region is derived from it)."))
REGION = parameter(
    "Region",
    query(
        "region",
        {"type": "string"},
        "Region codes (comma-separated): a province means all its districts.",
    ),
)
FIELDS = parameter(
    "Fields",
    query(
        "fields",
        {"type": "array", "items": STRING},
        "Only these fields (comma-separated).",
        style="form",
        explode=False,
    ),
)
LIMIT = parameter(
    "Limit",
    query(
        "limit",
        PAGE_LIMIT,
        "Page size, capped by the caller's tier: `meta.limit` is the page size that applied and "
        "`meta.limitCapped` is true when it is smaller than the limit asked for.",
    ),
)
CURSOR = parameter("Cursor", query("cursor", STRING, "The nextCursor of the previous page."))
STRICT = parameter(
    "Strict",
    query(
        "strict",
        {"type": "boolean"},
        "true: a failed source fails the whole exchange (502/504); default false for lists, "
        "true for key lookups.",
    ),
)

#: What every data answer carries, JSON or CSV.
EXCHANGE_HEADERS: tuple[Component, ...] = (
    header("X-Exchange-Id", "The exchange id (UUIDv7), also in the body and the audit record."),
    header(
        "X-Exchange-Complete",
        "`false` when a source failed and the answer lacks its records; a CSV answer always "
        "carries it (`true` or `false`).",
        {"enum": ["true", "false"]},
    ),
    header("RateLimit-Policy", "IETF RateLimit-Policy: the client's quotas by tier."),
    header("RateLimit", "IETF RateLimit: what is left of the quotas."),
    LINK,
    header(
        "X-Next-Cursor",
        "A POSTed query's next cursor (as meta.nextCursor; a CSV answer has no meta): send it "
        "as the next body's cursor.",
    ),
    header(
        "X-Fields-Masked",
        "CSV answers: field=method for each masked column (meta.fields.masked of the JSON answer).",
    ),
    header("X-Exchange-Limit", "CSV answers: the page size that applied (meta.limit)."),
)

FIELD_PLAN = schema(
    "FieldPlan",
    obj(
        {
            "clear": {"type": "array", "items": STRING},
            "masked": {
                "type": "object",
                "description": "field → masking method (partial, hmac, generalise, redact)",
                "additionalProperties": STRING,
            },
            "dropped": {"type": "array", "items": STRING},
        },
        ["clear", "masked", "dropped"],
    ),
)
SOURCE = schema(
    "Source",
    obj(
        {
            "node": STRING,
            "regions": {"type": "array", "items": STRING},
            "status": {"enum": ["ok", "timeout", "unavailable", "invalid-data", "error"]},
            "count": {"type": "integer"},
            "latencyMs": {"type": ["number", "integer"]},
        },
        ["node", "regions", "status"],
    ),
)
EXCHANGE_META = schema(
    "ExchangeMeta",
    obj(
        {
            "exchangeId": STRING,
            "traceId": NULLABLE_STRING,
            "dataset": STRING,
            "purpose": STRING,
            "sources": {"type": "array", "items": SOURCE},
            "fields": FIELD_PLAN,
            "decision": obj({"ruleId": STRING, "grantId": NULLABLE_STRING}),
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
            "nextCursor": NULLABLE_STRING,
        },
        ["exchangeId", "dataset", "purpose", "sources", "fields", "complete"],
    ),
)
RECORD = schema(
    "Record",
    {
        "type": "object",
        "description": "One record in catalogue field names, masked and projected for the "
        "caller; its dataset's schema is in the dataset's own OpenAPI document "
        "(`/v1/datasets/{dataset_id}/openapi.json`, components/schemas/<Dataset>Record).",
    },
)
RECORDS_CSV = schema(
    "RecordsCsv",
    {
        "type": "string",
        "description": "RFC 4180 CSV (UTF-8, CRLF): a header row of the fields the caller "
        "sees, in the order of `fields` (else schema order), then one row per record. Null is "
        "an empty cell, lists and objects their JSON text, and a text a spreadsheet would run "
        "as a formula (=, +, -, @) starts with an apostrophe. What meta says is in the "
        "headers: X-Exchange-Id, X-Exchange-Complete, X-Fields-Masked, X-Exchange-Limit, "
        "Link (next page) or X-Next-Cursor.",
    },
)
RECORD_PAGE = schema("RecordPage", list_of(RECORD, EXCHANGE_META))
QUERY = schema(
    "Query",
    obj(
        {
            "filter": {
                "type": "object",
                "description": "{field: value} or {field: {eq|in|gte|lte|prefix: value}}, "
                "on the fields the dataset's querySchema allows.",
            },
            # null stands for a member left out.
            "fields": {"type": ["array", "null"], "items": STRING, "minItems": 1},
            "regions": {"type": ["array", "null"], "items": STRING, "minItems": 1},
            "limit": {**PAGE_LIMIT, "type": ["integer", "null"]},
            "cursor": NULLABLE_STRING,
            "strict": {"type": ["boolean", "null"]},
        },
        additionalProperties=False,
    ),
)

#: The body of a POSTed query, as the view checks it (the dataset's own query schema is checked
#: by the exchange).
QUERY_BODY = Body(
    QUERY,
    refused="the query body is not valid",
    unsupported="send the query as a JSON body with Content-Type: application/json",
    messages={
        "filter": "must be an object",
        "fields": "must be a non-empty array of field names",
        "regions": "must be a non-empty array of region codes",
        "limit": "must be a positive integer",
        "cursor": "must be a string",
        "strict": "must be true or false",
    },
)

#: What the problems of every exchange can be; a query body adds 413 and 415.
EXCHANGE_PROBLEMS = (400, 401, 403, 404, 406, 429, 500, 502, 503, 504)


def exchange(**declared: Any) -> Operation:
    """An operation that runs an exchange: scope data:read, a purpose, the exchange's headers
    on its answer, CSV by Accept, and the exchange's problems."""
    return Operation(
        scope=DATA_READ,
        answer_headers=EXCHANGE_HEADERS,
        alternatives={CSV: RECORDS_CSV},
        **{"problems": EXCHANGE_PROBLEMS} | declared,
    )


LIST_RECORDS = exchange(
    summary="Query records of a dataset",
    tag="data",
    operation_id="getDatasetRecords",
    description="Filters are query parameters: `name=value` (eq) or `name.op=value` with op "
    "in, gte, lte, prefix (in is repeated or takes a comma-separated list), on the fields "
    "the dataset's querySchema allows; each dataset's own OpenAPI document "
    "(`/v1/datasets/{dataset_id}/openapi.json`) lists its filters as typed parameters.",
    parameters=(
        DATASET_ID,
        PURPOSE_HEADER,
        {
            "name": "filter",
            "in": "query",
            "description": "Filter parameters of the dataset (name or name.op).",
            "schema": {"type": "object", "additionalProperties": STRING},
            "style": "form",
            "explode": True,
        },
        REGION,
        FIELDS,
        LIMIT,
        CURSOR,
        STRICT,
    ),
    responses=ok("Records and the exchange's meta.", RECORD_PAGE),
)
GET_RECORD = exchange(
    summary="One record by key",
    tag="data",
    operation_id="getDatasetRecord",
    description="The key's region is derived from the key where the dataset says how; a "
    "failed source fails the lookup unless strict=false.",
    parameters=(DATASET_ID, KEY, PURPOSE_HEADER, FIELDS, STRICT),
    responses=ok(
        "The record.", schema("RecordResponse", obj({"data": RECORD, "meta": EXCHANGE_META}))
    ),
)
QUERY_RECORDS = exchange(
    summary="Query records with a JSON body",
    tag="data",
    operation_id="queryDatasetRecords",
    parameters=(DATASET_ID, PURPOSE_HEADER),
    body=QUERY_BODY,
    responses=ok("Records and the exchange's meta.", RECORD_PAGE),
    problems=(*EXCHANGE_PROBLEMS, 413, 415),
)
