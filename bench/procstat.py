"""CPU time and memory of processes, read from /proc (Linux).

CPU is ``utime + stime`` of /proc/<pid>/stat. A gunicorn master reaps the workers it restarts,
so their time moves into the master's ``cutime + cstime``: counting both, plus the live
workers, gives the group's CPU even when a worker was replaced during a measurement.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (field 3 is index 0)."""
    text = (PROC / str(pid) / "stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """User + system CPU seconds of one process (and of its reaped children when asked)."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime (fields 16, 17)
    return ticks / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # it exited while we looked
    return sorted(found)


def memory_kib(pid: int, field_name: str = "VmRSS") -> int:
    """A memory figure of /proc/<pid>/status in KiB (VmRSS now, VmHWM the peak); 0 if gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def proportional_kib(pid: int) -> int:
    """The process's proportional set size in KiB (/proc/<pid>/smaps_rollup ``Pss``): its
    private pages plus its share of the pages it shares (a gunicorn worker with its master and
    the other workers); 0 if gone or not readable."""
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (proc(5), clear_refs value 5); False when not permitted."""
    try:
        (PROC / str(pid) / "clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class GunicornGroup:
    """A gunicorn master and its workers."""

    master: int

    def workers(self) -> list[int]:
        return children(self.master)

    def cpu_seconds(self) -> float:
        total = cpu_seconds(self.master, reaped_children=True)
        for worker in self.workers():
            try:
                total += cpu_seconds(worker)
            except OSError:
                continue  # exited between the listing and the read: the master counts it now
        return total


def settle(group: GunicornGroup, *, cores: float = 0.1, timeout: float = 60.0) -> float:
    """Wait until the group uses less than ``cores`` CPUs (the answers to a load that wrk has
    stopped waiting for are still being computed); returns the seconds waited."""
    started = time.monotonic()
    before = group.cpu_seconds()
    while time.monotonic() - started < timeout:
        time.sleep(0.5)
        now = group.cpu_seconds()
        if now - before < cores * 0.5:
            break
        before = now
    return time.monotonic() - started


def total_cpu(pids: Iterable[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all CPUs; /proc/stat, idle and iowait out)."""
    fields = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def harness_seconds() -> float:
    """CPU seconds of this process and its waited-for children (wrk, the CLI)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def usable_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class RssSampler:
    """Samples the RSS of a gunicorn group's workers in a thread, every ``interval`` seconds."""

    group: GunicornGroup
    interval: float = 1.0
    #: (seconds since start, {worker pid: RSS in KiB}) per sample.
    samples: list[tuple[float, dict[int, int]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> RssSampler:
        started = time.monotonic()

        def run() -> None:
            while True:
                self.samples.append(
                    (
                        time.monotonic() - started,
                        {pid: memory_kib(pid) for pid in self.group.workers()},
                    )
                )
                if self._stop.wait(self.interval):
                    return

        self._thread = threading.Thread(target=run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[tuple[float, dict[int, int]]]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.samples
