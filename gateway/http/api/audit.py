"""Audit API (scope ``audit:read``): search, one record, verification, export
(docs/auditors-guide.md).

Reading the trail is itself recorded in it: an auditor's searches and exports are audit records
of kind "audit", so the trail also answers who looked at it.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, Response, g, request, stream_with_context

from gateway.audit.actions import Actor, admin_record
from gateway.audit.bundle import bundle_lines, export_range
from gateway.audit.reader import SearchFilters
from gateway.core.instants import InstantError, parse_instant
from gateway.core.problems import Problem
from gateway.http.api import audit_contract as contract
from gateway.http.api.audit_contract import (
    DECISIONS,
    EXPORT_FORMATS,
    KINDS,
    MAX_LIMIT,
    TRACE_ID_PATTERN,
    VERIFY_FROM,
)
from gateway.http.api.common import (
    authenticate,
    integer_param,
    json_response,
    reject_unknown_params,
    services,
)
from gateway.http.web_linking import link_header, page_url
from gateway.identity.scopes import AUDIT_READ

bp = Blueprint("audit", __name__, url_prefix="/v1/audit")

TRACE_ID = re.compile(TRACE_ID_PATTERN)


def _auditor(action: str, details: dict[str, object] | None = None) -> None:
    principal = authenticate(AUDIT_READ)
    services().audit.append(
        admin_record(
            Actor(
                principal.client_id, principal.region, principal.tier, principal.jti, g.exchange_id
            ),
            action,
            details=details or {},
            kind="audit",
        )
    )


def _time(name: str, *, end: bool = False) -> dt.datetime | None:
    """A range bound: an RFC 3339 date-time; without an offset, or as a bare date (a whole day,
    which ``to`` includes), in the deployment's zone."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return parse_instant(value, services().settings.zone, end=end)
    except InstantError as exc:
        raise Problem(
            "validation-failed",
            detail=f"{name}: {exc}",
            errors=[{"path": f"$.query.{name}", "message": "RFC 3339 date-time or date"}],
        ) from None


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in allowed:
        raise Problem(
            "validation-failed",
            detail=f"{name} must be one of {', '.join(allowed)}",
            errors=[{"path": f"$.query.{name}", "message": f"one of {list(allowed)}"}],
        )
    return value


@bp.get("/exchanges")
@contract.SEARCH
def search() -> Response:
    """Who saw what, when, why: filter by client, dataset, decision, purpose, region, trace id,
    kind and time; newest first, paged with ``cursor``."""
    reject_unknown_params(contract.SEARCH.query_names)
    svc = services()
    regions = None
    if request.args.get("region"):
        regions = svc.config.routing.expand(request.args["region"].split(","))
    trace_id = request.args.get("traceId")
    if trace_id is not None and not TRACE_ID.match(trace_id):
        raise Problem("validation-failed", detail="traceId is 32 lowercase hex digits")
    limit = integer_param("limit", request.args.get("limit", "50"))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise Problem("validation-failed", detail=f"limit must be between 1 and {MAX_LIMIT}")
    try:
        # The cursor is an audit sequence number: a signed 64-bit integer holds 18 digits.
        cursor = integer_param("cursor", request.args.get("cursor"), digits=18)
    except Problem:
        detail = "the cursor is not one this endpoint issued"
        raise Problem("invalid-cursor", detail=detail) from None
    filters = SearchFilters(
        client_id=request.args.get("clientId"),
        dataset=request.args.get("dataset"),
        decision=_choice("decision", DECISIONS),
        purpose=request.args.get("purpose"),
        kind=_choice("kind", KINDS),
        trace_id=trace_id,
        regions=regions,
        since=_time("from"),
        until=_time("to", end=True),
    )
    _auditor("audit.search", {k: v for k, v in request.args.items() if k != "cursor"})
    page, next_seq = svc.audit_reader.search(filters, limit=limit, before_seq=cursor)
    links = {"first": page_url(cursor=None)}
    if next_seq is not None:
        links["next"] = page_url(cursor=str(next_seq))
    return json_response(
        {
            "data": page,
            "meta": {
                "count": len(page),
                "limit": limit,
                "nextCursor": str(next_seq) if next_seq is not None else None,
            },
        },
        headers={"Link": link_header(links)},
    )


@bp.get("/exchanges/<exchange_id>")
@contract.ONE
def one(exchange_id: str) -> Response:
    # A read that finds nothing is recorded as the 404 it answers (answer_audit), not as a read.
    authenticate(AUDIT_READ)
    record = services().audit_reader.get(exchange_id)
    if record is None:
        raise Problem("not-found", detail=f"no audit record for exchange {exchange_id!r}")
    _auditor("audit.read", {"exchangeId": exchange_id[:40]})
    return json_response({"data": record})


@bp.get("/verify")
@contract.VERIFY
def verify() -> Response:
    """The chain, from its start (default) or from the newest signed checkpoint, and how far
    signed checkpoints anchor it (``anchoredThrough``, ``headAnchored``)."""
    start = request.args.get("from", VERIFY_FROM[0])
    if start not in VERIFY_FROM:
        raise Problem("validation-failed", detail=f"from must be {' or '.join(VERIFY_FROM)}")
    svc = services()
    _auditor("audit.verify", {"from": start})
    result = svc.audit_reader.verify(_keys(), from_checkpoint=start == "checkpoint")
    return json_response(result.as_json())


@bp.get("/keys")
@contract.KEYS
def keys() -> Response:
    """The public keys that sign checkpoints; pin them when verifying an export offline."""
    authenticate(AUDIT_READ)
    return json_response({"keys": list(_keys().values())})


@bp.get("/export")
@contract.EXPORT
def export() -> Response:
    """A verifiable bundle (JSONL or CSV): records, their checkpoints and the public key."""
    fmt = request.args.get("format", EXPORT_FORMATS[0])
    if fmt not in EXPORT_FORMATS:
        raise Problem("validation-failed", detail=f"format must be {' or '.join(EXPORT_FORMATS)}")
    since, until = _time("from"), _time("to", end=True)
    if since is not None and until is not None and since >= until:
        raise Problem(
            "validation-failed",
            detail="from must be before to: no record lies between them",
            errors=[{"path": "$.query.from", "message": "before to"}],
        )
    svc = services()
    _auditor(
        "audit.export",
        {"format": fmt, "from": request.args.get("from"), "to": request.args.get("to")},
    )
    # The bundle ends at a signed record; an empty range is an empty, verifiable bundle.
    span = export_range(svc.audit_reader, svc.audit, since, until)
    lines = bundle_lines(
        svc.audit_reader,
        _keys().values(),
        first=span[0],
        last=span[1],
        issuer=svc.settings.issuer,
        fmt=fmt,
    )
    media = "application/x-ndjson" if fmt == "jsonl" else "text/csv"
    name = f"jjj-audit-{span[0]}-{span[1]}.{fmt}"
    return Response(
        stream_with_context(line.encode("utf-8") for line in lines),
        content_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _keys() -> dict[str, dict[str, object]]:
    signer = services().audit.signer
    return signer.public_keys() if signer is not None else {}
