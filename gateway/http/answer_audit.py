"""The audit record of an answer that no exchange or action recorded itself: a refused attempt
(no token, a bad one, a missing scope), a 404, 405, 413 or 414 on an audited surface, a read of
the administration API.

Every answer that carries an exchange id is in the audit chain
(docs/architecture.md#the-exchange-pipeline: denied and failed requests are exchanges too), so an id
a caller quotes always leads an auditor to a record. The public surfaces (catalogue, pages, health,
metrics, OAuth) carry no exchange id.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from gateway.core.problems import Problem
from gateway.identity.oauth.tokens import Principal

#: Path prefix → the kind of record its answers get.
SURFACES = {"/v1/datasets": "exchange", "/v1/audit": "audit", "/v1/admin": "admin"}
#: A dataset's OpenAPI document is under /v1/datasets but public, like /openapi.json: reading a
#: description asks nothing of the gateway's data. (A dataset id holds no dot or slash.)
_PUBLIC = re.compile(r"/v1/datasets/[^/.]+/openapi\.json")


def surface_kind(method: str, path: str) -> str | None:
    """The record kind of an audited surface's answer; None where answers carry no exchange id
    (a CORS preflight asks nothing of the gateway's data either)."""
    if method == "OPTIONS" or _PUBLIC.fullmatch(path):
        return None
    for prefix, kind in SURFACES.items():
        if path == prefix or path.startswith(prefix + "/"):
            return kind
    return None


def answer_record(
    *,
    kind: str,
    exchange_id: str,
    principal: Principal | None,
    started_at: dt.datetime,
    method: str,
    route: str | None,
    dataset: str | None,
    purpose: str | None,
    status: int,
    problem: Problem | None,
    response_hash: str | None,
    trace_id: str | None,
    span_id: str | None,
) -> dict[str, Any]:
    """The record of one answer: who (when the token was good), which route (the template, never
    the path: a key in it may be personal data), the verdict, status and problem."""
    now = dt.datetime.now(dt.UTC).isoformat()
    if status < 400:
        decision = "allow"
    elif status in (401, 403):
        decision = "deny"
    else:
        decision = "error"
    return {
        "kind": kind,
        "exchangeId": exchange_id,
        "recordedAt": now,
        "startedAt": started_at.isoformat(),
        "finishedAt": now,
        "clientId": principal.client_id if principal else None,
        "clientRegion": principal.region if principal else None,
        "clientTier": principal.tier if principal else None,
        "tokenJti": principal.jti if principal else None,
        "tokenIssuer": principal.issuer if principal else None,
        "action": f"{method} {route}" if route else method,
        "dataset": dataset,
        "purpose": purpose,
        "decision": decision,
        "ruleId": problem.extra.get("ruleId", problem.slug) if problem else None,
        "regions": None,
        "sources": [],
        "recordCount": 0,
        "httpStatus": status,
        "problemType": problem.type.uri if problem else None,
        "responseHash": response_hash,
        "traceId": trace_id,
        "spanId": span_id,
    }
