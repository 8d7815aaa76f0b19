"""The audit record of an exchange (docs/architecture.md#the-exchange-pipeline, step 8;
docs/auditors-guide.md#what-is-recorded): who asked what, the verdict and the rule behind it,
which nodes answered, and hashes of the request and of the bytes sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from gateway.core.problems import Problem
from gateway.exchange.state import ExchangeState
from gateway.identity.oauth.tokens import Principal
from policies import Decision


def verdict(decision: Decision | None, problem: Problem | None) -> str:
    """allow, deny or error: a key that is not found was allowed; a failure before the decision
    or after it is an error."""
    if problem is None:
        return "allow"
    if decision is not None and not decision.allowed:
        return "deny"
    if problem.slug == "record-not-found" and decision is not None:
        return "allow"
    return "error"


def audit_record(
    principal: Principal,
    state: ExchangeState,
    *,
    exchange_id: str,
    started_at: dt.datetime,
    status: int,
    problem: Problem | None,
    request_hash: str,
    response_hash: str,
    trace_id: str | None,
    span_id: str | None,
) -> dict[str, Any]:
    decision = state.decision
    plan = state.plan
    now = dt.datetime.now(dt.UTC)
    return {
        "kind": "exchange",
        "exchangeId": exchange_id,
        "recordedAt": now.isoformat(),
        "startedAt": started_at.isoformat(),
        "finishedAt": now.isoformat(),
        "clientId": principal.client_id,
        "clientRegion": principal.region,
        "clientTier": principal.tier,
        "tokenJti": principal.jti,
        "tokenIssuer": principal.issuer,
        "dataset": state.dataset,
        "purpose": state.purpose,
        "grantId": decision.grant.id if decision is not None and decision.grant else None,
        "decision": verdict(decision, problem),
        "ruleId": decision.rule_id
        if decision is not None
        else (problem.extra.get("ruleId", problem.slug) if problem else None),
        "regions": sorted(state.leaves) if state.leaves is not None else None,
        "sources": [r.meta() for r in state.asked()],
        "recordCount": state.record_count,
        "fields": plan.as_meta() if plan is not None else None,
        "requestHash": request_hash,
        "responseHash": response_hash,
        "httpStatus": status,
        "problemType": problem.type.uri if problem else None,
        "traceId": trace_id,
        "spanId": span_id,
    }
