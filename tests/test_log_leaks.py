"""Every log written during the test run — the gateway's in-process logs and the logs of every
gateway, demo and adapter-server process the tests started — holds no demo secret, no token and
no personal value of the demo data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from adapters import build_adapter
from adapters.nodes import load_nodes
from adapters.protocol import QueryRequest
from catalog import load_catalog
from gateway.demo import generate

from .conftest import LOG_DIR

pytestmark = pytest.mark.last

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
RESIDENT_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
CJK = re.compile(r"[\u4e00-\u9fff0-9（）()·\-号室层幢单元栋]{2,}")


def _personal_values(tmp_path: Path) -> set[str]:
    """Every value of every personal field in the demo data (x-sensitivity in the catalogue)."""
    catalog = load_catalog()
    nodes = load_nodes()
    generate(tmp_path, nodes, catalog, seed=2026)
    values: set[str] = set()
    for node in nodes.values():
        adapter = build_adapter(node, data_dir=tmp_path)
        for dataset_id in node.datasets:
            dataset = catalog.get(dataset_id)
            assert dataset is not None
            personal = [f.name for f in dataset.fields.values() if f.sensitivity]
            if not personal:
                continue
            cursor = None
            while True:
                page = adapter.query(
                    QueryRequest(
                        dataset=dataset_id, fields=tuple(personal), limit=1000, cursor=cursor
                    )
                )
                for record in page.records:
                    for name in personal:
                        value = record.get(name)
                        for item in value if isinstance(value, list) else [value]:
                            if isinstance(item, str) and len(item) >= 2:
                                values.add(item)
                cursor = page.next_cursor
                if cursor is None:
                    break
        adapter.close()
    return values


def _demo_secrets() -> set[str]:
    secrets: set[str] = set()
    for path in Path("/tmp").glob("pytest-of-*/pytest-current/**/demo-clients.json"):
        for client in json.loads(path.read_text("utf-8")):
            if client.get("client_secret"):
                secrets.add(client["client_secret"])
    return secrets


def scan(logs: list[Path], personal: set[str], secrets: set[str]) -> list[str]:
    found: list[str] = []
    for path in logs:
        text = path.read_text("utf-8", errors="replace")
        found += [f"{path.name}: token {m[:20]}…" for m in JWT.findall(text)]
        found += [f"{path.name}: demo secret" for s in secrets if s in text]
        candidates = (
            set(RESIDENT_ID.findall(text)) | set(MOBILE.findall(text)) | set(CJK.findall(text))
        )
        found += [f"{path.name}: personal value {v[:2]}…" for v in candidates & personal]
        for run in set(CJK.findall(text)):  # names inside longer Chinese runs
            pieces = {run[i : i + n] for n in (3, 4) for i in range(len(run) - n + 1)}
            found += [f"{path.name}: personal value {v[:1]}…" for v in pieces & personal]
    return sorted(set(found))


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    planted = tmp_path / "planted.log"
    planted.write_text(
        '{"message": "lookup 11010519491231002X by 欧阳明远 from 13812345678"}\n'
        '{"message": "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}\n'
        '{"message": "secret s3cr3t-value"}\n',
        "utf-8",
    )
    found = scan([planted], {"11010519491231002X", "欧阳明远", "13812345678"}, {"s3cr3t-value"})
    text = "\n".join(found)
    for what in (
        "token",
        "demo secret",
        "personal value 11",
        "personal value 13",
        "personal value 欧",
    ):
        assert what in text, found


def test_no_log_holds_a_secret_a_token_or_a_personal_value(tmp_path: Path) -> None:
    logs = sorted(LOG_DIR.glob("*.log"))
    assert logs, "the run kept no logs to scan"
    found = scan(logs, _personal_values(tmp_path), _demo_secrets())
    assert not found, "\n".join(found[:40])
