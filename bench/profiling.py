"""Profiles of a gateway worker under load with py-spy, summarised by own (self) time."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PY_SPY = Path(sys.executable).parent / "py-spy"


class ProfilerUnavailable(Exception):
    """py-spy cannot be installed or cannot attach here."""


def ensure_py_spy() -> str:
    """py-spy of this environment, installed with pip when missing (it is not a dependency)."""
    found = shutil.which("py-spy") or (str(PY_SPY) if PY_SPY.exists() else None)
    if found:
        return found
    print("installing py-spy into this environment (pip install py-spy) …", flush=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "py-spy",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not PY_SPY.exists():
        raise ProfilerUnavailable(f"cannot install py-spy: {done.stderr.strip()[-400:]}")
    return str(PY_SPY)


#: Profile modes: ``cpu`` samples only the thread holding the GIL (where a GIL-bound worker's
#: CPU goes); ``wall`` samples every thread that is not idle, waits on locks included.
MODES = ("cpu", "wall")


def start_recording(
    py_spy: str, pid: int, seconds: float, output: Path, mode: str = "cpu"
) -> subprocess.Popen[str]:
    """py-spy sampling one process for ``seconds`` into a speedscope file (by function)."""
    return subprocess.Popen(  # noqa: S603
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "100",
            "--function",
            "--format",
            "speedscope",
            "--output",
            str(output),
            *(["--gil"] if mode == "cpu" else []),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@dataclass(frozen=True, slots=True)
class FrameShare:
    function: str
    location: str
    own: float
    total: float

    def as_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "location": self.location,
            "ownPercent": round(self.own * 100, 1),
            "totalPercent": round(self.total * 100, 1),
        }


def _short(path: str) -> str:
    for marker in ("site-packages/", "lib/python3", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


@dataclass(frozen=True, slots=True)
class Summary:
    samples: int
    #: Sampled seconds (a thread sampled once at 100 Hz counts 10 ms).
    seconds: float
    frames: list[FrameShare]
    #: Thread name → share of the sampled time.
    threads: dict[str, float]

    def as_json(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "sampledSeconds": round(self.seconds, 2),
            "top": [f.as_json() for f in self.frames],
            "threads": {k: round(v * 100, 1) for k, v in self.threads.items()},
        }


def _thread_name(profile_name: str) -> str:
    """'Thread 8343 "ThreadPoolExecutor-1_0"' → 'ThreadPoolExecutor' (a pool's threads as one)."""
    name = profile_name.split('"')[1] if profile_name.count('"') >= 2 else profile_name
    return name.split("-")[0] if name else "(unnamed)"


def _idle(frame: dict[str, Any]) -> bool:
    """A pool thread waiting for work (py-spy cannot tell that wait from work)."""
    return frame.get("name") == "_worker" and str(frame.get("file", "")).endswith(
        "concurrent/futures/thread.py"
    )


def summarise(speedscope: Path, top: int = 15) -> Summary:
    """The ``top`` frames by own time of a py-spy speedscope file, over all threads; samples
    of idle pool threads are left out."""
    document = json.loads(speedscope.read_text("utf-8"))
    frames = document["shared"]["frames"]
    own: Counter[int] = Counter()
    total: Counter[int] = Counter()
    threads: Counter[str] = Counter()
    seconds = 0.0
    samples = 0
    for profile in document["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            if not stack or _idle(frames[stack[-1]]):
                continue
            samples += 1
            seconds += weight
            threads[_thread_name(profile.get("name", ""))] += weight
            own[stack[-1]] += weight
            for index in set(stack):
                total[index] += weight
    if not seconds:
        return Summary(0, 0.0, [], {})
    shares = [
        FrameShare(
            frames[i]["name"],
            f"{_short(frames[i].get('file', '?'))}:{frames[i].get('line', '?')}",
            weight / seconds,
            total[i] / seconds,
        )
        for i, weight in own.most_common(top)
    ]
    return Summary(samples, seconds, shares, {k: v / seconds for k, v in threads.most_common()})


def render(title: str, summary: Summary) -> str:
    threads = ", ".join(f"{k} {v * 100:.0f}%" for k, v in summary.threads.items() if v >= 0.01)
    lines = [
        f"Profile — {title}: {summary.samples} samples, {summary.seconds:.1f} thread-seconds; "
        "own = in the function itself (and the C code it calls)",
        f"Threads: {threads}",
        "",
        "| # | own % | total % | function | where |",
        "|---:|---:|---:|---|---|",
    ]
    for n, share in enumerate(summary.frames, 1):
        lines.append(
            f"| {n} | {share.own * 100:.1f} | {share.total * 100:.1f} | "
            f"`{share.function}` | {share.location} |"
        )
    return "\n".join(lines)
