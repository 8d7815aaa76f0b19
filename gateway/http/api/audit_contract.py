"""The contract of the audit API (gateway/http/api/audit.py, docs/auditors-guide.md): its
search and export parameters with the values they take, and the records, verification and
bundles it answers."""

from __future__ import annotations

from typing import Any

from gateway.core.instants import LOCAL_TIME
from gateway.http.contract import (
    NULLABLE_STRING,
    STRING,
    Operation,
    list_of,
    obj,
    ok,
    path,
    query,
    schema,
)
from gateway.http.openapi.components import JWKS
from gateway.identity.scopes import AUDIT_READ

MAX_LIMIT = 500
DECISIONS = ("allow", "deny", "error")
KINDS = ("exchange", "admin", "audit")
TRACE_ID_PATTERN = "^[0-9a-f]{32}$"
VERIFY_FROM = ("start", "checkpoint")
EXPORT_FORMATS = ("jsonl", "csv")

_TIME = {"type": "string", "format": "date-time"}
_RANGE = (
    query("from", _TIME, "Earliest time, included. " + LOCAL_TIME),
    query("to", _TIME, "Latest time, excluded; a date is included whole. " + LOCAL_TIME),
)
_PROBLEMS = (400, 401, 403, 500, 503)

AUDIT_RECORD = schema(
    "AuditRecord", {"type": "object", "description": "One audit record (docs/auditors-guide.md)."}
)
VERIFICATION = schema(
    "Verification",
    obj(
        {
            "valid": {"type": "boolean"},
            "status": {
                "enum": ["valid", "broken", "unanchored"],
                "description": "broken names firstBrokenSeq; unanchored: intact, but no signed "
                "checkpoint covers the last record (only ever for an exported bundle).",
            },
            "checked": {"type": "integer"},
            "firstBrokenSeq": {"type": ["integer", "null"]},
            "reason": NULLABLE_STRING,
            "lastSeq": {"type": ["integer", "null"]},
            "checkpointsChecked": {"type": "integer"},
            "anchoredThrough": {
                "type": ["integer", "null"],
                "description": "The newest seq a valid signed checkpoint vouches for.",
            },
            "anchoredAt": {**NULLABLE_STRING, "description": "When that checkpoint was signed."},
            "headAnchored": {
                "type": "boolean",
                "description": "Whether that checkpoint covers the last record.",
            },
        },
        ["valid", "status", "checked", "anchoredThrough", "headAnchored"],
    ),
)


def _audit(summary: str, operation_id: str, **declared: Any) -> Operation:
    return Operation(
        summary,
        "audit",
        operation_id=operation_id,
        scope=AUDIT_READ,
        **{"problems": _PROBLEMS} | declared,
    )


SEARCH = _audit(
    "Search the audit trail",
    "searchAuditRecords",
    description="Who saw what, when, why; newest first. The search itself is audited.",
    parameters=(
        query("clientId", STRING, "Client id."),
        query("dataset", STRING, "Dataset id."),
        query("decision", {"enum": list(DECISIONS)}, "Decision."),
        query("purpose", STRING, "Purpose id."),
        query("region", STRING, "Region codes (comma-separated)."),
        query("traceId", {"type": "string", "pattern": TRACE_ID_PATTERN}, "Trace id."),
        query("kind", {"enum": list(KINDS)}, "Record kind."),
        *_RANGE,
        query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Page size."),
        query("cursor", STRING, "nextCursor of the previous page."),
    ),
    responses=ok(
        "Audit records.",
        schema(
            "AuditPage",
            list_of(
                AUDIT_RECORD,
                obj(
                    {
                        "count": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "nextCursor": NULLABLE_STRING,
                    }
                ),
            ),
        ),
    ),
    links_pages=True,
)
ONE = _audit(
    "One audit record",
    "getAuditRecord",
    parameters=(path("exchange_id", "Exchange id."),),
    responses=ok(
        "The record.", schema("AuditRecordResponse", obj({"data": AUDIT_RECORD}, ["data"]))
    ),
    problems=(*_PROBLEMS, 404),
)
VERIFY = _audit(
    "Verify the chain",
    "verifyAuditChain",
    parameters=(
        query(
            "from",
            {"enum": list(VERIFY_FROM)},
            "Verify from the start or from the newest signed checkpoint.",
        ),
    ),
    responses=ok("The verification result.", VERIFICATION),
)
KEYS = _audit(
    "Checkpoint signing keys", "getCheckpointSigningKeys", responses=ok("Public keys.", JWKS)
)
EXPORT = _audit(
    "Export a verifiable bundle",
    "exportAuditBundle",
    parameters=(
        query("format", {"enum": list(EXPORT_FORMATS), "default": "jsonl"}, "Bundle format."),
        *_RANGE,
    ),
    responses={
        "200": (
            "Records, checkpoints and the public key, streamed; the last record is covered "
            "by a signed checkpoint. An empty range is a bundle without records.",
            {"application/x-ndjson": STRING, "text/csv": STRING},
        )
    },
)
