"""The components many operations share (docs/api.md): texts in two languages, the problem
format (RFC 9457) and its answers, page metadata, key sets, and the caching and linking headers.
Components that belong to one surface are declared next to its views (gateway/http/api/)."""

from __future__ import annotations

from typing import Any

from gateway.core.problems import CONTENT_TYPE as PROBLEM_JSON
from gateway.core.problems import DOCUMENTATION_PATH, TYPES
from gateway.http.contract import STRING, Component, header, obj, parameter, path, schema

I18N_TEXT = schema(
    "I18nText",
    obj(
        {"zh": {"type": "string"}, "en": {"type": "string"}},
        ["zh", "en"],
        description="A text in Chinese (zh) and English (en).",
    ),
)
PROBLEM_ERROR = schema(
    "ProblemError",
    obj(
        {
            "path": {"type": "string", "description": "JSON path of the offending input."},
            "message": STRING,
        },
        ["path", "message"],
    ),
)
PROBLEM = schema(
    "Problem",
    obj(
        {
            "type": {
                "type": "string",
                "format": "uri-reference",
                "description": "Stable problem type, documented at the same path "
                f"(GET {DOCUMENTATION_PATH}/<slug>).",
            },
            "title": STRING,
            "status": {"type": "integer"},
            "detail": STRING,
            "instance": {"type": "string", "format": "uri-reference"},
            "exchangeId": {"type": "string", "description": "Also in X-Exchange-Id."},
            "traceId": {"type": "string", "description": "W3C trace id of the exchange."},
            "errors": {"type": "array", "items": PROBLEM_ERROR},
        },
        ["type", "title", "status"],
        description="RFC 9457 problem details. Never holds a stack trace, SQL or a file path.",
    ),
)
PAGE_META = schema(
    "PageMeta",
    obj(
        {"total": {"type": "integer"}, "page": {"type": "integer"}, "perPage": {"type": "integer"}},
        ["total", "page", "perPage"],
    ),
)
JWKS = schema("JWKS", obj({"keys": {"type": "array", "items": {"type": "object"}}}, ["keys"]))

#: The path arguments the API and the pages share.
DATASET_ID = parameter(
    "DatasetId",
    path("dataset_id", "Dataset id from the catalogue.", {"type": "string", "pattern": "^[a-z]"}),
)
REGION_CODE = path("code", "Region code (GB/T 2260) or grouping id.")

RETRY_AFTER = header("Retry-After", "Seconds to wait before retrying.")
WWW_AUTHENTICATE = header("WWW-Authenticate", "RFC 6750 §3 bearer challenge.")
LINK = header(
    "Link",
    "RFC 8288: the other pages of the list (rel first, prev, next, last; a data list links its "
    "next page, the cursor in the URL).",
)
#: What a cacheable answer carries (gateway/http/caching.py), and a 304 with it.
CACHE_HEADERS: tuple[Component, ...] = (
    header(
        "ETag",
        "Strong validator of the representation (RFC 9110 §8.8.3); send it back as "
        "If-None-Match for a 304.",
    ),
    header(
        "Last-Modified",
        "When the gateway loaded the configuration it answers from; send it back as "
        "If-Modified-Since for a 304.",
    ),
    header(
        "Cache-Control",
        "`public, max-age=300` for the catalogue and the description; data answers are `no-store`.",
    ),
)


def problem_statuses() -> list[int]:
    return sorted({t.status for t in TYPES.values()})


def _problem_response(status: int) -> dict[str, Any]:
    slugs = sorted(t.uri for t in TYPES.values() if t.status == status)
    text = f"Problem types: {', '.join(f'`{s}`' for s in slugs)}." if slugs else "A problem."
    out: dict[str, Any] = {"description": text, "content": {PROBLEM_JSON: {"schema": PROBLEM}}}
    if status == 401:
        out["headers"] = {"WWW-Authenticate": WWW_AUTHENTICATE}
    elif status in (429, 503):
        out["headers"] = {"Retry-After": RETRY_AFTER}
    return out


def problem_responses() -> dict[str, Any]:
    """components/responses: one per status a problem type has, and any other problem."""
    responses = {f"Problem{status}": _problem_response(status) for status in problem_statuses()}
    responses["Problem"] = {
        "description": "Any other problem (RFC 9457).",
        "content": {PROBLEM_JSON: {"schema": PROBLEM}},
    }
    return responses
