"""The respond step (docs/architecture.md#the-exchange-pipeline, step 9; docs/api.md#data): the
envelope of an answer, its CSV form, and the answer as the HTTP layer sends it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catalog import Dataset
from gateway.core.jsonio import dumps
from gateway.core.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from gateway.core.problems import Problem
from gateway.exchange import csv_records
from gateway.exchange.request import DataRequest
from gateway.exchange.state import SourceResult
from policies import Decision, FieldPlan


@dataclass(frozen=True, slots=True)
class ExchangeResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]
    content_type: str = "application/json"
    #: The cursor of the next page of a list, for a Link header where the body cannot say it.
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Envelope:
    """What every answer with data says in ``meta``: the exchange, the dataset and purpose, the
    fields and why the caller may see them, the nodes asked and whether all of them answered."""

    exchange_id: str
    trace_id: str | None
    dataset_id: str
    purpose: str
    plan: FieldPlan
    decision: Decision

    def meta(self, sources: Sequence[SourceResult], *, complete: bool) -> dict[str, Any]:
        return {
            "exchangeId": self.exchange_id,
            "traceId": self.trace_id,
            "dataset": self.dataset_id,
            "purpose": self.purpose,
            "sources": [r.meta() for r in sources if r.asked],
            "fields": self.plan.as_meta(),
            # Why the caller may see this: the policy rule that allowed it, and the grant if any.
            "decision": {
                "ruleId": self.decision.rule_id,
                "grantId": self.decision.grant.id if self.decision.grant else None,
            },
            "complete": complete,
        }

    def empty(self) -> dict[str, Any]:
        """The complete answer when no node holds data for the regions asked about."""
        meta = self.meta([], complete=True) | {"count": 0, "limit": 0, "nextCursor": None}
        return {"data": [], "meta": meta}

    def record(
        self, record: dict[str, Any], sources: Sequence[SourceResult], *, complete: bool
    ) -> dict[str, Any]:
        """The answer of a key lookup: one record."""
        return {"data": record, "meta": self.meta(sources, complete=complete)}

    def page(
        self,
        records: list[dict[str, Any]],
        sources: Sequence[SourceResult],
        *,
        complete: bool,
        limit: int,
        asked: int | None,
        next_cursor: str | None,
    ) -> dict[str, Any]:
        """A page of a list: its records, how many, and where the next page starts."""
        meta = self.meta(sources, complete=complete)
        meta["count"] = len(records)
        meta["limit"] = limit
        # A limit the tier's page size (or the day's remaining records) cut down is said so.
        meta["limitCapped"] = asked is not None and limit < asked
        meta["nextCursor"] = next_cursor
        return {"data": records, "meta": meta}


def the_record(
    dataset: Dataset,
    request: DataRequest,
    records: Sequence[dict[str, Any]],
    failed: Sequence[SourceResult],
) -> dict[str, Any]:
    """The record a key lookup found (404 when none was, 502 when its node failed)."""
    if not records:
        if failed:
            raise Problem("upstream-failed", detail="the node holding this key failed")
        raise Problem(
            "record-not-found", detail=f"no record with {dataset.key_field} {request.key!r}"
        )
    return records[0]


def as_csv(
    request: DataRequest,
    plan: FieldPlan | None,
    body: Mapping[str, Any],
    headers: dict[str, str],
) -> tuple[bytes, str]:
    """The answer as CSV: the fields the caller sees, in the order asked for (else schema
    order), as the header row; what ``meta`` says goes into headers."""
    meta = body["meta"]
    visible = plan.fetch if plan is not None else ()
    columns = (
        [f for f in dict.fromkeys(request.fields) if f in visible]
        if request.fields
        else list(visible)
    )
    data = body["data"]
    records = data if isinstance(data, list) else [data]
    headers["X-Exchange-Complete"] = "true" if meta["complete"] else "false"
    masked = meta["fields"]["masked"]
    if masked:
        headers["X-Fields-Masked"] = ", ".join(f"{k}={v}" for k, v in masked.items())
    if "limit" in meta:
        headers["X-Exchange-Limit"] = str(meta["limit"])
    return csv_records.render(records, columns), csv_records.CONTENT_TYPE


def unaudited(request: DataRequest, exchange_id: str, trace_id: str | None) -> ExchangeResponse:
    """The 503 of an exchange whose audit record could not be written: no data leaves."""
    failure = Problem("service-unavailable", headers={"Retry-After": "5"})
    payload = dumps(failure.body(instance=request.path, exchange_id=exchange_id, trace_id=trace_id))
    return ExchangeResponse(
        503,
        payload,
        {"X-Exchange-Id": exchange_id, "Retry-After": "5"},
        PROBLEM_CONTENT_TYPE,
    )
