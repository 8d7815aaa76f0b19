"""Writing records where a node's adapter reads them: JSONL files and SQL tables."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeEngine

from adapters.nodes import NodeConfig, NodeDataset
from catalog import Dataset

#: Column types by JSON Schema type of the catalogue field.
COLUMN_TYPES: dict[str, type[TypeEngine[Any]]] = {
    "string": String,
    "integer": Integer,
    "number": Float,
    "boolean": Boolean,
    "array": JSON,
    "object": JSON,
}


@dataclass(frozen=True, slots=True)
class Batch:
    """The records of one dataset for one node, in catalogue field names."""

    dataset: Dataset
    spec: NodeDataset
    records: Sequence[Mapping[str, Any]]


def local_record(dataset: Dataset, spec: NodeDataset, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record in the node's field names, fields in catalogue order."""
    return {spec.local_name(name): record[name] for name in dataset.fields if name in record}


def file_source(node: NodeConfig, dataset_id: str) -> str:
    """The JSONL file of a dataset on a file node (``<dataset>.jsonl`` unless configured)."""
    return node.datasets[dataset_id].source or f"{dataset_id}.jsonl"


def table_source(node: NodeConfig, dataset_id: str) -> str:
    """The table of a dataset on a SQL node (the dataset id unless configured)."""
    return node.datasets[dataset_id].source or dataset_id


def write_jsonl(path: Path, batch: Batch) -> None:
    """One JSON object per line, UTF-8, Chinese unescaped."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in batch.records:
            line = json.dumps(local_record(batch.dataset, batch.spec, record), ensure_ascii=False)
            out.write(line + "\n")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def table_for(metadata: MetaData, name: str, batch: Batch) -> Table:
    """A table whose primary key is the dataset's key field, columns typed by the record schema."""
    columns = []
    for field in batch.dataset.fields.values():
        types = [field.type] if isinstance(field.type, str) else list(field.type)
        kind = next((t for t in types if t != "null"), "string")
        columns.append(
            Column(
                batch.spec.local_name(field.name),
                COLUMN_TYPES.get(kind, String)(),
                primary_key=field.name == batch.dataset.key_field,
                nullable="null" in types or not field.required,
            )
        )
    return Table(name, metadata, *columns)


def write_tables(url: str, tables: Mapping[str, Batch]) -> None:
    """Create (replacing) one table per dataset and insert its records in one transaction."""
    location = make_url(url)
    if location.get_backend_name() == "sqlite" and location.database:
        Path(location.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, json_serializer=_json_text)
    try:
        metadata = MetaData()
        created = {name: table_for(metadata, name, batch) for name, batch in tables.items()}
        metadata.drop_all(engine)
        metadata.create_all(engine)
        with engine.begin() as connection:
            for name, table in created.items():
                batch = tables[name]
                rows = [local_record(batch.dataset, batch.spec, r) for r in batch.records]
                if rows:
                    connection.execute(table.insert(), rows)
    finally:
        engine.dispose()
