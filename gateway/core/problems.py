"""Problem details (RFC 9457): errors are values, raised in the domain, rendered once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

CONTENT_TYPE = "application/problem+json"
# RFC 3986 §3.3: characters a path may carry unencoded.
URI_SAFE = "/:@!$&'()*+,;=-._~"
#: Where the problem types are documented, each at <path>/<slug> (RFC 9457 §3.1.1).
DOCUMENTATION_PATH = "/problems"


@dataclass(frozen=True, slots=True)
class ProblemType:
    slug: str
    title: str
    status: int
    description: str

    @property
    def uri(self) -> str:
        # RFC 9457 §3.1.1: "type" is a URI reference; relative ones resolve against the API base,
        # where /problems/<slug> documents it.
        return f"{DOCUMENTATION_PATH}/{self.slug}"


# The stable problem types of the gateway; each is documented at /problems/<slug>.
TYPES: dict[str, ProblemType] = {
    t.slug: t
    for t in (
        ProblemType(
            "invalid-request",
            "Invalid request",
            400,
            "The request is malformed: a parameter, header or body does not fit the API.",
        ),
        ProblemType(
            "validation-failed",
            "Request failed validation",
            400,
            "Query parameters or body do not satisfy the dataset's query schema; "
            "see errors[] for each path.",
        ),
        ProblemType(
            "unknown-region", "Unknown region", 400, "A region code is not in the region registry."
        ),
        ProblemType(
            "invalid-cursor",
            "Invalid cursor",
            400,
            "The cursor is malformed, forged or belongs to another query.",
        ),
        ProblemType(
            "purpose-required",
            "Purpose required",
            400,
            "Data requests must state a purpose in the X-Purpose header, from the "
            "purpose vocabulary.",
        ),
        ProblemType(
            "unauthorized",
            "Authentication required",
            401,
            "The request lacks a valid bearer access token.",
        ),
        ProblemType(
            "insufficient-scope",
            "Insufficient scope",
            403,
            "The access token does not carry the scope this endpoint needs.",
        ),
        ProblemType(
            "not-shared",
            "Dataset not shared",
            403,
            "The dataset's share type is 'none': it is listed in the catalogue and never served.",
        ),
        ProblemType(
            "level-exceeds-tier",
            "Data level exceeds tier",
            403,
            "The dataset's classification level is above the highest level the caller's "
            "tier may read.",
        ),
        ProblemType(
            "grant-required",
            "Grant required",
            403,
            "The dataset is shared on conditions: an active grant for this client, "
            "dataset and purpose is required.",
        ),
        ProblemType("forbidden", "Forbidden", 403, "The request is not allowed."),
        ProblemType(
            "filter-not-permitted",
            "Filter not permitted",
            403,
            "The request filters on a field the caller does not see in clear; filtering on "
            "it would reveal what masking hides.",
        ),
        ProblemType(
            "dataset-not-found",
            "Dataset not found",
            404,
            "No dataset with this id is in the catalogue.",
        ),
        ProblemType(
            "record-not-found",
            "Record not found",
            404,
            "No node serving the dataset holds a record with this key.",
        ),
        ProblemType("not-found", "Not found", 404, "No resource at this address."),
        ProblemType(
            "method-not-allowed",
            "Method not allowed",
            405,
            "The resource does not support this HTTP method.",
        ),
        ProblemType(
            "not-acceptable",
            "Not acceptable",
            406,
            "The gateway cannot answer in a media type the request accepts.",
        ),
        ProblemType(
            "payload-too-large",
            "Payload too large",
            413,
            "The request body is larger than the gateway accepts.",
        ),
        ProblemType(
            "uri-too-long",
            "URI too long",
            414,
            "The request URI is longer than the gateway accepts (4,096 characters); send long "
            "queries as a POST body.",
        ),
        ProblemType(
            "headers-too-large",
            "Request header fields too large",
            431,
            "A request header, or all of them together, is larger than the gateway accepts.",
        ),
        ProblemType(
            "unsupported-media-type",
            "Unsupported media type",
            415,
            "The request body must be application/json.",
        ),
        ProblemType(
            "quota-exceeded",
            "Quota exceeded",
            429,
            "The client's tier quota is used up; retry after the time in Retry-After.",
        ),
        ProblemType(
            "internal-error",
            "Internal error",
            500,
            "The gateway failed unexpectedly; the exchange id identifies it in the logs.",
        ),
        ProblemType(
            "upstream-failed",
            "Upstream node failed",
            502,
            "A node needed for a complete answer failed or returned invalid data.",
        ),
        ProblemType(
            "no-source",
            "No node serves the request",
            502,
            "No node serves the dataset for the requested regions.",
        ),
        ProblemType(
            "service-unavailable",
            "Service unavailable",
            503,
            "The gateway cannot account for the exchange (audit or database unavailable) "
            "and fails closed; retry later.",
        ),
        ProblemType(
            "upstream-timeout",
            "Upstream node timed out",
            504,
            "A node needed for a complete answer did not answer in time.",
        ),
    )
}


class Problem(Exception):
    """An error the client can act on, rendered as application/problem+json."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        *,
        status: int | None = None,
        errors: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        title: str | None = None,
    ) -> None:
        self.type = TYPES[slug]
        self.status = status or self.type.status
        self.title = title or self.type.title
        self.detail = detail or self.type.description
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(f"{slug}: {self.detail}")

    @property
    def slug(self) -> str:
        return self.type.slug

    def body(
        self, *, instance: str, exchange_id: str | None, trace_id: str | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type.uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            # RFC 9457 §3.1.5: a URI reference — the path as sent, percent-encoded.
            "instance": quote(instance, safe=URI_SAFE),
        }
        if exchange_id:
            out["exchangeId"] = exchange_id
        if trace_id:
            out["traceId"] = trace_id
        if self.errors is not None:
            out["errors"] = self.errors
        out.update(self.extra)
        return out
