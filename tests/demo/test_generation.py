"""The generator's contract: deterministic, atomic replacement, sizes, timing report."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.nodes import NodeConfig, NodeDataset
from catalog import Catalog
from gateway.demo import generate

from .conftest import DemoData


def fingerprint(directory: Path) -> dict[str, str]:
    """SHA-256 of every file below the directory, by relative path."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_byte_identical_files_in_any_process(
    tmp_path: Path, catalog: Catalog, nodes: dict[str, NodeConfig]
) -> None:
    # String hashing differs between processes: a set or dict order leaking into the data shows.
    script = (
        "import sys; from pathlib import Path; from adapters.nodes import load_nodes; "
        "from catalog import load_catalog; from gateway.demo import generate; "
        "generate(Path(sys.argv[1]), load_nodes(), load_catalog(), seed=7, scale=0.1)"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "there")],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=True,
        timeout=120,
    )
    generate(tmp_path / "here", nodes, catalog, seed=7, scale=0.1)
    here = fingerprint(tmp_path / "here")
    assert any(name.endswith(".sqlite") for name in here)
    assert any(name.endswith(".jsonl") for name in here)
    assert here == fingerprint(tmp_path / "there")


def test_another_seed_gives_other_data(
    tmp_path: Path, catalog: Catalog, nodes: dict[str, NodeConfig]
) -> None:
    generate(tmp_path / "one", nodes, catalog, seed=7, scale=0.1)
    generate(tmp_path / "two", nodes, catalog, seed=8, scale=0.1)
    one, two = fingerprint(tmp_path / "one"), fingerprint(tmp_path / "two")
    assert one.keys() == two.keys()
    assert all(one[name] != two[name] for name in one if name.endswith("market-entities.jsonl"))


def test_regeneration_replaces_the_whole_directory(
    tmp_path: Path, catalog: Catalog, nodes: dict[str, NodeConfig]
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "beijing").mkdir(parents=True)
    (data_dir / "beijing" / "stale.jsonl").write_text("{}\n", "utf-8")
    generate(data_dir, nodes, catalog, scale=0.05)
    assert not (data_dir / "beijing" / "stale.jsonl").exists()
    assert (data_dir / "beijing" / "market-entities.jsonl").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_failed_generation_keeps_the_previous_data(
    tmp_path: Path, catalog: Catalog, nodes: dict[str, NodeConfig]
) -> None:
    data_dir = tmp_path / "data"
    generate(data_dir, nodes, catalog, scale=0.05)
    before = fingerprint(data_dir)
    broken = NodeConfig(
        id="broken",
        name_zh="损坏节点",
        name_en="Broken node",
        level="district",
        region="110108",
        adapter={"kind": "sql", "url": "nosuchdialect://nowhere/db"},
        datasets={"patent-grants": NodeDataset(regions=("110108",), source="zl")},
    )
    with pytest.raises(Exception, match="nosuchdialect"):
        generate(data_dir, {**nodes, "broken": broken}, catalog, scale=0.05)
    assert fingerprint(data_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_report_counts_every_node_dataset_and_the_total(demo: DemoData) -> None:
    report = demo.report
    assert report.total == sum(report.counts.values())
    assert report.seconds > 0
    assert report.seed == 2026
    assert {key: len(records) for key, records in demo.records.items()} == dict(report.counts)


def test_household_registration_is_never_generated(demo: DemoData) -> None:
    assert not [key for key in demo.report.counts if key[1] == "household-registration"]
    assert not demo.of_dataset("household-registration")


def test_scale_shrinks_the_data(
    tmp_path: Path, catalog: Catalog, nodes: dict[str, NodeConfig], demo: DemoData
) -> None:
    small = generate(tmp_path / "small", nodes, catalog, scale=0.1)
    assert 0 < small.total < demo.report.total / 5
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path / "none", nodes, catalog, scale=0)
