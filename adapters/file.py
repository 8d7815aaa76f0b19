"""The file adapter: a node whose datasets are JSONL snapshots in a local directory.

Each dataset is one file, one JSON object per line in the node's local field names. The file is
read once, at construction, and translated to catalogue names; queries then run in memory.
Equality lookups (``eq``/``in``) use a per-field index built on first use, so a key lookup does
not scan the snapshot.

Every process that serves the node holds its snapshots, about 5 bytes of memory per byte of
file, so a snapshot is refused above a size limit — before it is read, and again if more than
that is read (a file that grows meanwhile, a pipe)
(docs/deployment.md#file-nodes-the-snapshot-memory-limit).
"""

from __future__ import annotations

import bisect
import json
import os
import re
import stat
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.field_names import FieldNames
from adapters.filters import ValueKey, matches, value_key
from adapters.nodes import NodeConfig
from adapters.protocol import AdapterRequestError, Filter, Health, Page, QueryRequest, Record
from adapters.request_checks import check_request

_CURSOR = re.compile(r"[0-9]{1,12}")


class SnapshotError(Exception):
    """A dataset snapshot cannot be loaded; names the file and line so an operator can fix it."""

    def __init__(self, file: Path, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}, line {line}" if line is not None else str(file)
        super().__init__(f"{where}: {message}")


_MISSING = object()
#: Largest snapshot file a file node loads unless its ``adapter.maxSnapshotBytes`` says
#: otherwise: 64 MiB of JSONL take about 320 MiB in each process that serves the node.
DEFAULT_MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
#: Strings up to this length are stored once per snapshot (see ``Snapshot.load``).
SHARED_STRING_LENGTH = 32


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@dataclass(slots=True)
class Snapshot:
    """The records of one dataset in catalogue names, with lazily built equality indexes."""

    records: list[Record]
    fields: frozenset[str]
    _indexes: dict[str, dict[ValueKey, list[int]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(
        cls, path: Path, names: FieldNames, *, max_bytes: int = DEFAULT_MAX_SNAPSHOT_BYTES
    ) -> Snapshot:
        """Read a JSONL file, translating local field names to catalogue names once; refuse one
        of more than ``max_bytes``."""
        records: list[Record] = []
        seen: set[str] = set()
        # One object per distinct short string: region codes, statuses, categories and dates
        # repeat across records, and every gateway worker holds the snapshot in memory.
        shared: dict[str, str] = {}
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise SnapshotError(path, None, f"cannot be read: {exc.strerror}") from exc
        with handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > max_bytes:
                raise SnapshotError(path, None, _too_large(f"{info.st_size:,} bytes", max_bytes))
            read = 0
            for number, raw in enumerate(handle, start=1):
                read += len(raw)
                if read > max_bytes:
                    raise SnapshotError(path, number, _too_large("read beyond", max_bytes))
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise SnapshotError(path, number, f"not UTF-8 text: {exc.reason}") from exc
                if not line.strip():
                    continue
                try:
                    document = json.loads(line, parse_constant=_reject_constant)
                except ValueError as exc:
                    raise SnapshotError(path, number, f"not valid JSON: {exc}") from exc
                if not isinstance(document, dict):
                    raise SnapshotError(path, number, "not a JSON object")
                record: Record = {}
                for local, value in document.items():
                    name = names.catalogue_name(local)
                    if name is not None:
                        if type(value) is str and len(value) <= SHARED_STRING_LENGTH:
                            value = shared.setdefault(value, value)
                        record[name] = value
                seen.update(record)
                records.append(record)
        return cls(records, frozenset(seen) | frozenset(names.to_catalogue.values()))

    def positions(self, name: str, operands: Iterable[Any]) -> list[int]:
        """Ascending positions of the records whose ``name`` equals one of ``operands``."""
        index = self._index(name)
        found: set[int] = set()
        for operand in operands:
            key = value_key(operand)
            if key is not None:
                found.update(index.get(key, ()))
        return sorted(found)

    def _index(self, name: str) -> dict[ValueKey, list[int]]:
        index = self._indexes.get(name)
        if index is not None:
            return index
        with self._lock:
            index = self._indexes.get(name)
            if index is None:
                index = {}
                for position, record in enumerate(self.records):
                    key = value_key(record.get(name, _MISSING))
                    if key is not None:
                        index.setdefault(key, []).append(position)
                self._indexes[name] = index
        return index


def _too_large(size: str, limit: int) -> str:
    return (
        f"{size}, above the limit of {limit:,} bytes (adapter.maxSnapshotBytes): in memory a "
        "snapshot takes about 5 times its size in every process serving it; serve data this "
        "large from a SQL node"
    )


def snapshot_limit(node: NodeConfig) -> int:
    """The largest snapshot file the node may load, in bytes."""
    return int(node.adapter.get("maxSnapshotBytes", DEFAULT_MAX_SNAPSHOT_BYTES))


def snapshot_paths(node: NodeConfig, data_dir: Path) -> dict[str, Path]:
    """Each dataset's snapshot file (``<dataset>.jsonl`` unless its ``source`` names one)."""
    directory = data_dir / str(node.adapter["path"])
    return {
        dataset: directory / (spec.source or f"{dataset}.jsonl")
        for dataset, spec in node.datasets.items()
    }


def oversized_snapshots(node: NodeConfig, data_dir: Path) -> list[SnapshotError]:
    """The node's snapshot files above its limit, found without reading them (a check of the
    configuration; a file that is missing or unreadable is the load's to report)."""
    limit = snapshot_limit(node)
    found = []
    for path in snapshot_paths(node, data_dir).values():
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if size > limit:
            found.append(SnapshotError(path, None, _too_large(f"{size:,} bytes", limit)))
    return found


class FileAdapter:
    """In-process adapter over a node's JSONL snapshots (adapter kind ``file``)."""

    def __init__(self, node: NodeConfig, *, data_dir: Path) -> None:
        self.node_id = node.id
        limit = snapshot_limit(node)
        self._snapshots: dict[str, Snapshot] = {
            dataset: Snapshot.load(path, FieldNames.of(node.datasets[dataset]), max_bytes=limit)
            for dataset, path in snapshot_paths(node, data_dir).items()
        }

    def query(self, request: QueryRequest) -> Page:
        check_request(self.node_id, request, self._snapshots)
        snapshot = self._snapshots[request.dataset]
        unknown = sorted(set(request.filter) - snapshot.fields)
        if unknown:
            raise AdapterRequestError(
                self.node_id, f"dataset {request.dataset}: no field {', '.join(unknown)} to filter"
            )
        start = self._start(request.cursor, len(snapshot.records))
        records = snapshot.records
        matched: list[Record] = []
        next_cursor: str | None = None
        for position in self._candidates(snapshot, request.filter, start):
            record = records[position]
            if not matches(record, request.filter):
                continue
            if len(matched) == request.limit:
                next_cursor = str(position)
                break
            matched.append(_project(record, request.fields))
        return Page(matched, next_cursor)

    def health(self) -> Health:
        return Health("ok", tuple(self._snapshots))

    def close(self) -> None:
        """Nothing to release: the snapshots are plain memory."""

    def _start(self, cursor: str | None, size: int) -> int:
        if cursor is None:
            return 0
        if not _CURSOR.fullmatch(cursor) or int(cursor) > size:
            raise AdapterRequestError(self.node_id, "the cursor is not one this node returned")
        return int(cursor)

    @staticmethod
    def _candidates(snapshot: Snapshot, filter: Filter, start: int) -> Sequence[int]:
        """Positions worth testing, in file order: the narrowest equality index, else all."""
        best: list[int] | None = None
        for name, ops in filter.items():
            for op, operand in ops.items():
                if op in ("eq", "in"):
                    found = snapshot.positions(name, [operand] if op == "eq" else operand)
                    if best is None or len(found) < len(best):
                        best = found
        if best is None:
            return range(start, len(snapshot.records))
        return best[bisect.bisect_left(best, start) :]


def _project(record: Record, fields: Sequence[str] | None) -> Record:
    """A copy of the record limited to the requested fields (absent ones stay absent)."""
    if fields is None:
        return dict(record)
    return {name: record[name] for name in fields if name in record}
