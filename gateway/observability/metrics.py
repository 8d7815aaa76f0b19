"""Prometheus metrics of the gateway, served at ``GET /metrics`` (docs/api.md).

Labels are dataset ids, node ids, decisions and statuses: bounded sets that come from the
configuration. Never a client id (one series per client would grow without bound) and never a
value taken from a request.

Under gunicorn each worker counts its own exchanges; prometheus_client's multiprocess mode sums
them: every worker writes its samples to files in ``PROMETHEUS_MULTIPROC_DIR`` (set by
``jjj-gateway serve`` before the workers start) and ``/metrics`` adds up the files of all of them.
prometheus_client chooses between its single-process and file-backed value stores when it is
first imported, so this module imports it only when a registry is built — after the variable has
been set, in the worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from gateway.core.version import version

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Prometheus text exposition format 0.0.4 (what every scraper reads).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: The label value of an exchange that named no dataset of the catalogue.
UNKNOWN_DATASET = "unknown"

#: An audit append is one small committed insert: milliseconds, unless the database struggles.
AUDIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class GatewayMetrics:
    """The gateway's metrics, in a registry of this app's own."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess_dir = os.environ.get(MULTIPROCESS_ENV) or None
        self.registry = CollectorRegistry()
        self.exchanges = Counter(
            "jjj_exchanges",
            "Exchanges (data requests), by dataset, decision and HTTP status.",
            ["dataset", "decision", "status"],
            registry=self.registry,
        )
        self.sources = Counter(
            "jjj_exchange_sources",
            "Node calls of exchanges, by dataset, node and source status.",
            ["dataset", "node", "status"],
            registry=self.registry,
        )
        self.exchange_duration = Histogram(
            "jjj_exchange_duration_seconds",
            "Time from receiving a data request to its committed audit record.",
            ["dataset"],
            registry=self.registry,
        )
        self.adapter_latency = Histogram(
            "jjj_adapter_latency_seconds",
            "Time one node's adapter took to answer a query (or to fail).",
            ["node"],
            registry=self.registry,
        )
        self.audit_append = Histogram(
            "jjj_audit_append_duration_seconds",
            "Time to append and commit one audit record.",
            buckets=AUDIT_BUCKETS,
            registry=self.registry,
        )
        self.breaker_state = Gauge(
            "jjj_node_breaker_state",
            "Each node's circuit breaker: 0 closed, 1 open, 2 half-open (the worst over workers).",
            ["node"],
            registry=self.registry,
            multiprocess_mode="livemax",
        )
        self.breaker_transitions = Counter(
            "jjj_node_breaker_transitions",
            "Changes of a node's circuit breaker, by the state it went to.",
            ["node", "to"],
            registry=self.registry,
        )
        self.node_retries = Counter(
            "jjj_node_retries",
            "Reads sent to a node again, by why the attempt before failed "
            "(connect, reset, 502, 503, 504).",
            ["node", "reason"],
            registry=self.registry,
        )
        self.retry_budget_exhausted = Counter(
            "jjj_node_retry_budget_exhausted",
            "Retries not sent because the node's retry budget was spent.",
            ["node"],
            registry=self.registry,
        )
        build = Gauge(
            "jjj_build_info",
            "The running gateway's version (always 1).",
            ["version"],
            registry=self.registry,
            multiprocess_mode="max",
        )
        build.labels(version=version()).set(1)

    def record_exchange(
        self,
        *,
        dataset: str | None,
        decision: str,
        status: int,
        seconds: float,
        sources: Iterable[tuple[str, str]],
    ) -> None:
        """One finished exchange; ``sources`` are the (node, status) of the nodes it asked."""
        label = dataset or UNKNOWN_DATASET
        self.exchanges.labels(dataset=label, decision=decision, status=str(status)).inc()
        self.exchange_duration.labels(dataset=label).observe(max(0.0, seconds))
        for node, source_status in sources:
            self.sources.labels(dataset=label, node=node, status=source_status).inc()

    def record_adapter_call(self, node: str, seconds: float) -> None:
        self.adapter_latency.labels(node=node).observe(seconds)

    def record_breaker_state(
        self, node: str, code: int, *, transition_to: str | None = None
    ) -> None:
        """A node's circuit state (``BreakerState.code``), and the transition that led to it."""
        self.breaker_state.labels(node=node).set(code)
        if transition_to is not None:
            self.breaker_transitions.labels(node=node, to=transition_to).inc()

    def record_node_retry(self, node: str, reason: str) -> None:
        self.node_retries.labels(node=node, reason=reason).inc()

    def record_retry_budget_exhausted(self, node: str) -> None:
        self.retry_budget_exhausted.labels(node=node).inc()

    def record_audit_append(self, seconds: float) -> None:
        self.audit_append.observe(seconds)

    def exposition(self) -> bytes:
        """The text exposition of this process, or of every worker in multiprocess mode."""
        from prometheus_client import generate_latest

        return generate_latest(self._collecting_registry())

    def _collecting_registry(self) -> CollectorRegistry:
        if self.multiprocess_dir is None:
            return self.registry
        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)
        return registry


__all__ = ["CONTENT_TYPE", "MULTIPROCESS_ENV", "GatewayMetrics"]
