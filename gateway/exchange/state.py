"""What an exchange learns as it runs (docs/architecture.md#the-exchange-pipeline): each node's
answer, and the state its audit record is made of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.access.quotas import QuotaState
from policies import Decision, FieldPlan


@dataclass(slots=True)
class SourceResult:
    """One node's part of an exchange: its status, its records and where its next page starts."""

    node: str
    regions: tuple[str, ...]
    status: str = "ok"
    records: Sequence[dict[str, Any]] = ()
    next_cursor: str | None = None
    latency_ms: int = 0
    asked: bool = True

    def meta(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "regions": list(self.regions),
            "status": self.status,
            "count": len(self.records),
            "latencyMs": self.latency_ms,
        }


@dataclass(slots=True)
class ExchangeState:
    """What the audit record needs to know about an exchange, filled in as the pipeline runs."""

    dataset: str | None = None
    purpose: str | None = None
    decision: Decision | None = None
    plan: FieldPlan | None = None
    leaves: frozenset[str] | None = None
    sources: list[SourceResult] = field(default_factory=list)
    record_count: int = 0
    quota: QuotaState | None = None
    #: Records reserved from the day's quota for this page, until it is settled.
    reserved: int = 0
    #: Records the settled page kept from its reservation (counted against the quota).
    charged: int = 0

    def asked(self) -> list[SourceResult]:
        """The nodes this exchange called (a node whose share of the page was nothing was not)."""
        return [r for r in self.sources if r.asked]
