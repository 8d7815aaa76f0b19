"""Nodes at scale: the SQL adapter over a market-entity table of millions of rows on PostgreSQL.

    python -m bench.nodes --rows 10000000 [--seed 2026] [--json out.json]

The table (``bench.node_table``) is made once and kept. Measured, one request at a time: key
lookups (one record by credit code, what ``GET /v1/datasets/…/records/<key>`` asks a node) and
keyset pages of 50 records starting at keys spread over the whole table — the whole node, one
district (``regionCode in [leaf]``) and one province (its leaves) — through the SQL adapter
in-process, and key lookups and pages through the adapter server over HTTP with a gateway-signed
token. The plan PostgreSQL chose for each kind of statement the adapter ran is reported with it,
and what the file adapter's snapshots take in memory (``bench.snapshot_memory``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import psycopg.sql
import yaml
from joserfc import jwt
from joserfc.jwk import ECKey

from adapters import QueryRequest, SqlAdapter
from adapters.keyset import encode_cursor
from catalog import load_regions

from . import node_table, snapshot_memory
from .plans import Scan, scans, statements
from .processes import JJJ, Process, clean_environment, free_port

DATASET = node_table.DATASET
PAGE_SIZE = 50
ISSUER = "http://bench.jjj-gateway.invalid"


@dataclass(frozen=True, slots=True)
class Case:
    """One kind of request: its name and the query for the i-th sample key."""

    name: str
    query: Callable[[str], QueryRequest]


def sample_keys(url: str, count: int, seed: int, rows: int) -> list[str]:
    """``count`` keys from pages spread over the table (TABLESAMPLE SYSTEM, repeatable)."""
    percent = min(100.0, 100.0 * count * 20 / rows)
    key = node_table.field_spec().local_name("creditCode")
    query = psycopg.sql.SQL("SELECT {} FROM {} TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)").format(
        psycopg.sql.Identifier(key), psycopg.sql.Identifier(node_table.TABLE)
    )
    with psycopg.connect(node_table.libpq(url)) as conn:
        found = [str(row[0]) for row in conn.execute(query, (percent, seed))]
    rng = random.Random(seed)  # noqa: S311 — reproducible samples
    return rng.sample(found, min(count, len(found)))


def cases() -> list[Case]:
    regions = load_regions()
    district = "110108"
    province = sorted(regions.leaves("130000"))

    def lookup(key: str) -> QueryRequest:
        return QueryRequest(DATASET, {"creditCode": {"eq": key}}, limit=1)

    def page(key: str) -> QueryRequest:
        return QueryRequest(DATASET, limit=PAGE_SIZE, cursor=encode_cursor([key]))

    def district_page(key: str) -> QueryRequest:
        return QueryRequest(
            DATASET,
            {"regionCode": {"in": [district]}},
            limit=PAGE_SIZE,
            cursor=encode_cursor([key]),
        )

    def province_page(key: str) -> QueryRequest:
        return QueryRequest(
            DATASET, {"regionCode": {"in": province}}, limit=PAGE_SIZE, cursor=encode_cursor([key])
        )

    return [
        Case("key lookup", lookup),
        Case(f"keyset page of {PAGE_SIZE}", page),
        Case(f"keyset page of {PAGE_SIZE}, district {district}", district_page),
        Case(
            f"keyset page of {PAGE_SIZE}, province 130000 ({len(province)} leaves)", province_page
        ),
    ]


def _counted(texts: Iterable[str]) -> list[str]:
    """Each distinct text once, with ``× n`` when it came n > 1 times (the scans of a plan)."""
    counts = Counter(texts)
    return [text if n == 1 else f"{text} × {n}" for text, n in counts.items()]


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": round(statistics.median(ordered) * 1000, 3),
        "p99": round(cut[98] * 1000, 3),
        "max": round(ordered[-1] * 1000, 3),
    }


def _timed(call: Callable[[str], int], keys: Sequence[str]) -> tuple[list[float], int]:
    """Seconds of each ``call(key)``, one after the other, and the records they returned."""
    latencies: list[float] = []
    records = 0
    for key in keys:
        started = time.perf_counter()
        records += call(key)
        latencies.append(time.perf_counter() - started)
    return latencies, records


def measure_in_process(
    table: node_table.NodeTable, keys: Sequence[str], say: Callable[[str], Any]
) -> dict[str, Any]:
    """Each case through the SQL adapter, after a warm-up pass over other keys."""
    adapter = SqlAdapter(table.node(), data_dir=Path(tempfile.gettempdir()))
    out: dict[str, Any] = {}
    try:
        warm, timed = keys[: len(keys) // 4], keys[len(keys) // 4 :]
        for case in cases():
            for key in warm:
                adapter.query(case.query(key))
            with statements() as seen:
                adapter.query(case.query(timed[0]))
            ran = [s for s in seen if node_table.TABLE in s.sql]
            plan: list[Scan] = scans(table.url, ran[-1]) if ran else []

            def call(key: str, case: Case = case) -> int:
                return len(adapter.query(case.query(key)).records)

            latencies, records = _timed(call, timed)
            out[case.name] = percentiles(latencies) | {
                "requests": len(latencies),
                "records": records,
                "sql": ran[-1].sql if ran else None,
                "plan": _counted(str(scan) for scan in plan),
            }
            say(
                f"[nodes] in-process {case.name}: p50 {out[case.name]['p50']:.2f} ms, "
                f"p99 {out[case.name]['p99']:.2f} ms; {', '.join(out[case.name]['plan'])}"
            )
    finally:
        adapter.close()
    return out


class AdapterServer:
    """``jjj-gateway adapter serve`` for the bench node, with a key to sign its tokens."""

    def __init__(self, table: node_table.NodeTable, folder: Path) -> None:
        self.key = ECKey.generate_key("P-256", {"kid": "bench-1", "alg": "ES256", "use": "sig"})
        nodes = folder / "nodes"
        nodes.mkdir(parents=True)
        node = table.node()
        spec = node.datasets[DATASET]
        document = {
            "id": node.id,
            "name": {"zh": node.name_zh, "en": node.name_en},
            "level": node.level,
            "region": node.region,
            "adapter": dict(node.adapter),
            "datasets": {
                DATASET: {
                    "regions": list(spec.regions),
                    "source": spec.source,
                    "fields": dict(spec.fields),
                }
            },
        }
        (nodes / f"{node.id}.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
        jwks = folder / "jwks.json"
        jwks.write_text(json.dumps({"keys": [self.key.as_dict(private=False)]}))
        self.url = f"http://127.0.0.1:{free_port()}"
        env = clean_environment(
            {"GATEWAY_NODES_DIR": str(nodes), "GATEWAY_ISSUER": ISSUER, "OTEL_SDK_DISABLED": "true"}
        )
        self.node_id = node.id
        self.process = Process(
            "adapter-bench-sql",
            [
                JJJ,
                "adapter",
                "serve",
                "--node",
                node.id,
                "--bind",
                self.url[7:],
                "--jwks-file",
                str(jwks),
            ],
            env=env,
            log_dir=folder,
            health_url=f"{self.url}/livez",
        )

    def token(self) -> str:
        """A token as the gateway signs one for the node (60 s)."""
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": self.node_id, "iat": now, "exp": now + 60}
        claims |= {"jti": uuid.uuid4().hex, "sub": "jjj-gateway"}
        header = {"alg": "ES256", "typ": "JWT", "kid": "bench-1"}
        return jwt.encode(header, claims, self.key, algorithms=["ES256"])


def measure_http(
    table: node_table.NodeTable, keys: Sequence[str], say: Callable[[str], Any]
) -> dict[str, Any]:
    """Key lookups and whole-node pages through the adapter server, one connection."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="jjj-bench-nodes-") as folder:
        server = AdapterServer(table, Path(folder))
        server.process.start()
        try:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                for case in cases()[:2]:
                    warm, timed = keys[: len(keys) // 4], keys[len(keys) // 4 :]
                    token = {"time": 0.0, "value": ""}

                    def call(key: str, case: Case = case, token: dict[str, Any] = token) -> int:
                        if time.monotonic() - token["time"] > 30:
                            token.update(time=time.monotonic(), value=server.token())
                        answer = http.post(
                            "/query",
                            json=case.query(key).to_json(),
                            headers={"Authorization": f"Bearer {token['value']}"},
                        )
                        answer.raise_for_status()
                        return len(answer.json()["records"])

                    for key in warm:
                        call(key)
                    latencies, records = _timed(call, timed)
                    out[case.name] = percentiles(latencies) | {
                        "requests": len(latencies),
                        "records": records,
                    }
                    say(
                        f"[nodes] over HTTP {case.name}: p50 {out[case.name]['p50']:.2f} ms, "
                        f"p99 {out[case.name]['p99']:.2f} ms"
                    )
        finally:
            server.process.stop()
    return out


def run(
    rows: int,
    seed: int,
    *,
    samples: int = 2000,
    http: bool = True,
    regenerate: bool = False,
    say: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Load (or reuse) the table and measure; the result as the bench report holds it."""
    table = node_table.load(rows, seed, say=say, regenerate=regenerate)
    keys = sample_keys(table.url, samples, seed, rows)
    result: dict[str, Any] = {
        "rows": rows,
        "seed": seed,
        "reused": table.reused,
        "loadSeconds": round(table.load_seconds, 1),
        "indexSeconds": round(table.index_seconds, 1),
        "indexes": node_table.index_statements(table.spec),
        "size": node_table.sizes(table.url),
        "samples": len(keys),
        "inProcess": measure_in_process(table, keys, say),
    }
    if http:
        result["http"] = measure_http(table, keys, say)
    say("[nodes] file snapshots in memory (the demo data, scale 1) …")
    result["fileSnapshots"] = snapshot_memory.run(1.0)
    return result


def _gb(size: int) -> str:
    return f"{size / 1e9:.2f} GB"


def render(result: dict[str, Any]) -> str:
    """The markdown section of the bench report."""
    size = result["size"]
    made = "made by an earlier run and reused" if result["reused"] else "made in this run"
    lines = [
        f"### Nodes at scale: the SQL adapter over {size['rows']:,} market-entity rows "
        "(PostgreSQL)",
        "",
        f"Table {node_table.TABLE}: {_gb(size['tableBytes'])}, indexes {_gb(size['indexBytes'])} "
        f"({', '.join(f'{name} {_gb(b)}' for name, b in size['indexes'].items())}); {made}: "
        f"rows generated and loaded with COPY in {result['loadSeconds']:.0f} s, indexes created "
        f"in {result['indexSeconds']:.0f} s. Indexes: "
        + "; ".join(f"`{statement}`" for statement in result["indexes"])
        + ".",
        "",
        f"One request at a time, {result['samples']:,} sample keys (a quarter of them warm-up):",
        "",
        "| path | request | p50 ms | p99 ms | plan |",
        "|---|---|---:|---:|---|",
    ]
    for path, label in (("inProcess", "adapter in-process"), ("http", "adapter server, HTTP")):
        for name, figures in result.get(path, {}).items():
            plan = "; ".join(figures.get("plan", ()))
            lines.append(
                f"| {label} | {name} | {figures['p50']:.2f} | {figures['p99']:.2f} | {plan} |"
            )
    snapshots = result.get("fileSnapshots")
    if snapshots:
        lines += [
            "",
            f"File nodes: the demo's {snapshots['files']} snapshots ({snapshots['fileBytes']:,} "
            f"bytes, {snapshots['records']:,} records) take {snapshots['rssBytes'] / 2**20:.1f} "
            f"MiB of RSS loaded with their key indexes: {snapshots['rssPerFileByte']} bytes per "
            f"byte of file, {snapshots['rssPerRecord']:,} bytes per record.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.nodes", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--samples", type=int, default=2000, help="keys sampled (2000)")
    parser.add_argument("--no-http", action="store_true", help="skip the adapter server")
    parser.add_argument("--regenerate", action="store_true", help="make the table again")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.rows < 1 or args.samples < 8:
        parser.error("--rows must be positive and --samples at least 8")
    result = run(
        args.rows,
        args.seed,
        samples=args.samples,
        http=not args.no_http,
        regenerate=args.regenerate,
        say=lambda text: print(text, file=sys.stderr, flush=True),
    )
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), "utf-8")
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
