"""One scenario measured: a probe that must succeed, a warm-up, then the load with CPU and
memory read from /proc around it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from .deployment import Deployment
from .procstat import (
    GunicornGroup,
    RssSampler,
    harness_seconds,
    machine_busy_seconds,
    memory_kib,
    reset_peak,
    settle,
    usable_cpus,
)
from .scenarios import Request, Scenario
from .wrk import WrkResult, run_wrk

#: A scenario whose answers are more than this share of errors measures the errors: invalid.
MAX_ERROR_SHARE = 0.5
#: Other processes using more than this share of the machine make a measurement suspect.
MAX_OTHER_LOAD = 0.10


@dataclass(frozen=True, slots=True)
class LoadOptions:
    wrk: str
    seconds: float
    warmup: float
    connections: int
    threads: int

    def drive(self, request: Request, seconds: float, *, timeout: float = 10.0) -> WrkResult:
        """wrk sending ``request`` for ``seconds`` with these connections and threads."""
        return run_wrk(
            self.wrk,
            request.url,
            method=request.method,
            headers=request.headers,
            body=request.body,
            connections=self.connections,
            threads=self.threads,
            seconds=seconds,
            timeout=timeout,
        )


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    key: str
    title: str
    valid: bool
    reason: str | None = None
    load: WrkResult | None = None
    #: CPU seconds per 1,000 answers: the gateway's master and workers, the adapter servers'.
    gateway_cpu_per_1k: float | None = None
    adapter_cpu_per_1k: float | None = None
    #: Per worker: the peak RSS (VmHWM since the load began) and the median sampled RSS, in MB.
    peak_rss_mb: tuple[float, ...] = ()
    steady_rss_mb: tuple[float, ...] = ()
    note: str | None = None
    #: Share of the machine's CPU used by processes outside the benchmark during the load.
    other_load: float | None = None

    @property
    def contended(self) -> bool:
        return self.other_load is not None and self.other_load > MAX_OTHER_LOAD

    @property
    def error_count(self) -> int:
        return self.load.non_2xx + self.load.socket_errors if self.load else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "valid": self.valid,
            "reason": self.reason,
            "note": self.note,
            "load": self.load.as_json() if self.load else None,
            "non2xx": self.load.non_2xx if self.load else None,
            "socketErrors": self.load.socket_errors if self.load else None,
            "gatewayCpuSecondsPer1k": _round(self.gateway_cpu_per_1k),
            "adapterCpuSecondsPer1k": _round(self.adapter_cpu_per_1k),
            "peakRssMbPerWorker": list(self.peak_rss_mb),
            "steadyRssMbPerWorker": list(self.steady_rss_mb),
            "otherLoadShare": _round(self.other_load),
        }


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _mb(kib: float) -> float:
    return round(kib / 1024, 1)


def measure(scenario: Scenario, deployment: Deployment, options: LoadOptions) -> ScenarioResult:
    seconds = options.seconds
    note = None
    if scenario.max_seconds is not None and seconds > scenario.max_seconds:
        seconds = scenario.max_seconds
        note = f"measured for {seconds:.0f} s: its credentials live 60 s"
    request = scenario.build(deployment)
    probe = request.send()
    problem = scenario.check(probe)
    if problem:
        return ScenarioResult(scenario.key, scenario.title, False, f"probe failed: {problem}")
    if options.warmup > 0:
        options.drive(request, options.warmup, timeout=scenario.timeout)
    group = deployment.group
    settle(group)
    # Fresh credentials for the measured load (an adapter token lives 60 s).
    request = scenario.build(deployment)

    workers = group.workers()
    peaks_reset = all([reset_peak(pid) for pid in workers])
    # An adapter server is a gunicorn master with its workers: count the whole group.
    adapter_groups = [GunicornGroup(deployment.adapters[n].pid) for n in scenario.adapter_nodes]
    every_adapter = [GunicornGroup(process.pid) for process in deployment.adapters.values()]
    machine_before, harness_before = machine_busy_seconds(), harness_seconds()
    gateway_before = group.cpu_seconds()
    adapters_before = sum(g.cpu_seconds() for g in adapter_groups)
    all_adapters_before = sum(g.cpu_seconds() for g in every_adapter)
    sampler = RssSampler(group, interval=1.0).start()
    load = options.drive(request, seconds, timeout=scenario.timeout)
    gateway_cpu = group.cpu_seconds() - gateway_before
    adapter_cpu = sum(g.cpu_seconds() for g in adapter_groups) - adapters_before
    samples = sampler.stop()
    # What the machine did beyond the gateway, the adapter servers, wrk and this harness.
    ours = (
        gateway_cpu
        + sum(g.cpu_seconds() for g in every_adapter)
        - all_adapters_before
        + harness_seconds()
        - harness_before
    )
    others = max(0.0, machine_busy_seconds() - machine_before - ours)
    other_load = others / (load.seconds * usable_cpus()) if load.seconds else None
    settle(group)  # the next measurement starts on a quiet gateway

    per_worker: dict[int, list[int]] = {}
    for _, sample in samples:
        for pid, kib in sample.items():
            if kib:
                per_worker.setdefault(pid, []).append(kib)
    steady = tuple(_mb(statistics.median(v)) for _, v in sorted(per_worker.items()))
    if peaks_reset:
        peak = tuple(_mb(memory_kib(pid, "VmHWM")) for pid in workers)
    else:  # no clear_refs here: the highest sample stands in for the peak
        peak = tuple(_mb(max(v)) for _, v in sorted(per_worker.items()))

    answered = load.requests + load.errors.get("timeout", 0) + load.errors.get("connect", 0)
    bad = load.non_2xx + load.socket_errors
    valid, reason = True, None
    if load.requests == 0:
        valid, reason = False, "no answer completed"
    elif bad > MAX_ERROR_SHARE * answered:
        valid, reason = False, f"{bad} of {answered} answers were errors"
    thousands = load.requests / 1000 if load.requests else None
    return ScenarioResult(
        scenario.key,
        scenario.title,
        valid,
        reason,
        load,
        gateway_cpu_per_1k=gateway_cpu / thousands
        if thousands and scenario.through_gateway
        else None,
        adapter_cpu_per_1k=adapter_cpu / thousands if thousands and adapter_groups else None,
        peak_rss_mb=peak if scenario.through_gateway else (),
        steady_rss_mb=steady if scenario.through_gateway else (),
        note=note,
        other_load=other_load,
    )
