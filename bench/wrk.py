"""Load from ``wrk`` (Debian package ``wrk``): a Lua script sets the method, headers and body, and
its ``done`` function prints the summary and the latency percentiles as one line of JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RESULT_MARKER = "BENCH-RESULT "

_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
    '"latencyUs":{"min":%.0f,"mean":%.1f,"max":%.0f,"p50":%.0f,"p90":%.0f,"p99":%.0f,' ..
    '"p999":%.0f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
"""


class WrkUnavailable(Exception):
    """wrk is not installed and cannot be installed here."""


def ensure_wrk() -> str:
    """The path of ``wrk``, installed from Debian's package when missing (as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    hint = "install it with `apt-get install wrk` (Debian/Ubuntu package wrk) and run again"
    if os.geteuid() != 0:
        raise WrkUnavailable(f"wrk is not on PATH and this user cannot install packages: {hint}")
    apt = shutil.which("apt-get")
    if apt is None:
        raise WrkUnavailable(f"wrk is not on PATH and there is no apt-get here: {hint}")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    print("installing wrk (apt-get install wrk) …", flush=True)
    for args in (
        [apt, "update", "-qq"],
        [apt, "install", "-y", "-qq", "--no-install-recommends", "wrk"],
    ):
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise WrkUnavailable(
                f"`{' '.join(args[1:])}` failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-500:]}; {hint}"
            )
    found = shutil.which("wrk")
    if found is None:
        raise WrkUnavailable(f"apt-get installed wrk but it is not on PATH; {hint}")
    return found


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def _lua_string(text: str) -> str:
    """A Lua long-bracket string literal holding ``text`` verbatim."""
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def lua_script(method: str, headers: Mapping[str, str], body: str | None) -> str:
    lines = [f"wrk.method = {_lua_string(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    for name, value in headers.items():
        # A space after "[": "[[" would open a long string.
        lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    return "\n".join(lines) + "\n" + _DONE


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    bytes: int
    #: Socket errors and non-2xx/3xx answers (wrk counts a status above 399 as an error).
    errors: Mapping[str, int]
    #: Latency figures in milliseconds: min, mean, max, p50, p90, p99, p999.
    latency_ms: Mapping[str, float]

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return int(self.errors.get("status", 0))

    @property
    def socket_errors(self) -> int:
        return sum(int(self.errors.get(k, 0)) for k in ("connect", "read", "write", "timeout"))

    def as_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requestsPerSecond": round(self.requests_per_second, 1),
            "bytes": self.bytes,
            "errors": dict(self.errors),
            "latencyMs": dict(self.latency_ms),
        }


def run_wrk(
    wrk: str,
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
    connections: int,
    threads: int,
    seconds: float,
    timeout: float = 10.0,
) -> WrkResult:
    """Drive ``url`` for ``seconds`` with ``connections`` keep-alive connections."""
    with tempfile.TemporaryDirectory(prefix="jjj-wrk-") as folder:
        script = Path(folder) / "scenario.lua"
        script.write_text(lua_script(method, headers or {}, body), "utf-8")
        args = [
            wrk,
            f"--threads={max(1, min(threads, connections))}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            f"--timeout={max(1, round(timeout))}s",
            f"--script={script}",
            url,
        ]
        done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            raw = json.loads(line[len(RESULT_MARKER) :])
            break
    else:
        raise RuntimeError(
            f"wrk gave no result (exit {done.returncode}): {(done.stderr or done.stdout)[-800:]}"
        )
    return WrkResult(
        requests=int(raw["requests"]),
        seconds=raw["durationUs"] / 1e6,
        bytes=int(raw["bytes"]),
        errors={k: int(v) for k, v in raw["errors"].items()},
        latency_ms={k: round(v / 1000, 2) for k, v in raw["latencyUs"].items()},
    )
