"""Adapters: how the gateway reaches the nodes that hold the data
(docs/architecture.md#the-adapter-protocol).

One small protocol (``query``, ``health``, ``close``) with three kinds chosen by a node's
configuration — ``file`` and ``sql`` in-process, ``http`` for a remote adapter server — and the
standalone server that puts a file or SQL node behind the protocol.
"""

from __future__ import annotations

from adapters.file import FileAdapter, SnapshotError
from adapters.http import ClientFactory, HttpAdapter, TokenProvider
from adapters.jwks import KeysUnavailable
from adapters.kinds import KINDS, build_adapter
from adapters.nodes import (
    ConfigIssue,
    NodeConfig,
    NodeConfigError,
    NodeDataset,
    default_directory,
    load_nodes,
)
from adapters.protocol import (
    OPERATORS,
    Adapter,
    AdapterError,
    AdapterRequestError,
    AdapterTimeout,
    AdapterUnavailable,
    Filter,
    Health,
    Page,
    QueryRequest,
    Record,
    normalise_filter,
)
from adapters.request_checks import MAX_LIMIT, RequestIssue, check_request, request_issues
from adapters.server import create_adapter_app, create_server_for_node, serve
from adapters.sql import SqlAdapter
from adapters.tokens import InvalidToken, TokenVerifier

__all__ = [
    "KINDS",
    "MAX_LIMIT",
    "OPERATORS",
    "Adapter",
    "AdapterError",
    "AdapterRequestError",
    "AdapterTimeout",
    "AdapterUnavailable",
    "ClientFactory",
    "ConfigIssue",
    "FileAdapter",
    "Filter",
    "Health",
    "HttpAdapter",
    "InvalidToken",
    "KeysUnavailable",
    "NodeConfig",
    "NodeConfigError",
    "NodeDataset",
    "Page",
    "QueryRequest",
    "Record",
    "RequestIssue",
    "SnapshotError",
    "SqlAdapter",
    "TokenProvider",
    "TokenVerifier",
    "build_adapter",
    "check_request",
    "create_adapter_app",
    "create_server_for_node",
    "default_directory",
    "load_nodes",
    "normalise_filter",
    "request_issues",
    "serve",
]
