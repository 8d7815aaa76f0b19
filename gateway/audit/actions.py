"""Administrative actions in the audit chain: who acted (an API client or an operator's CLI) and
the record of what they did (docs/auditors-guide.md: admin actions are part of the compliance
trace, in the same hash chain as the exchanges)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gateway.core.ids import uuid7
from gateway.observability.tracing import current_ids


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made an administrative change: a client through the API, or an operator's CLI."""

    id: str
    region: str | None = None
    tier: str | None = None
    jti: str | None = None
    #: The exchange id the API answers with, so that the answer's record is the action's own.
    exchange_id: str | None = None


def admin_record(
    actor: Actor,
    action: str,
    *,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    kind: str = "admin",
) -> dict[str, Any]:
    """The audit record of an administrative action (client, grant or key change), or of an
    auditor's access to the trail itself (kind "audit")."""
    now = dt.datetime.now(dt.UTC).isoformat()
    trace_id, span_id = current_ids()
    return {
        "kind": kind,
        "exchangeId": actor.exchange_id or uuid7(),
        "recordedAt": now,
        "startedAt": now,
        "finishedAt": now,
        "clientId": actor.id,
        "clientRegion": actor.region,
        "clientTier": actor.tier,
        "tokenJti": actor.jti,
        "action": action,
        "target": target,
        "details": details or {},
        "decision": "allow",
        "ruleId": None,
        "httpStatus": 200,
        "traceId": trace_id,
        "spanId": span_id,
    }


__all__ = ["Actor", "admin_record"]
