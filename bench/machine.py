"""The machine a benchmark ran on: the numbers mean little without it."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any


def _meminfo_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def describe(wrk_version: str | None = None) -> dict[str, Any]:
    return {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "memoryGiB": _meminfo_gib(),
        "cpu": _cpu_model(),
        "python": sys.version.split()[0],
        "kernel": platform.release(),
        "wrk": wrk_version,
    }


def one_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine['nproc']} CPUs ({machine['cpu'] or 'unknown CPU'}), "
        f"{machine['memoryGiB']} GiB, Python {machine['python']}, Linux {machine['kernel']}, "
        f"{machine['wrk'] or 'wrk'}"
    )
