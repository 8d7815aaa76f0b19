"""The processes under test: started with their output in a log file, ready once they answer."""

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

#: The console script of this installation (the same one an operator runs).
JJJ = str(Path(sys.executable).parent / "jjj-gateway")
#: Variables of the caller's shell that would change what is measured; the harness sets its own.
INHERITED_PREFIXES = ("GATEWAY_", "OTEL_", "PROMETHEUS_MULTIPROC_DIR")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This environment less gateway, telemetry and metrics settings, plus ``extra``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_PREFIXES)}
    return base | dict(extra)


class Process:
    """A child process in a session of its own, stopped with its children (gunicorn workers)."""

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
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.health_url = health_url
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.popen.pid

    def start(self, timeout: float = 60.0) -> Process:
        """Start and wait until the health URL gives any HTTP answer."""
        with open(self.log_path, "ab") as log:  # the child keeps its own descriptor
            self.popen = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
                self.args,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                httpx.get(self.health_url, timeout=1.0)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start in {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout)

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_text("utf-8", errors="replace")[-size:]
        except OSError:
            return ""
