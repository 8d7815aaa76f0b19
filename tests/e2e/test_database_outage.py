"""PostgreSQL stopped and restarted under load: no 2xx without its audit record, no 500, the
gateway answers 503 with Retry-After meanwhile and recovers without a restart.

The test runs its own PostgreSQL cluster (initdb on a free port) so that stopping it cannot
disturb anything else on the machine."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import service_missing

from .instances import prepare_instance
from .processes import client_token, free_port, gateway_server

pytestmark = pytest.mark.slow


class PrivatePostgres:
    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found or shutil.which("runuser") is None or os.geteuid() != 0:
            service_missing("a private PostgreSQL cluster needs the server binaries and root")
        self.bin = Path(found[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="jjj-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.dir / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-instructions",
        )

    def _run(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=60
        )

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-w",
            "-l",
            str(self.dir / "server.log"),
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-m", "fast", "stop"
        )

    def remove(self) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres(postgres_url: str) -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def test_the_database_stopped_and_restarted_under_load(
    tmp_path: Path, private_postgres: PrivatePostgres
) -> None:
    env, client_id, secret = prepare_instance(tmp_path, private_postgres.url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gateway = gateway_server("gateway", port, env, tmp_path).start()
    try:
        token = client_token(base, client_id, secret)
        headers = {"Authorization": f"Bearer {token}", "X-Purpose": "statistics"}
        outcomes: list[tuple[int, str, str | None]] = []
        lock = threading.Lock()
        stop = threading.Event()

        def load() -> None:
            with httpx.Client(timeout=10) as http:
                while not stop.is_set():
                    answer = http.get(
                        f"{base}/v1/datasets/market-entity-registration/records?limit=2",
                        headers=headers,
                    )
                    with lock:
                        outcomes.append(
                            (
                                answer.status_code,
                                answer.headers["X-Exchange-Id"],
                                answer.headers.get("Retry-After"),
                            )
                        )

        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(1.0)
        private_postgres.stop()
        time.sleep(2.0)
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"]["status"] == "unavailable"
        during = len(outcomes)
        private_postgres.start()
        deadline = time.monotonic() + 15
        while httpx.get(f"{base}/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
        stop.set()
        for worker in workers:
            worker.join()
    finally:
        gateway.stop()

    statuses = [status for status, _, _ in outcomes]
    assert 500 not in statuses, statuses
    assert set(statuses) <= {200, 503}, set(statuses)
    refused = [o for o in outcomes if o[0] == 503]
    assert refused and all(retry for _, _, retry in refused)
    assert 200 in statuses[during:], "service resumed without restarting the gateway"
    engine = sa.create_engine(private_postgres.url)
    with engine.connect() as conn:
        stored = {r[0] for r in conn.execute(sa.text("SELECT exchange_id FROM audit_records"))}
    engine.dispose()
    assert {eid for status, eid, _ in outcomes if status == 200} <= stored
