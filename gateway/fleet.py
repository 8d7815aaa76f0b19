"""The nodes this gateway routes to, and one adapter per node per process."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from adapters import build_adapter
from adapters.nodes import NodeConfig
from adapters.protocol import Adapter, Health

log = logging.getLogger(__name__)


class Fleet:
    def __init__(
        self,
        nodes: Mapping[str, NodeConfig],
        *,
        data_dir: Path,
        token_provider: Callable[[str], str],
    ) -> None:
        self.nodes = dict(nodes)
        self._data_dir = data_dir
        self._token_provider = token_provider
        self._lock = threading.Lock()
        self._adapters: dict[str, Adapter] = {}
        self._pid = os.getpid()

    def adapter(self, node_id: str) -> Adapter:
        """The node's adapter, created on first use in this process (pools never cross a fork)."""
        if self._pid != os.getpid():
            with self._lock:
                self._adapters, self._pid = {}, os.getpid()
        adapter = self._adapters.get(node_id)
        if adapter is None:
            with self._lock:
                adapter = self._adapters.get(node_id)
                if adapter is None:
                    adapter = build_adapter(
                        self.nodes[node_id],
                        data_dir=self._data_dir,
                        token_provider=self._token_provider,
                    )
                    self._adapters[node_id] = adapter
        return adapter

    def warm(self) -> None:
        """Build every in-process adapter now (file snapshots load, SQL engines connect)."""
        for node_id, node in sorted(self.nodes.items()):
            if node.kind != "http":
                try:
                    self.adapter(node_id)
                except Exception as exc:  # reported by /readyz and as the node's source status
                    log.warning("node %s could not be prepared: %s", node_id, type(exc).__name__)

    def health(self) -> dict[str, Health]:
        out = {}
        for node_id in sorted(self.nodes):
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
