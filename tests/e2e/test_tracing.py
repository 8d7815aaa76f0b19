"""One exchange, one trace across processes (docs/architecture.md#tracing-and-metrics): the gateway
under gunicorn and an adapter server export their spans over OTLP/HTTP (JSON and protobuf) to a
receiver on loopback; the spans share one trace id, which the exchange's audit record carries too.
No span holds personal data.

The gateway's /metrics adds up the counts of all its workers."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from prometheus_client.parser import text_string_to_metric_families

from adapters.nodes import default_directory, load_nodes
from gateway.core.settings import load_settings
from gateway.demo import generate
from gateway.identity.clients import ClientStore
from gateway.services import load_configuration
from gateway.storage import create_db_engine, upgrade

from .otlp import ExportedSpan, OtlpReceiver
from .processes import JJJ, Process, free_port

pytestmark = pytest.mark.slow

NODE = "beijing-haidian"
ME = "market-entity-registration"
PIPELINE_SPANS = ("policy.decide", "adapter.query", "records.validate", "audit.append")


@dataclass
class TracedDeployment:
    receiver: OtlpReceiver
    base_url: str
    instance: Path
    gateway: Process
    token: str
    key: str
    #: The key's record as the node holds it (local field names).
    raw_record: dict[str, Any]


def _raw_record(data_dir: Path, key: str) -> dict[str, Any]:
    node = load_nodes()[NODE].datasets[ME]
    assert node.source is not None
    for line in (data_dir / NODE / node.source).read_text("utf-8").splitlines():
        record = json.loads(line)
        if record[node.local_name("creditCode")] == key:
            return dict(record)
    raise AssertionError(f"{key} is not in the node's data")


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracedDeployment]:
    root = tmp_path_factory.mktemp("tracing")
    instance, data_dir, nodes_dir = root / "instance", root / "data", root / "nodes"
    settings = load_settings({"instance_path": instance, "data_dir": data_dir}, environ={})
    report = generate(
        data_dir, load_nodes(), load_configuration(settings).catalog, seed=2026, scale=0.1
    )
    key = report.samples["haidian_entity"]

    gateway_port, adapter_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{gateway_port}"
    # The gateway reaches the Haidian node over the adapter protocol; every other is in-process.
    nodes_dir.mkdir()
    for path in default_directory().glob("*.yaml"):
        document = yaml.safe_load(path.read_text("utf-8"))
        if document["id"] == NODE:
            document["adapter"] = {
                "kind": "http",
                "url": f"http://127.0.0.1:{adapter_port}",
                "timeouts": {"connect": 1, "read": 5},
            }
        (nodes_dir / path.name).write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")

    instance.mkdir()
    upgrade(settings.sqlalchemy_url)
    engine = create_db_engine(settings.sqlalchemy_url)
    client, secret = ClientStore(engine).create(
        name="tracing", region="130000", tier="government", scopes=["data:read"]
    )
    engine.dispose()

    receiver = OtlpReceiver().start()
    env = {
        "GATEWAY_INSTANCE_PATH": str(instance),
        "GATEWAY_ISSUER": base_url,
        "GATEWAY_DATA_DIR": str(data_dir),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        # Whatever the surrounding environment says: export, sample everything, default names.
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_SDK_DISABLED": "false",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        "OTEL_SERVICE_NAME": "",
    }
    # The gateway exports OTLP JSON (as the Helm chart configures it), the adapter server the
    # SDK's protobuf: one trace either way.
    gateway_env = env | {
        "GATEWAY_NODES_DIR": str(nodes_dir),
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
    }
    logs = root / "logs"
    logs.mkdir()
    gateway = Process(
        "gateway",
        [JJJ, "serve", "--bind", f"127.0.0.1:{gateway_port}", "--workers", "2", "--threads", "4"],
        env=gateway_env,
        log_dir=logs,
        health_url=f"{base_url}/healthz",
    )
    adapter = Process(
        f"adapter-{NODE}",
        [JJJ, "adapter", "serve", "--node", NODE, "--bind", f"127.0.0.1:{adapter_port}"],
        env=env,
        log_dir=logs,
        health_url=f"http://127.0.0.1:{adapter_port}/health",
    )
    started: list[Process] = []
    try:
        for process in (gateway, adapter):
            started.append(process.start())
        token = httpx.post(
            f"{base_url}/oauth/token",
            auth=(client.client_id, secret or ""),
            data={"grant_type": "client_credentials"},
        ).json()["access_token"]
        yield TracedDeployment(
            receiver, base_url, instance, gateway, token, key, _raw_record(data_dir, key)
        )
    finally:
        for process in reversed(started):
            process.stop()
        receiver.stop()


def lookup(traced: TracedDeployment) -> httpx.Response:
    return httpx.get(
        f"{traced.base_url}/v1/datasets/{ME}/records/{traced.key}",
        headers={"Authorization": f"Bearer {traced.token}", "X-Purpose": "credit-check"},
        timeout=10,
    )


def test_one_trace_spans_the_gateway_and_the_adapter_server(traced: TracedDeployment) -> None:
    response = lookup(traced)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(s["node"], s["status"]) for s in body["meta"]["sources"]] == [(NODE, "ok")]
    trace_id, exchange_id = body["meta"]["traceId"], response.headers["X-Exchange-Id"]
    wanted = {"GET /v1/datasets/<dataset_id>/records/<path:key>", *PIPELINE_SPANS, "adapter.serve"}

    def of_the_exchange(spans: list[ExportedSpan]) -> list[ExportedSpan]:
        return [s for s in spans if s.trace_id == trace_id]

    spans = of_the_exchange(
        traced.receiver.wait_for(lambda got: wanted <= {s.span.name for s in of_the_exchange(got)})
    )
    named = {s.span.name: s for s in spans}
    assert len(named) == len(spans), "one span of each name"

    server = named["GET /v1/datasets/<dataset_id>/records/<path:key>"]
    assert server.service == "jjj-gateway" and server.span.kind == Span.SPAN_KIND_SERVER
    assert server.parent_id == ""
    assert server.attributes["http.route"] == "/v1/datasets/<dataset_id>/records/<path:key>"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["gateway.exchange_id"] == exchange_id
    for name in PIPELINE_SPANS:
        step = named[name]
        assert step.service == "jjj-gateway" and step.parent_id == server.span_id, name
    query = named["adapter.query"]
    assert query.span.kind == Span.SPAN_KIND_CLIENT
    assert query.attributes["gateway.node"] == NODE
    assert query.attributes["gateway.regions"] == ["110108"]

    served = named["adapter.serve"]
    assert served.service == f"jjj-adapter-{NODE}" and served.span.kind == Span.SPAN_KIND_SERVER
    assert served.parent_id == query.span_id
    assert served.attributes["jjj.exchange.id"] == exchange_id

    with sqlite3.connect(traced.instance / "gateway.sqlite3") as db:
        rows = db.execute(
            "SELECT trace_id FROM audit_records WHERE exchange_id = ?", (exchange_id,)
        ).fetchall()
    assert rows == [(trace_id,)]

    # Nothing exported by either process, for any request so far, holds the key or a value of
    # the record (as returned, or as the node holds it); region codes are routing metadata.
    exported = traced.receiver.everything()
    returned = [v for k, v in body["data"].items() if k != "regionCode"]
    held = [v for k, v in traced.raw_record.items() if v != body["data"]["regionCode"]]
    values = [v for v in (*returned, *held) if isinstance(v, str)]
    assert traced.key in values
    assert [v for v in values if v in exported] == []


def test_metrics_add_up_the_exchanges_of_every_worker(traced: TracedDeployment) -> None:
    def counted() -> dict[str, float]:
        text = httpx.get(f"{traced.base_url}/metrics", timeout=10).text
        found = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "jjj_exchanges_total" and sample.labels == {
                    "dataset": ME,
                    "decision": "allow",
                    "status": "200",
                }:
                    found["exchanges"] = sample.value
                if sample.name == "jjj_exchange_sources_total" and sample.labels == {
                    "dataset": ME,
                    "node": NODE,
                    "status": "ok",
                }:
                    found["sources"] = sample.value
        return found

    before = counted()
    for _ in range(6):  # a new connection each time: either worker may take it
        assert lookup(traced).status_code == 200
    after = counted()
    assert after["exchanges"] - before.get("exchanges", 0) == 6
    assert after["sources"] - before.get("sources", 0) == 6
    # Each worker writes its samples to the server's own directory (multiprocess mode).
    assert traced.gateway.popen is not None
    directory = traced.instance / "metrics" / str(traced.gateway.popen.pid)
    assert list(directory.glob("counter_*.db"))
