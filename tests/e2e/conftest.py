"""A gateway and adapter servers as separate processes on loopback, with the demo data.

Nodes beijing-haidian and tianjin run as adapter servers (their data stays with them);
tianjin-binhai is served by an adapter server whose data was tampered with; every other node
is in-process in the gateway.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from adapters.nodes import default_directory, load_nodes
from gateway.core.settings import load_settings
from gateway.demo import GenerationReport, generate
from gateway.identity.clients import ClientStore
from gateway.services import load_configuration
from gateway.storage import create_db_engine, upgrade
from policies.documents import default_directory as policies_directory

from .issuer import KeyServer, TestIssuer
from .processes import JJJ, Process, free_port

REMOTE_NODES = ("beijing-haidian", "tianjin")
LYING_NODE = "tianjin-binhai"


@dataclass
class Deployment:
    key_server: KeyServer
    issuer: TestIssuer
    base_url: str
    instance: Path
    data_dir: Path
    demo: GenerationReport
    gateway: Process
    adapters: dict[str, Process]
    adapter_urls: dict[str, str]
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)

    def token(self, tier: str) -> str:
        client_id, secret = self.credentials[tier]
        response = httpx.post(
            f"{self.base_url}/oauth/token",
            auth=(client_id, secret),
            data={"grant_type": "client_credentials"},
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def _tamper(data_dir: Path, node: str) -> Path:
    """A copy of the demo data in which one of the node's records breaks the record schema."""
    copy = data_dir.parent / "tampered-data"
    shutil.copytree(data_dir, copy)
    path = copy / node / "market-entities.jsonl"
    lines = path.read_text("utf-8").splitlines()
    record = json.loads(lines[0])
    record["creditCode"] = record["creditCode"][:-1] + (
        "0" if record["creditCode"][-1] != "0" else "1"
    )
    lines[0] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return copy


@pytest.fixture(scope="package")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("e2e")
    instance, data_dir, nodes_dir, logs, policies = (
        root / n for n in ("instance", "data", "nodes", "logs", "policies")
    )
    for folder in (instance, nodes_dir, logs):
        folder.mkdir()
    settings = load_settings({"instance_path": instance, "data_dir": data_dir}, environ={})
    config = load_configuration(settings)
    demo = generate(data_dir, load_nodes(), config.catalog, seed=2026)
    tampered = _tamper(data_dir, LYING_NODE)

    gateway_port = free_port()
    base_url = f"http://127.0.0.1:{gateway_port}"
    # Another region's authorisation server, trusted by URL (policies/trust.yaml).
    key_server = KeyServer().start()
    issuer = TestIssuer(key_server, "tianjin-auth", audience=f"{base_url}/v1")
    shutil.copytree(policies_directory(), policies)
    (policies / "trust.yaml").write_text(
        json.dumps(
            {
                "issuers": [
                    {
                        "issuer": issuer.issuer,
                        "jwksUri": issuer.jwks_uri,
                        "audience": issuer.audience,
                        "organisationClaim": "org_name",
                        "regionClaim": "region_code",
                        "tierClaim": "org_class",
                        "tierMap": {"gov": "government", "ent": "partner"},
                        "scopes": ["data:read", "catalog:read"],
                    }
                ]
            },
            ensure_ascii=False,
        ),
        "utf-8",
    )
    adapter_urls = {node: f"http://127.0.0.1:{free_port()}" for node in (*REMOTE_NODES, LYING_NODE)}
    # The gateway's view of the nodes: the remote ones are reached over the adapter protocol.
    for path in default_directory().glob("*.yaml"):
        document = yaml.safe_load(path.read_text("utf-8"))
        if document["id"] in adapter_urls:
            document["adapter"] = {
                "kind": "http",
                "url": adapter_urls[document["id"]],
                "timeouts": {"connect": 1, "read": 5},
            }
        (nodes_dir / path.name).write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")

    upgrade(settings.sqlalchemy_url)
    engine = create_db_engine(settings.sqlalchemy_url)
    store = ClientStore(engine)
    credentials = {}
    for tier in ("open", "partner", "government", "regulator"):
        client, secret = store.create(
            name=f"e2e {tier}",
            region="110000",
            tier=tier,
            scopes=["data:read", "catalog:read"],
            client_id=f"e2e-{tier}",
        )
        assert secret
        credentials[tier] = (client.client_id, secret)
    engine.dispose()

    env = {
        "GATEWAY_INSTANCE_PATH": str(instance),
        "GATEWAY_ISSUER": base_url,
        "GATEWAY_DATA_DIR": str(data_dir),
        "GATEWAY_POLICIES_DIR": str(policies),
    }
    gateway = Process(
        "gateway",
        [JJJ, "serve", "--bind", f"127.0.0.1:{gateway_port}", "--workers", "1", "--threads", "16"],
        env=env | {"GATEWAY_NODES_DIR": str(nodes_dir)},
        log_dir=logs,
        health_url=f"{base_url}/healthz",
    )
    adapters = {
        node: Process(
            f"adapter-{node}",
            [JJJ, "adapter", "serve", "--node", node, "--bind", url.removeprefix("http://")],
            env=env | {"GATEWAY_DATA_DIR": str(tampered if node == LYING_NODE else data_dir)},
            log_dir=logs,
            health_url=f"{url}/health",
        )
        for node, url in adapter_urls.items()
    }
    started: list[Process] = []
    try:
        for process in (gateway, *adapters.values()):
            started.append(process.start())
        yield Deployment(
            key_server,
            issuer,
            base_url,
            instance,
            data_dir,
            demo,
            gateway,
            adapters,
            adapter_urls,
            credentials,
        )
    finally:
        for process in reversed(started):
            process.stop()
        key_server.stop()
