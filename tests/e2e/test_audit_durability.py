"""The audit trail under stress: a gateway killed mid-load loses no record of a 2xx exchange,
and two gateway processes on one PostgreSQL keep one chain without gaps."""

from __future__ import annotations

import concurrent.futures as cf
import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from gateway.storage import create_db_engine

from .instances import prepare_instance
from .processes import JJJ, client_token, free_port, gateway_server

pytestmark = pytest.mark.slow

RECORDS = "/v1/datasets/market-entity-registration/records"


def _verify_cli(env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [JJJ, "audit", "verify"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, **env},
        timeout=120,
    )
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("{")][-1]
    return dict(json.loads(line))


def test_a_gateway_killed_mid_load_keeps_the_record_of_every_2xx(tmp_path: Path) -> None:
    env, client_id, secret = prepare_instance(tmp_path)
    port = free_port()
    gateway = gateway_server("gateway", port, env, tmp_path).start()
    token = client_token(f"http://127.0.0.1:{port}", client_id, secret)
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "statistics"}
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                try:
                    answer = http.get(f"http://127.0.0.1:{port}{RECORDS}?limit=3", headers=headers)
                except httpx.TransportError:
                    return  # the gateway is gone
                if answer.status_code == 200:
                    with lock:
                        acknowledged.append(answer.headers["X-Exchange-Id"])

    workers = [threading.Thread(target=load) for _ in range(6)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    gateway.stop(signal.SIGKILL)  # no graceful shutdown: the whole process group dies at once
    stop.set()
    for worker in workers:
        worker.join()
    assert len(acknowledged) >= 50

    verdict = _verify_cli(env)
    assert verdict["valid"] is True, verdict
    engine = create_db_engine(f"sqlite:///{tmp_path / 'instance' / 'gateway.sqlite3'}")
    with engine.connect() as conn:
        stored = {row[0] for row in conn.execute(sa.text("SELECT exchange_id FROM audit_records"))}
    engine.dispose()
    assert set(acknowledged) <= stored
    # And the restarted gateway carries on the same chain.
    restarted = gateway_server("gateway-restarted", port, env, tmp_path).start()
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}{RECORDS}?limit=1", headers=headers)
        assert answer.status_code == 200
    finally:
        restarted.stop()
    assert _verify_cli(env)["valid"] is True


def test_two_processes_on_one_postgresql_keep_one_chain(
    tmp_path: Path, postgres_database: str
) -> None:
    _two_processes_keep_one_chain(tmp_path, postgres_database)


def test_two_processes_on_one_sqlite_file_keep_one_chain(tmp_path: Path) -> None:
    """Both take turns on the file's writer lock: neither starves, the chain stays one."""
    _two_processes_keep_one_chain(tmp_path, None)
    assert (tmp_path / "instance" / "gateway.sqlite3.audit-lock").exists()


def _two_processes_keep_one_chain(tmp_path: Path, database_url: str | None) -> None:
    env, client_id, secret = prepare_instance(tmp_path, database_url)
    ports = [free_port(), free_port()]
    gateways = [gateway_server(f"gateway-{port}", port, env, tmp_path).start() for port in ports]
    try:
        token = client_token(f"http://127.0.0.1:{ports[0]}", client_id, secret)
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": "statistics"}

        def burst(port: int) -> list[int]:
            with httpx.Client(timeout=10) as http:
                return [
                    http.get(
                        f"http://127.0.0.1:{port}{RECORDS}?limit=2", headers=headers
                    ).status_code
                    for _ in range(60)
                ]

        with cf.ThreadPoolExecutor(8) as pool:
            statuses = [s for batch in pool.map(burst, ports * 4) for s in batch]
    finally:
        for gateway in gateways:
            gateway.stop()
    assert statuses.count(200) == len(statuses) == 480
    engine = sa.create_engine(
        database_url or f"sqlite:///{tmp_path / 'instance' / 'gateway.sqlite3'}"
    )
    with engine.connect() as conn:
        seqs = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT seq FROM audit_records WHERE kind = 'exchange' ORDER BY seq")
            )
        ]
        every = [r[0] for r in conn.execute(sa.text("SELECT seq FROM audit_records ORDER BY seq"))]
    engine.dispose()
    assert len(seqs) == 480
    assert every == list(range(1, len(every) + 1))  # no gap, no duplicate
    assert _verify_cli(env)["valid"] is True
