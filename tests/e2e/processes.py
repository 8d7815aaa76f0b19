"""Real processes on loopback for end-to-end tests: start, wait until they answer, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

JJJ = str(Path(sys.executable).parent / "jjj-gateway")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A child process whose output goes to a log file (read it when a test fails)."""

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
        self.health_url = health_url
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Process:
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.popen = subprocess.Popen(
                self.args,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
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
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")[-4000:]
