"""Three gateway replicas, two adapter servers, one PostgreSQL and one Redis: quotas hold
globally, a revocation holds on every replica within a second, one audit chain verifies, and a
replica killed mid-load loses no audit record of a 2xx exchange."""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import redis
import sqlalchemy as sa
import yaml

from adapters.nodes import default_directory
from gateway.identity.clients import ClientStore
from gateway.storage import create_db_engine

from .instances import prepare_instance
from .processes import JJJ, Process, client_token, free_port, gateway_server

pytestmark = pytest.mark.slow

REMOTE = ("beijing-haidian", "tianjin")
RECORDS = "/v1/datasets/market-entity-registration/records"


def test_three_replicas_behave_as_one_gateway(
    tmp_path: Path, postgres_database: str, redis_url: str
) -> None:
    with redis.Redis.from_url(redis_url) as store:
        store.flushdb()
    env, partner_id, partner_secret = prepare_instance(
        tmp_path, postgres_database, tier="partner", redis_url=redis_url
    )
    engine = create_db_engine(postgres_database)
    opener, opener_secret = ClientStore(engine).create(
        name="quota", region="110000", tier="open", scopes=["data:read"]
    )
    engine.dispose()
    ports = [free_port() for _ in range(3)]
    env = env | {"GATEWAY_SECRET_KEY": "replicas-share-this-secret"}

    # The gateway's node configs: two nodes are adapter servers, the rest in-process.
    nodes_dir = tmp_path / "nodes"
    nodes_dir.mkdir()
    adapter_urls = {node: f"http://127.0.0.1:{free_port()}" for node in REMOTE}
    for path in default_directory().glob("*.yaml"):
        document = yaml.safe_load(path.read_text("utf-8"))
        if document["id"] in adapter_urls:
            document["adapter"] = {"kind": "http", "url": adapter_urls[document["id"]]}
        (nodes_dir / path.name).write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    replica_env = env | {"GATEWAY_NODES_DIR": str(nodes_dir)}
    gateways = [gateway_server(f"replica-{port}", port, replica_env, tmp_path) for port in ports]
    started: list[Process] = []
    try:
        for gateway in gateways:
            started.append(gateway.start())
        # The adapter servers check the gateway's tokens against its published keys (a file here,
        # as an operator would mount it; the replicas share one key ring).
        keys_json = tmp_path / "gateway-jwks.json"
        keys_json.write_text(httpx.get(f"http://127.0.0.1:{ports[0]}/oauth/jwks").text, "utf-8")
        for node, url in adapter_urls.items():
            started.append(
                Process(
                    f"adapter-{node}",
                    [
                        JJJ,
                        "adapter",
                        "serve",
                        "--node",
                        node,
                        "--bind",
                        url.removeprefix("http://"),
                        "--jwks-file",
                        str(keys_json),
                    ],
                    env=env,
                    log_dir=tmp_path,
                    health_url=f"{url}/health",
                ).start()
            )

        # 1. Quotas hold across replicas: 60 requests a minute for the open tier.
        headers = {
            "Authorization": "Bearer "
            + client_token(f"http://127.0.0.1:{ports[0]}", opener.client_id, opener_secret or ""),
            "X-Purpose": "statistics",
        }

        def one(port: int) -> int:
            return httpx.get(
                f"http://127.0.0.1:{port}/v1/datasets/patent-grants/records?limit=1",
                headers=headers,
                timeout=10,
            ).status_code

        with cf.ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(one, itertools.islice(itertools.cycle(ports), 75)))
        assert 59 <= statuses.count(200) <= 61, statuses
        assert statuses.count(200) + statuses.count(429) == 75

        # 2. A revocation on one replica holds on all within a second.
        partner = client_token(f"http://127.0.0.1:{ports[1]}", partner_id, partner_secret)
        data_headers = {"Authorization": f"Bearer {partner}", "X-Purpose": "statistics"}
        for port in ports:
            assert (
                httpx.get(
                    f"http://127.0.0.1:{port}{RECORDS}?limit=1", headers=data_headers
                ).status_code
                == 200
            )
        assert (
            httpx.post(
                f"http://127.0.0.1:{ports[0]}/oauth/revoke",
                data={"token": partner},
                auth=(partner_id, partner_secret),
            ).status_code
            == 200
        )
        deadline = time.monotonic() + 1.0
        refused: set[int] = set()
        while time.monotonic() < deadline and len(refused) < 3:
            for port in ports:
                if (
                    httpx.get(
                        f"http://127.0.0.1:{port}{RECORDS}?limit=1", headers=data_headers
                    ).status_code
                    == 401
                ):
                    refused.add(port)
        assert refused == set(ports)

        # 3. Load over all replicas through both adapter servers; one replica is killed.
        load_headers = {
            "Authorization": "Bearer "
            + client_token(f"http://127.0.0.1:{ports[2]}", partner_id, partner_secret),
            "X-Purpose": "statistics",
        }
        acknowledged: list[str] = []
        remote_answers = 0
        lock = threading.Lock()
        stop = threading.Event()

        def load(port: int) -> None:
            nonlocal remote_answers
            with httpx.Client(timeout=5) as http:
                while not stop.is_set():
                    try:
                        answer = http.get(
                            f"http://127.0.0.1:{port}{RECORDS}?region=110108,120101&limit=2",
                            headers=load_headers,
                        )
                    except httpx.TransportError:
                        if port == ports[0]:
                            return
                        continue
                    if answer.status_code == 200:
                        nodes = {
                            s["node"]
                            for s in answer.json()["meta"]["sources"]
                            if s["status"] == "ok"
                        }
                        with lock:
                            acknowledged.append(answer.headers["X-Exchange-Id"])
                            remote_answers += nodes == set(REMOTE)

        workers = [threading.Thread(target=load, args=(port,)) for port in ports * 2]
        for worker in workers:
            worker.start()
        time.sleep(1.5)
        gateways[0].stop(signal.SIGKILL)
        time.sleep(1.0)
        stop.set()
        for worker in workers:
            worker.join()
        assert len(acknowledged) > 30 and remote_answers == len(acknowledged)
        engine = sa.create_engine(postgres_database)
        with engine.connect() as conn:
            stored = {r[0] for r in conn.execute(sa.text("SELECT exchange_id FROM audit_records"))}
            seqs = [
                r[0] for r in conn.execute(sa.text("SELECT seq FROM audit_records ORDER BY seq"))
            ]
        engine.dispose()
        assert set(acknowledged) <= stored
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        for process in reversed(started):
            process.stop()

    # 4. One audit chain, verified from the start.
    result = subprocess.run(
        [JJJ, "audit", "verify"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    verdict = json.loads([ln for ln in result.stdout.splitlines() if ln.startswith("{")][-1])
    assert verdict["valid"] is True, verdict
