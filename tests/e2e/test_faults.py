"""Node faults through the real HTTP path: one gateway process, and for each fault kind a node
reached over the adapter protocol whose adapter server misbehaves that way
(``jjj-gateway adapter serve --fault``). Beijing stays in-process and healthy: its records must
still arrive, marked incomplete, while the failed node is named with its source status; strict
lookups become 502/504 problems; nothing is ever a 500 or shows an internal detail.
"""

from __future__ import annotations

import concurrent.futures as cf
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from adapters.kinds import build_adapter
from adapters.nodes import default_directory, load_nodes
from adapters.protocol import QueryRequest
from catalog.uscc import check_character

from .instances import prepare_instance
from .processes import JJJ, Process, free_port

pytestmark = pytest.mark.slow

DATASET = "market-entity-registration"
ME = f"/v1/datasets/{DATASET}"
#: Served in-process by the healthy Beijing node.
HEALTHY_REGIONS = ["110101", "110102"]
BREAKER_FAILURES = 4
#: Long enough for the open-circuit checks on a busy machine.
COOLDOWN = 3.0


@dataclass(frozen=True)
class FaultyNode:
    node: str
    fault: str
    region: str  # a region only this node serves
    status: str  # the source status the gateway reports
    strict: int  # the status of a strict request


FAULTY = {
    case.fault.split(":")[0]: case
    for case in (
        FaultyNode("beijing-haidian", "slow:5", "110108", "timeout", 504),
        FaultyNode("beijing-chaoyang", "status:500", "110105", "error", 502),
        FaultyNode("beijing-tongzhou", "reset", "110112", "unavailable", 502),
        FaultyNode("tianjin-binhai", "malformed-json", "120116", "error", 502),
        FaultyNode("hebei-shijiazhuang", "invalid-records", "130100", "invalid-data", 502),
        FaultyNode("hebei-langfang", "oversized:300000", "131000", "error", 502),
        FaultyNode("tianjin", "wrong-content-type", "120101", "error", 502),
    )
}
FLAKY = FaultyNode("hebei-xiongan", "flaky:1", "xiongan", "ok", 200)
#: Each read is retried twice (three attempts): the breaker node fails exactly the attempts of the
#: calls that open its circuit, and is healthy again for the half-open probe.
RETRIES = 2
BROKEN = FaultyNode(
    "hebei", f"flaky:{BREAKER_FAILURES * (1 + RETRIES)}", "130602", "unavailable", 502
)
#: Node read timeouts: short for the slow node, so its timeout costs half a second.
READ_TIMEOUT = {"beijing-haidian": 0.5}
#: The oversized node's answers are capped well below what it sends.
MAX_RESPONSE_BYTES = {"hebei-langfang": 65536}
#: What no answer may show: a stack, a source file, the gateway's host, an exception class.
LEAKS = re.compile(r"Traceback|File \"|\w+\.py\b|127\.0\.0\.1|localhost|\w+(Error|Exception)\b")


@dataclass
class Faults:
    base_url: str
    token: str
    log_dir: Path
    data_dir: Path

    def query(self, regions: list[str], **body: Any) -> httpx.Response:
        return self._answer(
            httpx.post(
                f"{self.base_url}{ME}/query",
                json={"regions": regions, "limit": 20, **body},
                headers=self._headers(),
                timeout=30,
            )
        )

    def lookup(self, key: str) -> httpx.Response:
        return self._answer(
            httpx.get(f"{self.base_url}{ME}/records/{key}", headers=self._headers(), timeout=30)
        )

    def readyz_nodes(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base_url}/readyz", timeout=30).json()["checks"]["nodes"])

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"{self.base_url}/metrics", timeout=30).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    return float(sample.value)
        return 0.0

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Purpose": "statistics"}

    @staticmethod
    def _answer(response: httpx.Response) -> httpx.Response:
        assert response.status_code != 500, response.text
        assert not LEAKS.search(response.text), response.text
        return response


def key_in(region: str) -> str:
    """A well-formed USCC registered in the region (whether anybody holds it does not matter)."""
    body = f"91{region}MA0000001"
    return body + check_character(body)


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faults]:
    root = tmp_path_factory.mktemp("faults")
    env, client_id, secret = prepare_instance(root, tier="government")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env["GATEWAY_ISSUER"] = base_url  # adapter servers fetch the gateway's keys from there
    nodes_dir, log_dir = root / "nodes", root / "logs"
    nodes_dir.mkdir()
    log_dir.mkdir()
    remote = [*FAULTY.values(), FLAKY, BROKEN]
    urls = {case.node: f"http://127.0.0.1:{free_port()}" for case in remote}
    for path in default_directory().glob("*.yaml"):
        document = yaml.safe_load(path.read_text("utf-8"))
        node = document["id"]
        if node in urls:
            document["adapter"] = {
                "kind": "http",
                "url": urls[node],
                "timeouts": {"connect": 1, "read": READ_TIMEOUT.get(node, 5)},
                **(
                    {"maxResponseBytes": MAX_RESPONSE_BYTES[node]}
                    if node in MAX_RESPONSE_BYTES
                    else {}
                ),
            }
        (nodes_dir / path.name).write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    gateway = Process(
        "gateway",
        [JJJ, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "16"],
        env=env
        | {
            "GATEWAY_NODES_DIR": str(nodes_dir),
            "GATEWAY_NODE_BREAKER_FAILURES": str(BREAKER_FAILURES),
            "GATEWAY_NODE_BREAKER_COOLDOWN": str(COOLDOWN),
            "GATEWAY_NODE_RETRIES": str(RETRIES),
        },
        log_dir=log_dir,
        health_url=f"{base_url}/healthz",
    )
    adapters = [
        Process(
            f"adapter-{case.node}",
            [
                JJJ,
                "adapter",
                "serve",
                "--node",
                case.node,
                "--fault",
                case.fault,
                "--bind",
                urls[case.node].removeprefix("http://"),
            ],
            env=env,
            log_dir=log_dir,
            health_url=f"{urls[case.node]}/health",
        )
        for case in remote
    ]
    try:
        # Started together: an adapter server needs the gateway's keys only on its first query.
        with cf.ThreadPoolExecutor(1 + len(adapters)) as pool:
            for started in [pool.submit(p.start) for p in (gateway, *adapters)]:
                started.result()
        token = httpx.post(
            f"{base_url}/oauth/token",
            auth=(client_id, secret),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        yield Faults(base_url, token, log_dir, Path(env["GATEWAY_DATA_DIR"]))
    finally:
        with cf.ThreadPoolExecutor(1 + len(adapters)) as pool:
            list(pool.map(Process.stop, (*adapters, gateway)))


@pytest.mark.parametrize("kind", list(FAULTY))
def test_a_faulty_node_is_named_and_the_healthy_records_still_arrive(
    faults: Faults, kind: str
) -> None:
    case = FAULTY[kind]
    response = faults.query([case.region, *HEALTHY_REGIONS])
    assert response.status_code == 200, response.text
    body = response.json()
    sources = {s["node"]: s for s in body["meta"]["sources"]}
    assert sources[case.node]["status"] == case.status
    assert sources[case.node]["count"] == 0
    assert sources["beijing"]["status"] == "ok" and sources["beijing"]["count"] > 0
    assert body["meta"]["complete"] is False
    assert response.headers["X-Exchange-Complete"] == "false"
    assert body["data"] and {r["regionCode"] for r in body["data"]} <= set(HEALTHY_REGIONS)

    strict = faults.query([case.region, *HEALTHY_REGIONS], strict=True)
    assert strict.status_code == case.strict
    assert strict.headers["Content-Type"] == "application/problem+json"
    problem = strict.json()
    slug = "upstream-timeout" if case.strict == 504 else "upstream-failed"
    assert problem["type"] == f"/problems/{slug}" and "data" not in problem
    assert problem["detail"] == f"node {case.node}: {case.status}"


@pytest.mark.parametrize("kind", list(FAULTY))
def test_a_key_lookup_on_a_faulty_node_is_a_502_or_504(faults: Faults, kind: str) -> None:
    case = FAULTY[kind]
    key = key_in(case.region)
    if case.status == "invalid-data":
        # Only records the node holds can come back broken: look up one of them.
        node = load_nodes()[case.node]
        adapter = build_adapter(node, data_dir=faults.data_dir)
        try:
            key = adapter.query(QueryRequest(DATASET, limit=1)).records[0]["creditCode"]
        finally:
            adapter.close()
    response = faults.lookup(key)
    assert response.status_code == case.strict
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["sources"] == [
        {
            "node": case.node,
            "regions": response.json()["sources"][0]["regions"],
            "status": case.status,
            "count": 0,
            "latencyMs": response.json()["sources"][0]["latencyMs"],
        }
    ]


def test_a_retry_recovers_a_node_that_failed_once(faults: Faults) -> None:
    before = faults.metric("jjj_node_retries_total", node=FLAKY.node, reason="503")
    response = faults.query([FLAKY.region])
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(s["node"], s["status"]) for s in body["meta"]["sources"]] == [(FLAKY.node, "ok")]
    assert body["meta"]["complete"] is True
    assert faults.metric("jjj_node_retries_total", node=FLAKY.node, reason="503") == before + 1


def reached(faults: Faults, node: str) -> int:
    """How many queries reached the node's adapter server (its fault injector logs each)."""
    log = (faults.log_dir / f"adapter-{node}.log").read_text("utf-8", errors="replace")
    return max((int(n) for n in re.findall(r"query #(\d+)", log)), default=0)


def test_the_breaker_opens_fails_fast_and_closes_when_the_node_recovers(faults: Faults) -> None:
    regions = [BROKEN.region, *HEALTHY_REGIONS]
    for _ in range(BREAKER_FAILURES):
        sources = faults.query(regions).json()["meta"]["sources"]
        assert {s["node"]: s["status"] for s in sources}[BROKEN.node] == "unavailable"
    # Every failed call was retried within the budget; the node is healthy from the next query.
    assert reached(faults, BROKEN.node) == BREAKER_FAILURES * (1 + RETRIES)
    assert faults.readyz_nodes()[BROKEN.node]["breaker"]["state"] == "open"
    assert faults.metric("jjj_node_breaker_state", node=BROKEN.node) == 1

    # Open: calls fail fast, and not one reaches the adapter server.
    for _ in range(3):
        response = faults.query(regions)
        status = {s["node"]: s["status"] for s in response.json()["meta"]["sources"]}
        assert status == {BROKEN.node: "unavailable", "beijing": "ok"}
        assert response.headers["X-Exchange-Complete"] == "false"
    assert faults.query(regions, strict=True).status_code == 502
    half_open = faults.metric(
        "jjj_node_breaker_transitions_total", node=BROKEN.node, to="half-open"
    )
    assert half_open == 0, "the cool-down ended before the open circuit was checked"
    assert reached(faults, BROKEN.node) == BREAKER_FAILURES * (1 + RETRIES)

    # After the cool-down the circuit is half-open …
    deadline = time.monotonic() + 3 * COOLDOWN
    while faults.readyz_nodes()[BROKEN.node]["breaker"]["state"] != "half-open":
        assert time.monotonic() < deadline, "the breaker never turned half-open"
        time.sleep(0.1)
    # … one probe goes through, the node answers, and the circuit closes.
    response = faults.query(regions)
    sources = {s["node"]: s["status"] for s in response.json()["meta"]["sources"]}
    assert sources == {BROKEN.node: "ok", "beijing": "ok"}
    assert response.json()["meta"]["complete"] is True
    assert reached(faults, BROKEN.node) == BREAKER_FAILURES * (1 + RETRIES) + 1
    assert faults.readyz_nodes()[BROKEN.node]["breaker"] == {"state": "closed", "failures": 0}
    assert faults.metric("jjj_node_breaker_state", node=BROKEN.node) == 0
    for state in ("open", "half-open", "closed"):
        assert faults.metric("jjj_node_breaker_transitions_total", node=BROKEN.node, to=state) == 1
