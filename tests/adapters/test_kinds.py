"""Choosing and building a node's adapter from its configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import (
    KINDS,
    FileAdapter,
    HttpAdapter,
    QueryRequest,
    SqlAdapter,
    build_adapter,
    load_nodes,
)
from adapters.protocol import Adapter
from tests.adapters.conftest import DATASET, RECORDS, file_node, fill_table, node_config


def test_a_file_node_gets_a_file_adapter_reading_below_the_data_directory(tmp_path: Path) -> None:
    adapter = build_adapter(file_node(tmp_path), data_dir=tmp_path)
    assert isinstance(adapter, FileAdapter)
    assert isinstance(adapter, Adapter)
    assert len(adapter.query(QueryRequest(DATASET, limit=1000)).records) == len(RECORDS)


def test_a_sql_node_finds_its_database_through_the_data_placeholder(tmp_path: Path) -> None:
    fill_table(f"sqlite:///{tmp_path}/db.sqlite", "entities", RECORDS)
    node = node_config({"kind": "sql", "url": "sqlite:///{data}/db.sqlite"})
    adapter = build_adapter(node, data_dir=tmp_path)
    try:
        assert isinstance(adapter, SqlAdapter)
        assert len(adapter.query(QueryRequest(DATASET, limit=1000)).records) == len(RECORDS)
    finally:
        adapter.close()


def test_an_http_node_gets_an_http_adapter(tmp_path: Path) -> None:
    adapter = build_adapter(
        node_config({"kind": "http", "url": "http://127.0.0.1:9"}), data_dir=tmp_path
    )
    assert isinstance(adapter, HttpAdapter)
    adapter.close()


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown adapter kind 'ftp'"):
        build_adapter(node_config({"kind": "ftp"}), data_dir=tmp_path)


def test_every_shipped_node_names_a_kind_there_is_an_adapter_for() -> None:
    assert {node.kind for node in load_nodes().values()} <= set(KINDS)


def test_shipped_sql_nodes_open_their_database_lazily_and_never_create_it(tmp_path: Path) -> None:
    sql_nodes = [node for node in load_nodes().values() if node.kind == "sql"]
    assert sql_nodes
    for node in sql_nodes:
        adapter = build_adapter(node, data_dir=tmp_path)
        try:
            health = adapter.health()
        finally:
            adapter.close()
        assert health.status == "unavailable"
        assert set(health.datasets) == set(node.datasets)
    assert list(tmp_path.iterdir()) == []
