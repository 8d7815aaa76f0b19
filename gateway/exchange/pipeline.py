"""The exchange pipeline (docs/architecture.md#the-exchange-pipeline): authenticate → resolve →
validate → decide → route → validate records → mask → audit → respond. One data request is one
exchange."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import contextvars
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from adapters.filters import matches
from adapters.protocol import (
    AdapterError,
    AdapterRequestError,
    Page,
    QueryRequest,
    normalise_filter,
)
from adapters.request_checks import MAX_CURSOR_LENGTH as MAX_NODE_CURSOR_LENGTH
from catalog import Catalog, Dataset
from gateway.access.quotas import Quotas, QuotaState, QuotaStoreUnavailable
from gateway.audit.trail import AuditTrail, AuditUnavailable
from gateway.core.canonical import canonical_json, sha256_hex
from gateway.core.jsonio import dumps
from gateway.core.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from gateway.core.problems import Problem
from gateway.exchange import csv_records
from gateway.exchange.cursors import CursorCodec
from gateway.identity.oauth.tokens import Principal
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.tracing import annotate_exchange, child_span, current_ids
from gateway.upstream.breaker import CircuitOpen
from gateway.upstream.fleet import Fleet
from gateway.upstream.routing import Route, RoutingTable
from policies import Caller, Decision, FieldPlan, Policies, compile_masker, decide

log = logging.getLogger(__name__)

RESERVED_PARAMS = frozenset({"region", "regions", "fields", "limit", "cursor", "strict"})
MAX_FILTER_TERMS = 20
#: Decisions remembered per process (those that no grant, hence no time window, affects).
DECISION_CACHE_SIZE = 4096
MAX_IN_VALUES = 100


@dataclass(frozen=True, slots=True)
class DataRequest:
    """A data request as the HTTP layer received it, before any validation."""

    dataset_id: str
    purpose: str | None
    method: str
    path: str
    #: GET: the query-string filter terms (name → list of texts); POST: the JSON ``filter`` object.
    filter: Mapping[str, Any] = field(default_factory=dict)
    filter_from_query: bool = False
    fields: tuple[str, ...] | None = None
    regions: tuple[str, ...] | None = None
    limit: int | None = None
    cursor: str | None = None
    strict: bool | None = None
    key: str | None = None
    #: The media type the answer is rendered in: JSON, or CSV (csv_records.MEDIA_TYPE).
    media_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class ExchangeResponse:
    status: int
    body: bytes
    headers: Mapping[str, str]
    content_type: str = "application/json"
    #: The cursor of the next page of a list, for a Link header where the body cannot say it.
    next_cursor: str | None = None


@dataclass(slots=True)
class SourceResult:
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
class _Trace:
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


class ExchangeService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        policies: Policies,
        routing: RoutingTable,
        fleet: Fleet,
        audit: AuditTrail,
        cursors: CursorCodec,
        grants_for: Callable[[str, str], Sequence[Any]],
        pseudonym_key_for: Callable[[str], bytes],
        executor: Callable[[], cf.Executor],
        quotas: Quotas,
        metrics: GatewayMetrics,
        exchange_timeout: float,
        default_page_size: int,
        max_page_size: int,
    ) -> None:
        self.catalog = catalog
        self.policies = policies
        self.routing = routing
        self.fleet = fleet
        self.audit = audit
        self.cursors = cursors
        self._grants_for = grants_for
        self._pseudonym_key_for = pseudonym_key_for
        self._executor = executor
        self.quotas = quotas
        self._decisions: dict[tuple[Any, ...], Decision] = {}
        self._maskers: dict[tuple[Any, ...], Callable[[Mapping[str, Any]], dict[str, Any]]] = {}
        self.metrics = metrics
        self.exchange_timeout = exchange_timeout
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size

    # -- entry points -----------------------------------------------------------------------

    def reject(
        self,
        principal: Principal,
        problem: Problem,
        *,
        dataset_id: str,
        purpose: str | None,
        method: str,
        path: str,
        exchange_id: str,
        started_at: dt.datetime,
    ) -> ExchangeResponse:
        """An exchange refused before the pipeline could start (the request did not parse)."""
        request = DataRequest(dataset_id=dataset_id, purpose=purpose, method=method, path=path)
        return self.run(
            principal, request, exchange_id=exchange_id, started_at=started_at, problem=problem
        )

    def run(
        self,
        principal: Principal,
        request: DataRequest,
        *,
        exchange_id: str,
        started_at: dt.datetime,
        problem: Problem | None = None,
    ) -> ExchangeResponse:
        state = _Trace(dataset=request.dataset_id, purpose=request.purpose)
        headers: dict[str, str] = {"X-Exchange-Id": exchange_id}
        trace_id, span_id = current_ids()
        request_hash = sha256_hex(canonical_json(_request_summary(principal, request)))
        payload: bytes | None = None
        next_cursor: str | None = None
        try:
            if problem is not None:
                raise problem
            try:
                status, body = self._execute(principal, request, state, exchange_id, trace_id)
            finally:
                self._settle_records(principal, state)
            content_type = "application/json"
            if not body["meta"]["complete"]:
                headers["X-Exchange-Complete"] = "false"
            next_cursor = body["meta"].get("nextCursor")
            if request.media_type == csv_records.MEDIA_TYPE:
                # The audit's response hash is of these bytes: what was sent, not the JSON.
                payload, content_type = self._as_csv(request, state, body, headers)
            problem = None
        except Problem as exc:
            problem = exc
            status = exc.status
            headers.update(exc.headers)
            body = exc.body(instance=request.path, exchange_id=exchange_id, trace_id=trace_id)
            content_type = PROBLEM_CONTENT_TYPE
        if state.quota is None and principal.tier in self.policies.tiers:
            with contextlib.suppress(QuotaStoreUnavailable):
                state.quota = self.quotas.state(
                    principal.client_id, self.policies.tiers[principal.tier]
                )
        if state.quota is not None:
            headers.update(state.quota.headers())
        if payload is None:
            payload = dumps(body)
        record = self._audit_record(
            principal,
            state,
            exchange_id=exchange_id,
            started_at=started_at,
            status=status,
            problem=problem,
            request_hash=request_hash,
            response_hash=sha256_hex(payload),
            trace_id=trace_id,
            span_id=span_id,
        )
        annotate_exchange(
            dataset=self._known_dataset(request.dataset_id),
            decision=record["decision"],
            rule_id=record["ruleId"],
        )
        appending = time.perf_counter()
        with child_span("audit.append"):
            try:
                self.audit.record(record)
            except AuditUnavailable:
                log.error("audit append failed; exchange %s fails closed", exchange_id)
                # No record leaves, so none counts against the day's quota.
                self._give_back(principal, state.charged)
                failure = Problem("service-unavailable", headers={"Retry-After": "5"})
                payload = dumps(
                    failure.body(instance=request.path, exchange_id=exchange_id, trace_id=trace_id)
                )
                self._count(request, state, record["decision"], 503, started_at)
                return ExchangeResponse(
                    503,
                    payload,
                    {"X-Exchange-Id": exchange_id, "Retry-After": "5"},
                    PROBLEM_CONTENT_TYPE,
                )
            finally:
                self.metrics.record_audit_append(time.perf_counter() - appending)
        self._count(request, state, record["decision"], status, started_at)
        return ExchangeResponse(status, payload, headers, content_type, next_cursor)

    def _as_csv(
        self,
        request: DataRequest,
        state: _Trace,
        body: Mapping[str, Any],
        headers: dict[str, str],
    ) -> tuple[bytes, str]:
        """The answer as CSV: the fields the caller sees, in the order asked for (else schema
        order), as the header row; what ``meta`` says goes into headers."""
        meta = body["meta"]
        visible = state.plan.fetch if state.plan is not None else ()
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

    def _known_dataset(self, dataset_id: str) -> str | None:
        """The dataset id if the catalogue has it: a caller's typo never becomes a label."""
        return dataset_id if self.catalog.get(dataset_id) is not None else None

    def _count(
        self,
        request: DataRequest,
        state: _Trace,
        decision: str,
        status: int,
        started_at: dt.datetime,
    ) -> None:
        """Count the finished exchange and the nodes it asked (labels: ids and codes only)."""
        self.metrics.record_exchange(
            dataset=self._known_dataset(request.dataset_id),
            decision=decision,
            status=status,
            seconds=(dt.datetime.now(dt.UTC) - started_at).total_seconds(),
            sources=[(r.node, r.status) for r in state.sources if r.asked],
        )

    # -- the pipeline -----------------------------------------------------------------------

    def _execute(
        self,
        principal: Principal,
        request: DataRequest,
        state: _Trace,
        exchange_id: str,
        trace_id: str | None,
    ) -> tuple[int, dict[str, Any]]:
        dataset = self.catalog.get(request.dataset_id)
        if dataset is None:
            raise Problem(
                "dataset-not-found", detail=f"no dataset {request.dataset_id!r} in the catalogue"
            )
        purpose = self._purpose(request.purpose)
        filter_ = self._filter(dataset, request)
        requested = self._requested_leaves(dataset, request)
        state.leaves = requested  # a refused request, too, is found by the regions it asked for

        with child_span("policy.decide") as span:
            decision = self._decide(principal, dataset, purpose, requested)
            span.set_attribute("gateway.decision", "allow" if decision.allowed else "deny")
            span.set_attribute("gateway.rule_id", decision.rule_id)
        state.decision = decision
        if not decision.allowed or decision.plan is None:
            challenge = {}
            if decision.rule_id == "scope-required":
                # RFC 6750 §3.1: insufficient_scope names the scope the request needs.
                challenge["WWW-Authenticate"] = (
                    'Bearer realm="jjj-gateway", error="insufficient_scope", scope="data:read"'
                )
            raise Problem(
                decision.problem or "forbidden",
                detail=decision.reason_en,
                headers=challenge,
                extra={"ruleId": decision.rule_id, "reasonZh": decision.reason_zh},
            )
        try:
            plan = decision.plan.project(request.fields)
        except ValueError as exc:
            raise Problem(
                "validation-failed",
                detail=str(exc),
                errors=[{"path": "$.fields", "message": str(exc)}],
            ) from None
        # A filter on a field the caller does not see in clear would reveal what masking hides.
        hidden = sorted(set(filter_) - set(decision.plan.clear))
        if hidden:
            raise Problem(
                "filter-not-permitted",
                detail=f"filtering on {', '.join(hidden)} is not permitted: the caller "
                "does not see these fields in clear",
            )
        decision = self._take_quota(principal, decision, state)
        state.plan = plan
        leaves = _intersect(
            _intersect(requested, decision.leaves), _filtered_leaves(dataset, filter_)
        )
        state.leaves = leaves
        routes = self.routing.routes(dataset.id, leaves)
        if not routes:
            if request.key is not None:
                raise Problem(
                    "record-not-found", detail="no node serves the region this key belongs to"
                )
            # No node holds data for these regions: the complete answer is an empty one.
            return 200, {
                "data": [],
                "meta": {
                    "exchangeId": exchange_id,
                    "traceId": trace_id,
                    "dataset": dataset.id,
                    "purpose": purpose,
                    "sources": [],
                    "fields": plan.as_meta(),
                    "decision": {
                        "ruleId": decision.rule_id,
                        "grantId": decision.grant.id if decision.grant else None,
                    },
                    "complete": True,
                    "count": 0,
                    "limit": 0,
                    "nextCursor": None,
                },
            }

        tier = self.policies.tiers[principal.tier]
        limit = 1 if request.key is not None else self._limit(request.limit, tier.max_page_size)
        # Rule 5 counts records: the page is reserved from what is left of the day's quota
        # before any node is asked (run() gives back what the answer did not carry).
        limit = self._reserve_records(principal, decision, state, limit)
        # The cursor is bound to the query and to the client it was issued to: another
        # client presenting it gets invalid-cursor, as for a cursor of another query.
        query_hash = sha256_hex(
            canonical_json(
                {
                    "a": principal.client_id,
                    "d": dataset.id,
                    "f": filter_,
                    "c": list(plan.fetch),
                    "l": sorted(leaves or ()),
                    "k": request.key,
                }
            )
        )
        positions = self._positions(request.cursor, query_hash, routes)
        # The node sends what the caller will see, plus what the gateway needs to check the
        # page (the region and the filtered fields); the masker then keeps the plan's fields only.
        fetch = tuple(dict.fromkeys((*plan.fetch, dataset.region_field, *filter_)))
        results = self._fan_out(
            dataset,
            routes,
            positions,
            filter_,
            fetch,
            limit,
            exchange_id,
            every_node=request.key is not None,
        )
        state.sources = results

        failed = [r for r in results if r.asked and r.status != "ok"]
        strict = request.strict if request.strict is not None else request.key is not None
        if failed and strict:
            slug = (
                "upstream-timeout"
                if all(r.status == "timeout" for r in failed)
                else "upstream-failed"
            )
            raise Problem(
                slug,
                detail="; ".join(f"node {r.node}: {r.status}" for r in failed),
                extra={"sources": [r.meta() for r in results if r.asked]},
            )

        masker = self._masker(plan, dataset, principal.client_id)
        records = [masker(record) for r in results for record in r.records]
        state.record_count = len(records)
        if state.quota is not None:
            # What is left after these records; a window that was empty begins now, for a day.
            state.quota = replace(
                state.quota,
                records_remaining=state.quota.records_remaining - len(records),
                records_reset=state.quota.records_reset or 86400,
            )
        meta: dict[str, Any] = {
            "exchangeId": exchange_id,
            "traceId": trace_id,
            "dataset": dataset.id,
            "purpose": purpose,
            "sources": [r.meta() for r in results if r.asked],
            "fields": plan.as_meta(),
            # Why the caller may see this: the policy rule that allowed it, and the grant if any.
            "decision": {
                "ruleId": decision.rule_id,
                "grantId": decision.grant.id if decision.grant else None,
            },
            "complete": not failed,
        }
        if request.key is not None:
            if not records:
                if failed:
                    raise Problem("upstream-failed", detail="the node holding this key failed")
                raise Problem(
                    "record-not-found", detail=f"no record with {dataset.key_field} {request.key!r}"
                )
            return 200, {"data": records[0], "meta": meta}
        meta["count"] = len(records)
        meta["limit"] = limit
        # A limit the tier's page size (or the day's remaining records) cut down is said so.
        meta["limitCapped"] = request.limit is not None and limit < request.limit
        meta["nextCursor"] = self._next_cursor(query_hash, positions, results)
        return 200, {"data": records, "meta": meta}

    # -- steps ------------------------------------------------------------------------------

    def _masker(
        self, plan: FieldPlan, dataset: Dataset, client_id: str
    ) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
        """The compiled masker of a field plan for a client, built once and reused."""
        key = (plan.clear, tuple(sorted(plan.masked.items())), plan.dropped, dataset.id, client_id)
        masker = self._maskers.get(key)
        if masker is None:
            if len(self._maskers) >= DECISION_CACHE_SIZE:
                self._maskers.clear()
            masker = self._maskers[key] = compile_masker(
                plan, dataset, pseudonym_key=self._pseudonym_key_for(client_id)
            )
        return masker

    def _decide(
        self, principal: Principal, dataset: Dataset, purpose: str, requested: frozenset[str] | None
    ) -> Decision:
        """The policy decision. Without grants it depends on nothing that changes over time
        (tier, scopes, dataset, purpose, regions), so it is computed once and remembered."""
        grants = tuple(self._grants_for(principal.client_id, dataset.id))
        key = (
            principal.client_id,
            principal.tier,
            principal.scopes,
            principal.region,
            dataset.id,
            purpose,
            requested,
        )
        if not grants:
            cached = self._decisions.get(key)
            if cached is not None:
                return cached
        decision = decide(
            dataset,
            Caller(
                client_id=principal.client_id,
                tier=principal.tier,
                scopes=principal.scopes,
                region=principal.region,
            ),
            purpose,
            grants,
            policies=self.policies,
            now=dt.datetime.now(dt.UTC),
            requested_leaves=requested,
            region_leaves=self.catalog.regions.leaves,
        )
        if not grants:
            if len(self._decisions) >= DECISION_CACHE_SIZE:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    def _take_quota(self, principal: Principal, decision: Decision, state: _Trace) -> Decision:
        """Rule 5: count the request against the client's tier quotas; 429 when one is spent."""
        tier = self.policies.tiers[principal.tier]
        try:
            allowed, quota = self.quotas.take_request(principal.client_id, tier)
        except QuotaStoreUnavailable:
            self._quota_store_down()
            return decision
        state.quota = quota
        if allowed and quota.records_remaining > 0:
            return decision
        rule, limit, retry = (
            ("quota-requests", tier.requests_per_minute, quota.requests_reset)
            if not allowed
            else ("quota-records", tier.records_per_day, quota.records_reset)
        )
        raise self._quota_exceeded(principal, decision, state, rule, limit, retry)

    def _quota_store_down(self) -> None:
        """Serve without quotas when they fail open; otherwise refuse (503)."""
        if self.quotas.fail_open:
            log.warning("quota store unavailable; serving without quotas (fail-open)")
            return
        # Unlimited use is not what the data owners agreed to: fail closed.
        raise Problem(
            "service-unavailable",
            detail="the quota store is unavailable; retry later",
            headers={"Retry-After": "5"},
        ) from None

    @staticmethod
    def _quota_exceeded(
        principal: Principal, decision: Decision, state: _Trace, rule: str, limit: int, retry: int
    ) -> Problem:
        """The 429 of a spent quota; the exchange is audited as denied by that rule."""
        tier = principal.tier
        denied = decision.denied_by(rule, client=principal.client_id, tier=tier, limit=limit)
        state.decision = denied
        return Problem(
            "quota-exceeded",
            detail=denied.reason_en,
            headers={"Retry-After": str(max(1, retry))},
            extra={"ruleId": denied.rule_id, "reasonZh": denied.reason_zh},
        )

    def _reserve_records(
        self, principal: Principal, decision: Decision, state: _Trace, wanted: int
    ) -> int:
        """Reserve the page from the day's records: how many it may carry (all it wants when
        the quota store is down and quotas fail open); 429 when none remain."""
        if state.quota is None:
            return wanted
        tier = self.policies.tiers[principal.tier]
        try:
            reserved = self.quotas.reserve_records(principal.client_id, tier, wanted)
        except QuotaStoreUnavailable:
            self._quota_store_down()
            return wanted
        if reserved > 0:
            state.reserved = reserved
            return reserved
        # Concurrent exchanges reserved the last records after this one's quota check.
        state.quota = replace(state.quota, records_remaining=0)
        raise self._quota_exceeded(
            principal,
            decision,
            state,
            "quota-records",
            tier.records_per_day,
            state.quota.records_reset,
        )

    def _settle_records(self, principal: Principal, state: _Trace) -> None:
        """Give back the reserved records the answer did not carry (all of them when it failed)."""
        if state.reserved:
            self._give_back(principal, state.reserved - state.record_count)
            state.charged, state.reserved = state.record_count, 0

    def _give_back(self, principal: Principal, records: int) -> None:
        if records > 0:
            tier = self.policies.tiers[principal.tier]
            self.quotas.release_records(principal.client_id, tier, records)

    def _purpose(self, purpose: str | None) -> str:
        accepted = sorted(self.policies.purposes)
        if not purpose or purpose not in self.policies.purposes:
            what = "missing" if not purpose else f"unknown purpose {purpose!r}"
            raise Problem(
                "purpose-required",
                detail=f"X-Purpose header {what}; accepted values: {', '.join(accepted)}",
                errors=[{"path": "$.headers.X-Purpose", "message": f"must be one of {accepted}"}],
                extra={"acceptedPurposes": accepted, "ruleId": "purpose-unknown"},
            )
        return purpose

    def _filter(self, dataset: Dataset, request: DataRequest) -> dict[str, dict[str, Any]]:
        if request.key is not None:
            raw: Mapping[str, Any] = {dataset.key_field: {"eq": request.key}}
        elif request.filter_from_query:
            raw = _filter_from_query(dataset, request.filter)
        else:
            raw = request.filter
        if not isinstance(raw, Mapping):
            raise Problem(
                "validation-failed",
                detail="filter must be a JSON object",
                errors=[{"path": "$.filter", "message": "must be an object"}],
            )
        if len(raw) > MAX_FILTER_TERMS:
            raise Problem("validation-failed", detail=f"at most {MAX_FILTER_TERMS} filter terms")
        try:
            normalised = normalise_filter(raw)
        except ValueError as exc:
            raise Problem(
                "validation-failed",
                detail=str(exc),
                errors=[{"path": "$.filter", "message": str(exc)}],
            ) from None
        issues = dataset.filter_errors(normalised)
        if issues:
            if request.key is not None:
                raise Problem(
                    "validation-failed",
                    detail=f"{request.key!r} is not a valid {dataset.key_field}",
                    errors=[{"path": "$.key", "message": i.message} for i in issues],
                )
            raise Problem(
                "validation-failed",
                detail="the filter does not fit the dataset's query schema",
                errors=[{"path": i.path, "message": i.message} for i in issues],
            )
        return normalised

    def _requested_leaves(self, dataset: Dataset, request: DataRequest) -> frozenset[str] | None:
        if request.key is not None:
            region = dataset.region_of_key(request.key)
            if region is None:
                return None  # the key says nothing about its region: ask every node
            if not self.catalog.regions.is_known(region):
                raise Problem(
                    "record-not-found",
                    detail=f"the key belongs to region {region}, which no node serves",
                )
            return self.catalog.regions.leaves(region)
        if not request.regions:
            return None
        return self.routing.expand(request.regions)

    def _limit(self, requested: int | None, tier_max: int) -> int:
        cap = min(tier_max, self.max_page_size)
        if requested is None:
            return min(self.default_page_size, cap)
        if requested < 1:
            raise Problem(
                "validation-failed",
                detail="limit must be at least 1",
                errors=[{"path": "$.limit", "message": "must be ≥ 1"}],
            )
        # The page size is capped by the caller's tier (the cap is reported in meta.limit).
        return min(requested, cap)

    def _positions(
        self, cursor: str | None, query_hash: str, routes: Sequence[Route]
    ) -> dict[str, str | None]:
        if cursor is None:
            return {route.node: None for route in routes}
        positions = self.cursors.decode(cursor, query_hash)
        known = {route.node for route in routes}
        if not set(positions) <= known:
            raise Problem("invalid-cursor", detail="the cursor names nodes this query does not use")
        return positions

    def _next_cursor(
        self, query_hash: str, positions: Mapping[str, str | None], results: Sequence[SourceResult]
    ) -> str | None:
        remaining: dict[str, str | None] = {}
        for result in results:
            if result.node not in positions:
                continue
            if not result.asked or result.status != "ok":
                # Not asked this page, or failed: its position is unchanged, so the next page
                # asks again rather than silently skipping that node's records.
                remaining[result.node] = positions[result.node]
            elif result.next_cursor is not None:
                remaining[result.node] = result.next_cursor
        return self.cursors.encode(query_hash, remaining) if remaining else None

    def _fan_out(
        self,
        dataset: Dataset,
        routes: Sequence[Route],
        positions: Mapping[str, str | None],
        filter_: Mapping[str, Mapping[str, Any]],
        fetch: tuple[str, ...],
        limit: int,
        exchange_id: str,
        *,
        every_node: bool = False,
    ) -> list[SourceResult]:
        """Ask the nodes in parallel within the exchange deadline, check their records, and tell
        each node's circuit breaker how its call went (a page of invalid records is a failure)."""
        active = [route for route in routes if route.node in positions]
        # A key lookup asks every node that may hold the key; a page is split over the nodes.
        shares = [limit] * len(active) if every_node else _shares(limit, len(active))
        calls: list[tuple[Route, QueryRequest]] = []
        results: dict[str, SourceResult] = {}
        for route, share in zip(active, shares, strict=True):
            results[route.node] = SourceResult(route.node, route.regions, asked=share > 0)
            if share:
                node_filter = _with_regions(filter_, dataset.region_field, route)
                calls.append(
                    (
                        route,
                        QueryRequest(
                            dataset=dataset.id,
                            filter=node_filter,
                            fields=fetch,
                            limit=share,
                            cursor=positions[route.node],
                            exchange_id=exchange_id,
                        ),
                    )
                )
        deadline = time.monotonic() + self.exchange_timeout
        #: node → whether it answered (True), failed (False) or was not called (None)
        answered: dict[str, bool | None] = {}
        if len(calls) == 1:
            route, query = calls[0]
            results[route.node], answered[route.node] = self._call(route, query, deadline)
        elif calls:
            executor = self._executor()
            futures = {
                executor.submit(
                    contextvars.copy_context().run, self._call, route, query, deadline
                ): route
                for route, query in calls
            }
            done, pending = cf.wait(futures, timeout=max(0.0, deadline - time.monotonic()))
            for future in done:
                node = futures[future].node
                results[node], answered[node] = future.result()
            for future in pending:
                # The call goes on in its thread; what it brings back later is never used (each
                # call fills a result of its own), and it counts as the node's failure now.
                future.cancel()
                route = futures[future]
                results[route.node] = SourceResult(
                    route.node,
                    route.regions,
                    status="timeout",
                    latency_ms=int(self.exchange_timeout * 1000),
                )
                answered[route.node] = False
        with child_span("records.validate"):
            for result in results.values():
                if result.status == "ok":
                    self._check_records(dataset, result, frozenset(fetch), filter_, limit)
        for node, outcome in answered.items():
            if outcome is not None:
                self.fleet.record(node, ok=outcome and results[node].status != "invalid-data")
        return list(results.values())

    def _call(
        self, route: Route, query: QueryRequest, deadline: float
    ) -> tuple[SourceResult, bool | None]:
        """One node's answer, and whether the node answered (True), failed (False) or was not
        called because its circuit is open (None). A request the node refused as the caller's
        mistake is an answer: it says nothing about the node's health."""
        result = SourceResult(route.node, route.regions)
        answered: bool | None = False
        started = time.perf_counter()
        with child_span(
            "adapter.query",
            kind=SpanKind.CLIENT,
            attributes={
                "gateway.node": route.node,
                "gateway.regions": list(route.regions),
                "gateway.dataset": query.dataset,
            },
        ) as span:
            try:
                page: Page = self.fleet.query(route.node, query, deadline=deadline)
                result.records, result.next_cursor = list(page.records), page.next_cursor
                span.set_attribute("gateway.record_count", len(result.records))
                answered = True
            except CircuitOpen as exc:
                result.status, answered = exc.status, None
                span.set_status(Status(StatusCode.ERROR, exc.status))
                span.set_attribute("gateway.upstream.breaker", "open")
            except AdapterError as exc:
                result.status = exc.status
                answered = isinstance(exc, AdapterRequestError)
                span.set_status(Status(StatusCode.ERROR, exc.status))
                log.warning("node %s failed: %s (%s)", route.node, exc.status, type(exc).__name__)
            except Exception as exc:  # a broken adapter is that node's failure, not the gateway's
                result.status = "error"
                span.set_status(Status(StatusCode.ERROR, "error"))
                log.exception("node %s raised %s", route.node, type(exc).__name__)
            span.set_attribute("gateway.source_status", result.status)
        seconds = time.perf_counter() - started
        result.latency_ms = int(seconds * 1000)
        if answered is not None:
            self.metrics.record_adapter_call(route.node, seconds)
        return result, answered

    def _check_records(
        self,
        dataset: Dataset,
        result: SourceResult,
        fetch: frozenset[str],
        filter_: Mapping[str, Mapping[str, Any]],
        limit: int,
    ) -> None:
        """A node's page passes only if every record conforms, is in the node's regions and
        matches the filter; otherwise none of it is passed on (the node lied or is broken)."""
        regions = frozenset(result.regions)
        reason = None
        if result.next_cursor is not None and len(result.next_cursor) > MAX_NODE_CURSOR_LENGTH:
            # The gateway carries a node's cursor to the next page: one longer than the protocol
            # allows could not be sent back, and the node's remaining records would be lost.
            reason = f"a next cursor longer than {MAX_NODE_CURSOR_LENGTH} characters"
        elif len(result.records) > limit:
            reason = "more records than asked for"
        else:
            for record in result.records:
                if not isinstance(record, dict) or dataset.record_errors(record, fetch):
                    reason = "a record does not conform to the record schema"
                elif record.get(dataset.region_field) not in regions:
                    reason = "a record lies outside the regions the node was asked about"
                elif not matches(record, filter_):
                    reason = "a record does not match the filter"
                if reason:
                    break
        if reason:
            log.warning("node %s returned invalid data for %s: %s", result.node, dataset.id, reason)
            result.status, result.records, result.next_cursor = "invalid-data", (), None

    # -- audit ------------------------------------------------------------------------------

    def _audit_record(
        self,
        principal: Principal,
        state: _Trace,
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
        if problem is None:
            verdict = "allow"
        elif decision is not None and not decision.allowed:
            verdict = "deny"
        elif problem.slug == "record-not-found" and decision is not None:
            verdict = "allow"
        else:
            verdict = "error"
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
            "decision": verdict,
            "ruleId": decision.rule_id
            if decision is not None
            else (problem.extra.get("ruleId", problem.slug) if problem else None),
            "regions": sorted(state.leaves) if state.leaves is not None else None,
            "sources": [r.meta() for r in state.sources if r.asked],
            "recordCount": state.record_count,
            "fields": plan.as_meta() if plan is not None else None,
            "requestHash": request_hash,
            "responseHash": response_hash,
            "httpStatus": status,
            "problemType": problem.type.uri if problem else None,
            "traceId": trace_id,
            "spanId": span_id,
        }


# -- small pure helpers -----------------------------------------------------------------------


def _request_summary(principal: Principal, request: DataRequest) -> dict[str, Any]:
    return {
        "clientId": principal.client_id,
        "method": request.method,
        "path": request.path,
        "dataset": request.dataset_id,
        "purpose": request.purpose,
        "filter": request.filter,
        "fields": request.fields,
        "regions": request.regions,
        "limit": request.limit,
        "cursor": request.cursor,
        "strict": request.strict,
        "key": request.key,
        # The same records as CSV are a different answer (its response hash differs too).
        "mediaType": request.media_type,
    }


def _filter_from_query(dataset: Dataset, args: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``name=value`` is eq, ``name.op=value`` another operator. ``in`` takes its list in both
    forms of OpenAPI's ``style: form``: repeated (``explode: true``, what client generators
    send) or one comma-separated value (``explode: false``), or a mix of the two."""
    out: dict[str, dict[str, Any]] = {}
    errors = []
    for param, values in args.items():
        name, _, op = param.partition(".")
        op = op or "eq"
        path = f"$.query.{param}"
        if name not in dataset.fields:
            errors.append({"path": path, "message": f"unknown parameter {param!r}"})
            continue
        if op != "in" and len(values) != 1:
            errors.append({"path": path, "message": "give each filter parameter once"})
            continue
        try:
            if op == "in":
                parts = [p for text in values for p in text.split(",") if p != ""]
                value: Any = [dataset.coerce(name, p) for p in parts]
            elif op == "prefix":
                value = values[0]
            else:
                value = dataset.coerce(name, values[0])
        except ValueError as exc:
            errors.append({"path": path, "message": str(exc)})
            continue
        out.setdefault(name, {})[op] = value
    if errors:
        raise Problem(
            "validation-failed",
            detail="the query parameters do not fit the dataset's query schema",
            errors=errors,
        )
    return out


def _filtered_leaves(
    dataset: Dataset, filter_: Mapping[str, Mapping[str, Any]]
) -> frozenset[str] | None:
    """The regions a filter on the region field allows: nodes holding none of them are not asked
    (records carry leaf region codes)."""
    ops = filter_.get(dataset.region_field)
    if not ops:
        return None
    allowed: frozenset[str] | None = None
    if "eq" in ops:
        allowed = frozenset({str(ops["eq"])})
    if "in" in ops:
        values = frozenset(str(v) for v in ops["in"])
        allowed = values if allowed is None else allowed & values
    return allowed


def _intersect(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _shares(limit: int, count: int) -> list[int]:
    """Split a page over nodes: each gets limit // count, the first ones one more for the rest;
    with fewer records than nodes, the first `limit` nodes get one each."""
    if count == 0:
        return []
    base, extra = divmod(limit, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def _with_regions(
    filter_: Mapping[str, Mapping[str, Any]], region_field: str, route: Route
) -> dict[str, dict[str, Any]]:
    out = {name: dict(ops) for name, ops in filter_.items()}
    if not route.whole:
        ops = out.setdefault(region_field, {})
        wanted = list(route.regions)
        if "in" in ops:
            wanted = [r for r in wanted if r in set(ops["in"])]
        ops["in"] = wanted
    return out
