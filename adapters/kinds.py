"""The adapter kinds a node configuration can name, and the one place that builds them."""

from __future__ import annotations

from pathlib import Path

from adapters.file import FileAdapter
from adapters.http import ClientFactory, HttpAdapter, TokenProvider
from adapters.nodes import NodeConfig
from adapters.protocol import Adapter
from adapters.sql import SqlAdapter

KINDS = ("file", "http", "sql")


def build_adapter(
    node: NodeConfig,
    *,
    data_dir: Path,
    token_provider: TokenProvider | None = None,
    http_client_factory: ClientFactory | None = None,
) -> Adapter:
    """The adapter of a node, chosen by its ``adapter.kind``.

    ``data_dir`` holds in-process data: a file node's ``path`` is relative to it and ``{data}``
    in a SQL URL stands for it. ``token_provider`` signs the bearer token an HTTP node requires;
    ``http_client_factory`` makes an HTTP node's client (tests pass a transport through it).
    """
    kind = node.kind
    if kind == "file":
        return FileAdapter(node, data_dir=data_dir)
    if kind == "sql":
        return SqlAdapter(node, data_dir=data_dir)
    if kind == "http":
        return HttpAdapter(node, token_provider=token_provider, client_factory=http_client_factory)
    known = ", ".join(KINDS)
    raise ValueError(f"node {node.id}: unknown adapter kind {kind!r}; use one of {known}")
