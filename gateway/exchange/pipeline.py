"""The exchange pipeline (docs/architecture.md#the-exchange-pipeline): authenticate → resolve →
validate the request → decide → route → fan out → validate the records → mask → audit →
respond. One data request is one exchange; each step is a function of the module named after
it, and this module runs them in order."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from catalog import Catalog, Dataset
from gateway.access.quotas import Quotas
from gateway.audit.trail import AuditTrail, AuditUnavailable
from gateway.core.canonical import canonical_json, sha256_hex
from gateway.core.jsonio import dumps
from gateway.core.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from gateway.core.problems import Problem
from gateway.exchange import csv_records
from gateway.exchange.audit_record import audit_record
from gateway.exchange.cursors import CursorCodec
from gateway.exchange.decisions import Decider, Maskers, field_plan, refusal
from gateway.exchange.fanout import FanOut, failures
from gateway.exchange.paging import next_cursor, positions, query_hash
from gateway.exchange.quota import QuotaGate
from gateway.exchange.regions import filtered_leaves, intersect, requested_leaves
from gateway.exchange.request import (
    DataRequest,
    page_limit,
    request_summary,
    valid_filter,
    valid_purpose,
)
from gateway.exchange.responses import (
    Envelope,
    ExchangeResponse,
    as_csv,
    the_record,
    unaudited,
)
from gateway.exchange.state import ExchangeState, SourceResult
from gateway.identity.oauth.tokens import Principal
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.tracing import annotate_exchange, child_span, current_ids
from gateway.upstream.fleet import Fleet
from gateway.upstream.routing import Route, RoutingTable
from policies import Decision, FieldPlan, Policies

log = logging.getLogger(__name__)

Filter = dict[str, dict[str, Any]]


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
        self.quotas = quotas
        self.metrics = metrics
        self.exchange_timeout = exchange_timeout
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self._decider = Decider(catalog, policies, grants_for)
        self._maskers = Maskers(pseudonym_key_for)
        self._quota = QuotaGate(quotas, policies)
        self._fan_out = FanOut(fleet, executor, metrics, exchange_timeout)

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
        """The exchange of an authenticated request: its answer, audited before it is returned,
        whatever it is (a refusal and a failure too)."""
        state = ExchangeState(dataset=request.dataset_id, purpose=request.purpose)
        trace_id, span_id = current_ids()
        request_hash = sha256_hex(canonical_json(request_summary(principal, request)))
        answer, problem = self._answer(principal, request, state, exchange_id, trace_id, problem)
        record = audit_record(
            principal,
            state,
            exchange_id=exchange_id,
            started_at=started_at,
            status=answer.status,
            problem=problem,
            request_hash=request_hash,
            response_hash=sha256_hex(answer.body),
            trace_id=trace_id,
            span_id=span_id,
        )
        annotate_exchange(
            dataset=self._known_dataset(request.dataset_id),
            decision=record["decision"],
            rule_id=record["ruleId"],
        )
        return self._audit(principal, request, state, record, answer, started_at, trace_id)

    # -- the steps --------------------------------------------------------------------------

    def _answer(
        self,
        principal: Principal,
        request: DataRequest,
        state: ExchangeState,
        exchange_id: str,
        trace_id: str | None,
        problem: Problem | None,
    ) -> tuple[ExchangeResponse, Problem | None]:
        """The answer to send, and the problem it is if the exchange did not succeed."""
        headers: dict[str, str] = {"X-Exchange-Id": exchange_id}
        next_page: str | None = None
        try:
            if problem is not None:
                raise problem
            try:
                body = self._execute(principal, request, state, exchange_id, trace_id)
            finally:
                self._quota.settle(principal, state)
            status, content_type = 200, "application/json"
            if not body["meta"]["complete"]:
                headers["X-Exchange-Complete"] = "false"
            next_page = body["meta"].get("nextCursor")
            if request.media_type == csv_records.MEDIA_TYPE:
                # The audit's response hash is of these bytes: what was sent, not the JSON.
                payload, content_type = as_csv(request, state.plan, body, headers)
            else:
                payload = dumps(body)
        except Problem as exc:
            problem = exc
            status, content_type = exc.status, PROBLEM_CONTENT_TYPE
            headers.update(exc.headers)
            payload = dumps(
                exc.body(instance=request.path, exchange_id=exchange_id, trace_id=trace_id)
            )
        else:
            problem = None
        headers.update(self._quota.headers(principal, state))
        return ExchangeResponse(status, payload, headers, content_type, next_page), problem

    def _execute(
        self,
        principal: Principal,
        request: DataRequest,
        state: ExchangeState,
        exchange_id: str,
        trace_id: str | None,
    ) -> dict[str, Any]:
        """The steps between authentication and audit; the body of a successful answer."""
        dataset = self._resolve(request.dataset_id)
        purpose = valid_purpose(self.policies, request.purpose)
        filter_ = valid_filter(dataset, request)
        requested = requested_leaves(self.catalog, self.routing, dataset, request)
        state.leaves = requested  # a refused request, too, is found by the regions it asked for
        decision, plan = self._decide(
            principal, dataset, purpose, requested, request, filter_, state
        )
        leaves, routes = self._route(dataset, requested, decision, filter_, state)
        envelope = Envelope(exchange_id, trace_id, dataset.id, purpose, plan, decision)
        if not routes:
            if request.key is not None:
                raise Problem(
                    "record-not-found", detail="no node serves the region this key belongs to"
                )
            # No node holds data for these regions: the complete answer is an empty one.
            return envelope.empty()
        limit = self._page_size(principal, decision, request, state)
        page_of = query_hash(
            client_id=principal.client_id,
            dataset_id=dataset.id,
            filter_=filter_,
            fetch=plan.fetch,
            leaves=leaves,
            key=request.key,
        )
        start = positions(self.cursors, request.cursor, page_of, routes)
        results = self._fan_out.ask(
            dataset,
            routes,
            start,
            filter_,
            plan.fetch,
            limit,
            exchange_id,
            every_node=request.key is not None,
        )
        state.sources = results
        failed = failures(results, strict=_strict(request))
        records = self._mask(principal, dataset, plan, results, state)
        if request.key is not None:
            found = the_record(dataset, request, records, failed)
            return envelope.record(found, results, complete=not failed)
        return envelope.page(
            records,
            results,
            complete=not failed,
            limit=limit,
            asked=request.limit,
            next_cursor=next_cursor(self.cursors, page_of, start, results),
        )

    def _resolve(self, dataset_id: str) -> Dataset:
        """The dataset in the catalogue (404 problem if unknown)."""
        dataset = self.catalog.get(dataset_id)
        if dataset is None:
            raise Problem("dataset-not-found", detail=f"no dataset {dataset_id!r} in the catalogue")
        return dataset

    def _decide(
        self,
        principal: Principal,
        dataset: Dataset,
        purpose: str,
        requested: frozenset[str] | None,
        request: DataRequest,
        filter_: Filter,
        state: ExchangeState,
    ) -> tuple[Decision, FieldPlan]:
        """The rules of tiered use, the request's quota (rule 5) among them, and the field plan
        of the fields asked for."""
        decision = self._decider.decide(principal, dataset, purpose, requested)
        state.decision = decision
        if not decision.allowed or decision.plan is None:
            raise refusal(decision)
        plan = field_plan(decision.plan, request.fields, filter_)
        decision = self._quota.take_request(principal, decision, state)
        state.plan = plan
        return decision, plan

    def _route(
        self,
        dataset: Dataset,
        requested: frozenset[str] | None,
        decision: Decision,
        filter_: Filter,
        state: ExchangeState,
    ) -> tuple[frozenset[str] | None, list[Route]]:
        """The leaf regions asked about (as requested, granted and filtered), and the node that
        serves each."""
        leaves = intersect(intersect(requested, decision.leaves), filtered_leaves(dataset, filter_))
        state.leaves = leaves
        return leaves, self.routing.routes(dataset.id, leaves)

    def _page_size(
        self, principal: Principal, decision: Decision, request: DataRequest, state: ExchangeState
    ) -> int:
        """How many records the page asks for, reserved from the day's quota."""
        tier = self.policies.tiers[principal.tier]
        cap = min(tier.max_page_size, self.max_page_size)
        limit = (
            1
            if request.key is not None
            else page_limit(request.limit, cap=cap, default=self.default_page_size)
        )
        # Rule 5 counts records: the page is reserved from what is left of the day's quota
        # before any node is asked (run() gives back what the answer did not carry).
        return self._quota.reserve(principal, decision, state, limit)

    def _mask(
        self,
        principal: Principal,
        dataset: Dataset,
        plan: FieldPlan,
        results: Sequence[SourceResult],
        state: ExchangeState,
    ) -> list[dict[str, Any]]:
        """The records the caller sees, masked and projected by the plan's compiled masker."""
        masker = self._maskers.for_plan(plan, dataset, principal.client_id)
        records = [masker(record) for r in results for record in r.records]
        state.record_count = len(records)
        self._quota.carry(state, len(records))
        return records

    def _audit(
        self,
        principal: Principal,
        request: DataRequest,
        state: ExchangeState,
        record: dict[str, Any],
        answer: ExchangeResponse,
        started_at: dt.datetime,
        trace_id: str | None,
    ) -> ExchangeResponse:
        """The record is appended and committed before the answer leaves; if it cannot be
        written, the exchange fails closed: 503 and no data."""
        exchange_id = record["exchangeId"]
        appending = time.perf_counter()
        with child_span("audit.append"):
            try:
                self.audit.record(record)
            except AuditUnavailable:
                log.error("audit append failed; exchange %s fails closed", exchange_id)
                # No record leaves, so none counts against the day's quota.
                self._quota.give_back(principal, state.charged)
                failed = unaudited(request, exchange_id, trace_id)
                self._count(request, state, record["decision"], failed.status, started_at)
                return failed
            finally:
                self.metrics.record_audit_append(time.perf_counter() - appending)
        self._count(request, state, record["decision"], answer.status, started_at)
        return answer

    # -- labels and counts ------------------------------------------------------------------

    def _known_dataset(self, dataset_id: str) -> str | None:
        """The dataset id if the catalogue has it: a caller's typo never becomes a label."""
        return dataset_id if self.catalog.get(dataset_id) is not None else None

    def _count(
        self,
        request: DataRequest,
        state: ExchangeState,
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
            sources=[(r.node, r.status) for r in state.asked()],
        )


def _strict(request: DataRequest) -> bool:
    """Whether a failed node fails the exchange: as asked, else for a key lookup only."""
    return request.strict if request.strict is not None else request.key is not None
