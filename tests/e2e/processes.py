"""Real processes on loopback for end-to-end tests: start, wait until they answer, stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

JJJ = str(Path(sys.executable).parent / "jjj-gateway")
KEPT_LOGS = Path(__file__).resolve().parents[2] / "test-artifacts" / "logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A child process: its standard output (what it prints for people, e.g. the demo's banner)
    and its standard error (its logs) go to two files."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        log_dir: Path,
        health_url: str,
    ) -> None:
        self.name = name
        self.args = list(args)
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}.log"
        self.out_path = log_dir / f"{name}.out"
        self.health_url = health_url
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Process:
        # The child keeps its own descriptors.
        with open(self.log_path, "ab") as log, open(self.out_path, "ab") as out:
            self.popen = subprocess.Popen(
                self.args, env=self.env, stdout=out, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()}")
            try:
                # Any HTTP answer means it listens (an adapter server answers 401 without a token).
                httpx.get(self.health_url, timeout=1.0)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start in {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        try:
            self._stop(sig, timeout)
        finally:
            self._keep_log()

    def _keep_log(self) -> None:
        """A copy of the process's log for the leak scan at the end of the run."""
        if self.log_path.exists():
            KEPT_LOGS.mkdir(parents=True, exist_ok=True)
            target = KEPT_LOGS / f"{self.name}-{os.getpid()}-{id(self)}-{time.monotonic_ns()}.log"
            shutil.copyfile(self.log_path, target)

    def _stop(self, sig: int, timeout: float) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout)

    def output(self) -> str:
        """Everything the process printed on standard output."""
        return self.out_path.read_text("utf-8", errors="replace") if self.out_path.exists() else ""

    def log(self) -> str:
        """The tail of both streams, for failure messages."""
        logs = self.log_path.read_text("utf-8", errors="replace") if self.log_path.exists() else ""
        return f"{self.output()[-3000:]}\n--- log ---\n{logs[-3000:]}"


def gateway_server(
    name: str,
    port: int,
    env: Mapping[str, str],
    log_dir: Path,
    *,
    threads: int = 8,
    migrate: bool = False,
) -> Process:
    """``jjj-gateway serve`` with one worker on a loopback port (not started)."""
    return Process(
        name,
        [
            JJJ,
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            str(threads),
            *([] if migrate else ["--no-migrate"]),
        ],
        env=env,
        log_dir=log_dir,
        health_url=f"http://127.0.0.1:{port}/healthz",
    )


def client_token(base_url: str, client_id: str, secret: str) -> str:
    """An access token of a registered client (client credentials, HTTP Basic)."""
    answer = httpx.post(
        f"{base_url}/oauth/token",
        auth=(client_id, secret),
        data={"grant_type": "client_credentials"},
    )
    return str(answer.json()["access_token"])
