"""The fan-out (docs/architecture.md#the-exchange-pipeline, steps 5 and 6): the nodes that serve
the exchange's regions are asked in parallel under one deadline, their pages checked, and each
node's circuit breaker told how its call went."""

from __future__ import annotations

import concurrent.futures as cf
import contextvars
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from adapters.protocol import AdapterError, AdapterRequestError, Page, QueryRequest
from catalog import Dataset
from gateway.core.problems import Problem
from gateway.exchange.paging import shares
from gateway.exchange.record_checks import check_page
from gateway.exchange.state import SourceResult
from gateway.observability.metrics import GatewayMetrics
from gateway.observability.tracing import child_span
from gateway.upstream.breaker import CircuitOpen
from gateway.upstream.fleet import Fleet
from gateway.upstream.routing import Route

log = logging.getLogger(__name__)


class FanOut:
    """Calls to the nodes of one exchange, each in its ``adapter.query`` span."""

    def __init__(
        self,
        fleet: Fleet,
        executor: Callable[[], cf.Executor],
        metrics: GatewayMetrics,
        timeout: float,
    ) -> None:
        self._fleet = fleet
        self._executor = executor
        self._metrics = metrics
        self._timeout = timeout

    def ask(
        self,
        dataset: Dataset,
        routes: Sequence[Route],
        positions: Mapping[str, str | None],
        filter_: Mapping[str, Mapping[str, Any]],
        visible: Sequence[str],
        limit: int,
        exchange_id: str,
        *,
        every_node: bool = False,
    ) -> list[SourceResult]:
        """Ask the nodes in parallel within the exchange deadline, check their records, and tell
        each node's circuit breaker how its call went (a page of invalid records is a failure)."""
        # The node sends what the caller will see, plus what the gateway needs to check the
        # page (the region and the filtered fields); the masker then keeps the plan's fields only.
        fetch = tuple(dict.fromkeys((*visible, dataset.region_field, *filter_)))
        active = [route for route in routes if route.node in positions]
        # A key lookup asks every node that may hold the key; a page is split over the nodes.
        parts = [limit] * len(active) if every_node else shares(limit, len(active))
        calls: list[tuple[Route, QueryRequest]] = []
        results: dict[str, SourceResult] = {}
        for route, share in zip(active, parts, strict=True):
            results[route.node] = SourceResult(route.node, route.regions, asked=share > 0)
            if share:
                calls.append(
                    (
                        route,
                        QueryRequest(
                            dataset=dataset.id,
                            filter=_with_regions(filter_, dataset.region_field, route),
                            fields=fetch,
                            limit=share,
                            cursor=positions[route.node],
                            exchange_id=exchange_id,
                        ),
                    )
                )
        answered = self._call_all(calls, results)
        with child_span("records.validate"):
            for result in results.values():
                if result.status == "ok":
                    check_page(dataset, result, frozenset(fetch), filter_, limit)
        for node, outcome in answered.items():
            if outcome is not None:
                self._fleet.record(node, ok=outcome and results[node].status != "invalid-data")
        return list(results.values())

    def _call_all(
        self, calls: Sequence[tuple[Route, QueryRequest]], results: dict[str, SourceResult]
    ) -> dict[str, bool | None]:
        """Make the calls (in this thread when there is one), filling in ``results``; node →
        whether it answered (True), failed (False) or was not called (None)."""
        deadline = time.monotonic() + self._timeout
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
                    latency_ms=int(self._timeout * 1000),
                )
                answered[route.node] = False
        return answered

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
                page: Page = self._fleet.query(route.node, query, deadline=deadline)
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
            self._metrics.record_adapter_call(route.node, seconds)
        return result, answered


def failures(results: Sequence[SourceResult], *, strict: bool) -> list[SourceResult]:
    """The nodes asked that failed (the answer is then incomplete); with ``strict``, any failure
    is the exchange's: 502, or 504 when every failure was a timeout."""
    failed = [r for r in results if r.asked and r.status != "ok"]
    if failed and strict:
        slug = (
            "upstream-timeout" if all(r.status == "timeout" for r in failed) else "upstream-failed"
        )
        raise Problem(
            slug,
            detail="; ".join(f"node {r.node}: {r.status}" for r in failed),
            extra={"sources": [r.meta() for r in results if r.asked]},
        )
    return failed


def _with_regions(
    filter_: Mapping[str, Mapping[str, Any]], region_field: str, route: Route
) -> dict[str, dict[str, Any]]:
    """The filter a node is sent: the exchange's, narrowed to the regions it is asked about
    (left as it is when those are every region the node holds)."""
    out = {name: dict(ops) for name, ops in filter_.items()}
    if not route.whole:
        ops = out.setdefault(region_field, {})
        wanted = list(route.regions)
        if "in" in ops:
            wanted = [r for r in wanted if r in set(ops["in"])]
        ops["in"] = wanted
    return out
