"""The file adapter: JSONL snapshots loaded once, queried in memory."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from adapters import (
    AdapterRequestError,
    FileAdapter,
    NodeConfig,
    NodeConfigError,
    NodeDataset,
    QueryRequest,
    SnapshotError,
    default_directory,
    load_nodes,
)
from adapters.file import oversized_snapshots
from tests.adapters.conftest import (
    DATASET,
    RECORDS,
    file_node,
    keys_of,
    node_config,
    snapshot_node,
    write_jsonl,
)


def test_records_come_in_file_order(tmp_path: Path) -> None:
    adapter = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    page = adapter.query(QueryRequest(DATASET, {"listed": {"eq": False}}))
    assert keys_of(page.records) == keys_of(r for r in RECORDS if r["listed"] is False)


def test_pages_keep_file_order_across_the_cursor(tmp_path: Path) -> None:
    adapter = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    first = adapter.query(QueryRequest(DATASET, limit=5))
    second = adapter.query(QueryRequest(DATASET, limit=5, cursor=first.next_cursor))
    assert keys_of([*first.records, *second.records]) == keys_of(RECORDS)
    assert second.next_cursor is None


def test_index_lookups_agree_with_a_scan_for_every_value(tmp_path: Path) -> None:
    records = [
        {
            "creditCode": f"K{i:04d}",
            "name": f"n{i % 7}",
            "status": ["存续", "在业"][i % 2],
            "employees": i % 5,
            "listed": i % 3 == 0,
        }
        for i in range(300)
    ]
    adapter = FileAdapter(file_node(tmp_path, records), data_dir=tmp_path)
    for value in range(6):
        page = adapter.query(QueryRequest(DATASET, {"employees": {"eq": value}}, limit=1000))
        assert keys_of(page.records) == keys_of(r for r in records if r["employees"] == value)
    # Repeated lookups reuse the index and still page correctly.
    cursor = None
    seen: list[str] = []
    while True:
        page = adapter.query(
            QueryRequest(
                DATASET,
                {"name": {"in": ["n1", "n3"]}, "status": {"eq": "在业"}},
                limit=7,
                cursor=cursor,
            )
        )
        seen.extend(keys_of(page.records))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == keys_of(
        r for r in records if r["name"] in ("n1", "n3") and r["status"] == "在业"
    )


def test_eq_keeps_json_types_apart(tmp_path: Path) -> None:
    records: list[dict[str, object]] = [
        {"creditCode": "A", "flag": True},
        {"creditCode": "B", "flag": 1},
        {"creditCode": "C", "flag": "1"},
        {"creditCode": "D", "flag": 1.0},
    ]
    adapter = FileAdapter(file_node(tmp_path, records), data_dir=tmp_path)

    def lookup(value: object) -> list[str]:
        return keys_of(adapter.query(QueryRequest(DATASET, {"flag": {"eq": value}})).records)

    assert lookup(True) == ["A"]
    assert lookup(1) == ["B", "D"]
    assert lookup("1") == ["C"]
    found = adapter.query(QueryRequest(DATASET, {"flag": {"in": [True, "1"]}})).records
    assert keys_of(found) == ["A", "C"]


def test_comparisons_never_mix_strings_and_numbers(tmp_path: Path) -> None:
    records: list[dict[str, object]] = [
        {"creditCode": "A", "v": 5},
        {"creditCode": "B", "v": "5"},
        {"creditCode": "C", "v": None},
        {"creditCode": "D"},
    ]
    adapter = FileAdapter(file_node(tmp_path, records), data_dir=tmp_path)
    page = adapter.query(QueryRequest(DATASET, {"v": {"gte": 0}}))
    assert keys_of(page.records) == ["A"]
    page = adapter.query(QueryRequest(DATASET, {"v": {"gte": "0"}}))
    assert keys_of(page.records) == ["B"]


def test_a_field_the_mapping_renames_is_not_passed_on_under_its_catalogue_name(
    tmp_path: Path,
) -> None:
    path = tmp_path / "snapshots" / "entities.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps({"tyshxydm": "A", "name": "local other meaning", "qymc": "Real"}) + "\n",
        encoding="utf-8",
    )
    record = FileAdapter(snapshot_node(), data_dir=tmp_path).query(QueryRequest(DATASET)).records[0]
    assert record == {"creditCode": "A", "name": "Real"}


def test_a_corrupt_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "snapshots" / "entities.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text('{"tyshxydm": "A"}\n\n{"tyshxydm": "B",\n', encoding="utf-8")
    with pytest.raises(SnapshotError) as raised:
        FileAdapter(snapshot_node(), data_dir=tmp_path)
    assert raised.value.file == path
    assert raised.value.line == 3
    assert "entities.jsonl, line 3: not valid JSON" in str(raised.value)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('["not", "an", "object"]\n', 1, "not a JSON object"),
        ('{"a": 1}\n{"b": NaN}\n', 2, "not valid JSON"),
        (b'{"a": 1}\n{"a": "\xff"}\n', 2, "not UTF-8"),
    ],
)
def test_a_line_that_is_no_json_object_is_reported(
    tmp_path: Path, content: str | bytes, line: int | None, message: str
) -> None:
    path = tmp_path / "snapshots" / "entities.jsonl"
    path.parent.mkdir(parents=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SnapshotError) as raised:
        FileAdapter(snapshot_node(), data_dir=tmp_path)
    assert raised.value.line == line
    assert message in str(raised.value)


def test_a_missing_snapshot_is_reported_at_load(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"entities\.jsonl: cannot be read"):
        FileAdapter(snapshot_node(), data_dir=tmp_path)


def test_a_dataset_without_source_reads_the_file_named_after_it(tmp_path: Path) -> None:
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "snapshots" / f"{DATASET}.jsonl").write_text('{"creditCode": "A"}\n', "utf-8")
    node = node_config(
        {"kind": "file", "path": "snapshots"}, datasets={DATASET: NodeDataset(regions=("110108",))}
    )
    page = FileAdapter(node, data_dir=tmp_path).query(QueryRequest(DATASET))
    assert page.records == [{"creditCode": "A"}]


def test_returned_records_are_copies(tmp_path: Path) -> None:
    adapter = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    first = adapter.query(QueryRequest(DATASET, {"creditCode": {"eq": "91110108MA00000001"}}))
    first.records[0]["name"] = "changed"
    again = adapter.query(QueryRequest(DATASET, {"creditCode": {"eq": "91110108MA00000001"}}))
    assert again.records[0]["name"] == "北京海淀科技有限公司"


@pytest.mark.parametrize("cursor", ["-1", "1.5", "99", "", "0x1"])
def test_a_cursor_not_returned_by_the_node_is_refused(tmp_path: Path, cursor: str) -> None:
    adapter = FileAdapter(file_node(tmp_path), data_dir=tmp_path)
    with pytest.raises(AdapterRequestError):
        adapter.query(QueryRequest(DATASET, cursor=cursor))


def _limited_node(limit: int) -> NodeConfig:
    node = snapshot_node()
    return replace(node, adapter={**node.adapter, "maxSnapshotBytes": limit})


def test_a_snapshot_above_its_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "snapshots" / "entities.jsonl", RECORDS)
    size = path.stat().st_size
    with pytest.raises(SnapshotError) as raised:
        FileAdapter(_limited_node(size - 1), data_dir=tmp_path)
    message = str(raised.value)
    assert raised.value.file == path and raised.value.line is None
    assert f"{size:,} bytes" in message and f"limit of {size - 1:,} bytes" in message
    assert "maxSnapshotBytes" in message


def test_a_snapshot_as_large_as_its_limit_loads(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "snapshots" / "entities.jsonl", RECORDS)
    adapter = FileAdapter(_limited_node(path.stat().st_size), data_dir=tmp_path)
    assert len(adapter.query(QueryRequest(DATASET, limit=1000)).records) == len(RECORDS)


def test_a_snapshot_read_beyond_its_limit_is_refused_while_it_loads(tmp_path: Path) -> None:
    # A pipe has no size to check first: the bytes read are counted.
    path = tmp_path / "snapshots" / "entities.jsonl"
    path.parent.mkdir()
    os.mkfifo(path)
    line = (json.dumps({"tyshxydm": "A", "qymc": "x" * 100}) + "\n").encode()

    def feed() -> None:
        try:
            with path.open("wb") as pipe:
                for _ in range(1000):
                    pipe.write(line)
        except BrokenPipeError:
            pass  # the reader stopped, as it should

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with pytest.raises(SnapshotError) as raised:
            FileAdapter(_limited_node(len(line) * 10), data_dir=tmp_path)
    finally:
        writer.join(timeout=10)
    assert raised.value.line == 11
    assert f"limit of {len(line) * 10:,} bytes" in str(raised.value)


def test_oversized_snapshots_are_found_without_reading_them(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "snapshots" / "entities.jsonl", RECORDS)
    assert oversized_snapshots(_limited_node(path.stat().st_size), tmp_path) == []
    (found,) = oversized_snapshots(_limited_node(10), tmp_path)
    assert found.file == path and "limit of 10 bytes" in str(found)
    # A missing file is the load's to report.
    assert oversized_snapshots(_limited_node(10), tmp_path / "elsewhere") == []


@pytest.mark.parametrize("limit", [0, -1, 1.5, "64MiB"])
def test_a_snapshot_limit_that_is_no_positive_integer_is_a_configuration_error(
    tmp_path: Path, limit: object
) -> None:
    document = yaml.safe_load((default_directory() / "beijing-chaoyang.yaml").read_text("utf-8"))
    document["adapter"]["maxSnapshotBytes"] = limit
    (tmp_path / "beijing-chaoyang.yaml").write_text(yaml.safe_dump(document), "utf-8")
    with pytest.raises(NodeConfigError, match=r"\$\.adapter"):
        load_nodes(tmp_path)
