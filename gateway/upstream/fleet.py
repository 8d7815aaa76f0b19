"""The nodes this gateway routes to: one adapter per node per process, each behind a circuit
breaker, and for remote nodes an HTTP client that retries what is safe to retry.

Every node, in-process or remote, has a breaker: a SQL database that is down fails fast just like
an adapter server that is. Retries are for remote nodes only (``gateway.upstream.retries``): an
in-process adapter has no network between it and the gateway to be flaky.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from adapters import SnapshotError, build_adapter
from adapters.forks import reset_after_fork
from adapters.nodes import NodeConfig
from adapters.protocol import Adapter, AdapterUnavailable, Health, Page, QueryRequest
from gateway.observability.metrics import GatewayMetrics
from gateway.upstream.breaker import BreakerPolicy, BreakerState, CircuitBreaker, CircuitOpen, Clock
from gateway.upstream.retries import RetryBudget, RetryingTransport, RetryPolicy, exchange_deadline

log = logging.getLogger(__name__)


class Fleet:
    def __init__(
        self,
        nodes: Mapping[str, NodeConfig],
        *,
        data_dir: Path,
        token_provider: Callable[[str], str],
        breaker: BreakerPolicy | None = None,
        retry: RetryPolicy | None = None,
        metrics: GatewayMetrics | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.nodes = dict(nodes)
        self._data_dir = data_dir
        self._token_provider = token_provider
        self._retry = retry or RetryPolicy()
        self._metrics = metrics
        self._forget_adapters()
        reset_after_fork(self._forget_adapters)
        policy = breaker or BreakerPolicy()
        self._breakers = {
            node_id: CircuitBreaker(
                policy, clock=clock, on_transition=self._transition_observer(node_id)
            )
            for node_id in sorted(self.nodes)
        }
        # Budgets outlive the node's client (a closed adapter reconnects with the same budget).
        self._budgets = {
            node_id: RetryBudget(self._retry.budget_ratio, clock=clock)
            for node_id, node in self.nodes.items()
            if node.kind == "http"
        }
        if metrics is not None:
            for node_id in self._breakers:
                metrics.record_breaker_state(node_id, BreakerState.CLOSED.code)

    def _forget_adapters(self) -> None:
        # A forked child builds its own adapters: their pools and connections never cross a fork.
        self._lock = threading.Lock()
        self._adapters: dict[str, Adapter] = {}

    def adapter(self, node_id: str) -> Adapter:
        """The node's adapter, created on first use in this process (pools never cross a fork)."""
        adapter = self._adapters.get(node_id)
        if adapter is None:
            with self._lock:
                adapter = self._adapters.get(node_id)
                if adapter is None:
                    try:
                        adapter = build_adapter(
                            self.nodes[node_id],
                            data_dir=self._data_dir,
                            token_provider=self._token_provider,
                            http_client_factory=self._client_factory(node_id),
                        )
                    except SnapshotError as exc:
                        # Data that cannot be loaded (unreadable, corrupt, above the size limit)
                        # makes the node unavailable, not the gateway: the file and the reason
                        # go to the log, the answer names the node only.
                        log.error("node %s cannot load its data: %s", node_id, exc)
                        raise AdapterUnavailable(node_id, "its data cannot be loaded") from exc
                    self._adapters[node_id] = adapter
        return adapter

    def query(self, node_id: str, request: QueryRequest, *, deadline: float | None = None) -> Page:
        """Ask the node, unless its circuit is open (then ``CircuitOpen``, without a call).

        Whoever was let through must report the outcome with ``record`` once the answer is
        judged (its records checked), so that the node's breaker learns how the call went.
        """
        if not self._breakers[node_id].allow():
            raise CircuitOpen(node_id, "circuit open after repeated failures; not called")
        with exchange_deadline(deadline):
            return self.adapter(node_id).query(request)

    def record(self, node_id: str, *, ok: bool) -> None:
        """The outcome of a call ``query`` let through: the node answered, or it failed."""
        breaker = self._breakers[node_id]
        if ok:
            breaker.record_success()
        else:
            breaker.record_failure()

    def breakers(self) -> dict[str, dict[str, Any]]:
        """Each node's circuit: state and consecutive failures (what ``/readyz`` shows)."""
        return {node_id: breaker.snapshot() for node_id, breaker in self._breakers.items()}

    def warm(self) -> None:
        """Build every in-process adapter now (file snapshots load, SQL engines connect)."""
        for node_id, node in sorted(self.nodes.items()):
            if node.kind != "http":
                try:
                    self.adapter(node_id)
                except Exception as exc:  # reported by /readyz and as the node's source status
                    log.warning("node %s could not be prepared: %s", node_id, type(exc).__name__)

    def health(self) -> dict[str, Health]:
        """Each node's own report; a node whose circuit is open is not asked (it fails fast)."""
        out = {}
        for node_id in sorted(self.nodes):
            if self._breakers[node_id].state is BreakerState.OPEN:
                out[node_id] = Health("unavailable", detail="circuit open; not asked")
                continue
            try:
                out[node_id] = self.adapter(node_id).health()
            except Exception as exc:  # a node that cannot even be built is unavailable
                out[node_id] = Health("unavailable", detail=type(exc).__name__)
        return out

    def close(self) -> None:
        with self._lock:
            for adapter in self._adapters.values():
                adapter.close()
            self._adapters = {}

    # -- wiring -----------------------------------------------------------------------------

    def _client_factory(self, node_id: str) -> Callable[..., httpx.Client] | None:
        """How the HTTP adapter of a remote node makes its client: with the retrying transport."""
        budget = self._budgets.get(node_id)
        if budget is None:
            return None
        metrics = self._metrics

        def on_retry(reason: str) -> None:
            log.info("node %s: retrying a read (%s)", node_id, reason)
            if metrics is not None:
                metrics.record_node_retry(node_id, reason)

        def on_budget_exhausted() -> None:
            log.warning("node %s: retry budget exhausted; not retrying", node_id)
            if metrics is not None:
                metrics.record_retry_budget_exhausted(node_id)

        def make(*, base_url: str, timeout: httpx.Timeout, limits: httpx.Limits) -> httpx.Client:
            transport = RetryingTransport(
                httpx.HTTPTransport(limits=limits),
                policy=self._retry,
                budget=budget,
                on_retry=on_retry,
                on_budget_exhausted=on_budget_exhausted,
            )
            return httpx.Client(
                base_url=base_url, timeout=timeout, transport=transport, follow_redirects=False
            )

        return make

    def _transition_observer(self, node_id: str) -> Callable[[BreakerState, BreakerState], None]:
        def observe(before: BreakerState, to: BreakerState) -> None:
            level = logging.INFO if to is BreakerState.CLOSED else logging.WARNING
            log.log(level, "node %s: circuit %s → %s", node_id, before.value, to.value)
            if self._metrics is not None:
                self._metrics.record_breaker_state(node_id, to.code, transition_to=to.value)

        return observe
