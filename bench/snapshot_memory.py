"""What a file node's snapshots take in memory: RSS per byte of JSONL and per record.

    python -m bench.snapshot_memory [--scale 1] [--json out.json]

Generates the demo data (seed 2026) in a temporary folder, then, in a fresh process, loads
every file node's snapshots as the file adapter does and builds the key index of each (what the
first key lookup builds), measuring the process's resident set before and after
(docs/deployment.md#file-nodes-the-snapshot-memory-limit).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from adapters.file import FileAdapter, snapshot_paths
from adapters.nodes import load_nodes
from adapters.protocol import QueryRequest
from catalog import load_catalog
from gateway.demo import generate

from .deployment import SEED


def _rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(data_dir: Path) -> dict[str, Any]:
    """Load every file node of the demo from ``data_dir`` in this process, RSS before and after."""
    catalog = load_catalog()
    nodes = [node for node in load_nodes().values() if node.kind == "file"]
    files = [path for node in nodes for path in snapshot_paths(node, data_dir).values()]
    gc.collect()
    before = _rss_bytes()
    adapters = [FileAdapter(node, data_dir=data_dir) for node in nodes]
    for adapter, node in zip(adapters, nodes, strict=True):
        for dataset in node.datasets:
            key = catalog.datasets[dataset].key_field
            # The key index, as the first key lookup builds it.
            adapter.query(QueryRequest(dataset, {key: {"eq": ""}}, limit=1))
    gc.collect()
    grown = _rss_bytes() - before
    size = sum(path.stat().st_size for path in files)
    records = sum(1 for path in files for line in path.open("rb") if line.strip())
    return {
        "files": len(files),
        "fileBytes": size,
        "records": records,
        "rssBytes": grown,
        "rssPerFileByte": round(grown / size, 2),
        "rssPerRecord": round(grown / records),
    }


def run(scale: float) -> dict[str, Any]:
    """Generate the demo data at ``scale`` and measure it in a process of its own."""
    with tempfile.TemporaryDirectory(prefix="jjj-bench-snapshots-") as folder:
        data_dir = Path(folder) / "data"
        generate(data_dir, load_nodes(), load_catalog(), seed=SEED, scale=scale)
        done = subprocess.run(  # noqa: S603 — this module, fixed arguments
            [sys.executable, "-m", "bench.snapshot_memory", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the snapshot memory measurement failed: {done.stderr[-1500:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result | {"scale": scale}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.snapshot_memory")
    parser.add_argument("--scale", type=float, default=1.0, help="demo data scale (1)")
    parser.add_argument("--data-dir", type=Path, help="measure this demo data, in this process")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    result = measure(args.data_dir) if args.data_dir else run(args.scale)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
